//! Replays every input kept under `fuzz/corpus/c_abi/` through the harness the libFuzzer target
//! `c_abi` runs (C entry points called from Rust: strings, buffers, out-parameters), on the
//! stable toolchain. Fuzzing itself: see `fuzz/README.md`.

use oauthmail as capi;
use oauthmail_core as core_api;

#[path = "../../fuzz/c_abi_harness.rs"]
mod harness;

use std::path::Path;

#[test]
fn every_c_abi_corpus_input_passes() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/c_abi");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "the c_abi corpus is empty");
    let failures: Vec<String> = files
        .iter()
        .filter(|file| {
            let data = std::fs::read(file).unwrap();
            std::panic::catch_unwind(|| harness::c_abi(&data)).is_err()
        })
        .map(|file| file.display().to_string())
        .collect();
    assert!(failures.is_empty(), "inputs that fail the c_abi target:\n{}", failures.join("\n"));
}
