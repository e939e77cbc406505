# find_package(oauthmail) from the build tree (after `cargo build -p oauthmail-c`):
#   cmake -Doauthmail_DIR=<repo>/bindings-c/cmake ...
# Targets: oauthmail::oauthmail (liboauthmail.so) and oauthmail::static
# (liboauthmail.a). OAUTHMAIL_PROFILE picks target/<profile> (default: debug).
get_filename_component(_oauthmail_root "${CMAKE_CURRENT_LIST_DIR}/../.." ABSOLUTE)
if(NOT OAUTHMAIL_PROFILE)
  set(OAUTHMAIL_PROFILE debug)
endif()
set(_oauthmail_libdir "${_oauthmail_root}/target/${OAUTHMAIL_PROFILE}")

if(NOT EXISTS "${_oauthmail_libdir}/liboauthmail.so")
  set(oauthmail_FOUND FALSE)
  set(oauthmail_NOT_FOUND_MESSAGE
      "${_oauthmail_libdir}/liboauthmail.so not found: run `cargo build -p oauthmail-c` first")
  return()
endif()

if(NOT TARGET oauthmail::oauthmail)
  add_library(oauthmail::oauthmail SHARED IMPORTED)
  set_target_properties(oauthmail::oauthmail PROPERTIES
    IMPORTED_LOCATION "${_oauthmail_libdir}/liboauthmail.so"
    INTERFACE_INCLUDE_DIRECTORIES "${_oauthmail_root}/include")
  add_library(oauthmail::static STATIC IMPORTED)
  set_target_properties(oauthmail::static PROPERTIES
    IMPORTED_LOCATION "${_oauthmail_libdir}/liboauthmail.a"
    INTERFACE_INCLUDE_DIRECTORIES "${_oauthmail_root}/include"
    # From `cargo rustc -p oauthmail-c --crate-type staticlib -- --print native-static-libs`.
    INTERFACE_LINK_LIBRARIES "gcc_s;util;rt;pthread;m;dl")
endif()
set(oauthmail_FOUND TRUE)
