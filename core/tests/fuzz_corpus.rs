//! Replays every input kept under `fuzz/corpus/<target>/` (seeds, and whatever the fuzzer
//! found worth keeping, crashes included once fixed) through the same harness functions the
//! libFuzzer targets call, on the stable toolchain. Fuzzing itself: see `fuzz/README.md`.

#[path = "../../fuzz/harness.rs"]
mod harness;

use std::path::Path;

#[test]
fn every_corpus_input_passes_its_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
    let mut failures = Vec::new();
    for (name, target) in harness::TARGETS {
        let dir = root.join(name);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|entry| entry.unwrap().path())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "{name}: the corpus is empty");
        for file in files {
            let data = std::fs::read(&file).unwrap();
            if std::panic::catch_unwind(|| target(&data)).is_err() {
                failures.push(file.display().to_string());
            }
        }
    }
    assert!(failures.is_empty(), "inputs that fail their target:\n{}", failures.join("\n"));
}
