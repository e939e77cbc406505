//! IMAP folder listings and UID lists.

use std::ffi::{CString, c_char};
use std::ptr;

use oauthmail_core::imap::Folder;

use crate::boundary::{c_string, ffi_value, free_handle, getter};

/// One folder of a listing; owned by the list.
pub struct oauthmail_folder {
    name: CString,
    delimiter: Option<CString>,
    special_use: Option<CString>,
    attributes: Vec<CString>,
}

/// The folders of a mailbox. Read-only: may be read from any thread. Free it
/// with `oauthmail_folder_list_free`, which also frees its folders.
pub struct oauthmail_folder_list {
    items: Vec<oauthmail_folder>,
}

impl oauthmail_folder_list {
    pub(crate) fn new(folders: &[Folder]) -> Self {
        let items = folders
            .iter()
            .map(|f| oauthmail_folder {
                name: c_string(&f.name),
                delimiter: f.delimiter.as_deref().map(c_string),
                special_use: f.special_use.as_deref().map(c_string),
                attributes: f.attributes.iter().map(|a| c_string(a)).collect(),
            })
            .collect();
        oauthmail_folder_list { items }
    }
}

/// How many folders the list holds; 0 for NULL.
///
/// # Safety
/// `list` is NULL or a live list.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_folder_list_count(list: *const oauthmail_folder_list) -> usize {
    // SAFETY: forwarded contract.
    unsafe { getter(list, 0, |l| l.items.len()) }
}

/// Folder `index` (0-based), owned by the list; NULL when out of range.
///
/// # Safety
/// `list` is NULL or a live list.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_folder_list_get(
    list: *const oauthmail_folder_list,
    index: usize,
) -> *const oauthmail_folder {
    // SAFETY: forwarded contract.
    unsafe { getter(list, ptr::null(), |l| l.items.get(index).map_or(ptr::null(), |f| f as *const _)) }
}

/// Frees a folder list. NULL is a no-op.
///
/// # Safety
/// `list` is NULL or a live list, freed once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_folder_list_free(list: *mut oauthmail_folder_list) {
    // SAFETY: NULL or ours, freed once, per the contract.
    ffi_value((), || unsafe { free_handle(list) })
}

/// The folder name in UTF-8, as the other calls take it (`"INBOX"`, `"Sent Items"`).
///
/// # Safety
/// `folder` is NULL or from a live list.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_folder_name(folder: *const oauthmail_folder) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { getter(folder, ptr::null(), |f| f.name.as_ptr()) }
}

/// The hierarchy delimiter (`"/"`, `"."`); NULL when flat.
///
/// # Safety
/// `folder` is NULL or from a live list.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_folder_delimiter(folder: *const oauthmail_folder) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { getter(folder, ptr::null(), |f| f.delimiter.as_ref().map_or(ptr::null(), |d| d.as_ptr())) }
}

/// The RFC 6154 role: `"sent"`, `"drafts"`, `"trash"`, `"junk"`, `"archive"`,
/// `"all"`, `"flagged"`; NULL for an ordinary folder.
///
/// # Safety
/// `folder` is NULL or from a live list.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_folder_special_use(folder: *const oauthmail_folder) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { getter(folder, ptr::null(), |f| f.special_use.as_ref().map_or(ptr::null(), |s| s.as_ptr())) }
}

/// How many LIST attributes (`\HasNoChildren`, `\Noselect`) the folder has.
///
/// # Safety
/// `folder` is NULL or from a live list.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_folder_attributes_count(folder: *const oauthmail_folder) -> usize {
    // SAFETY: forwarded contract.
    unsafe { getter(folder, 0, |f| f.attributes.len()) }
}

/// Attribute `index`; NULL when out of range.
///
/// # Safety
/// `folder` is NULL or from a live list.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_folder_attribute(folder: *const oauthmail_folder, index: usize) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { getter(folder, ptr::null(), |f| f.attributes.get(index).map_or(ptr::null(), |a| a.as_ptr())) }
}

/// UIDs from a search, ascending. Read-only; free with `oauthmail_uid_list_free`.
pub struct oauthmail_uid_list {
    pub(crate) uids: Vec<u32>,
}

/// How many UIDs the list holds; 0 for NULL.
///
/// # Safety
/// `list` is NULL or a live list.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_uid_list_count(list: *const oauthmail_uid_list) -> usize {
    // SAFETY: forwarded contract.
    unsafe { getter(list, 0, |l| l.uids.len()) }
}

/// UID `index` (0-based); 0 (never a valid UID) when out of range or NULL.
///
/// # Safety
/// `list` is NULL or a live list.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_uid_list_get(list: *const oauthmail_uid_list, index: usize) -> u32 {
    // SAFETY: forwarded contract.
    unsafe { getter(list, 0, |l| l.uids.get(index).copied().unwrap_or(0)) }
}

/// The UIDs as an array of `oauthmail_uid_list_count` entries, owned by the
/// list (for passing straight to the flag, move and delete calls); NULL when
/// empty or NULL.
///
/// # Safety
/// `list` is NULL or a live list.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_uid_list_data(list: *const oauthmail_uid_list) -> *const u32 {
    // SAFETY: forwarded contract.
    unsafe { getter(list, ptr::null(), |l| if l.uids.is_empty() { ptr::null() } else { l.uids.as_ptr() }) }
}

/// Frees a UID list. NULL is a no-op.
///
/// # Safety
/// `list` is NULL or a live list, freed once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_uid_list_free(list: *mut oauthmail_uid_list) {
    // SAFETY: NULL or ours, freed once, per the contract.
    ffi_value((), || unsafe { free_handle(list) })
}
