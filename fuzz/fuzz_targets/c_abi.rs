#![no_main]

// The C ABI crate (lib name `oauthmail`) and the core crate under the names the harness uses.
use oauthmail as core_api;
use oauthmail_capi as capi;

#[path = "../c_abi_harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::c_abi(data));
