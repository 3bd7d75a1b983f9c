//! Replays the committed `batch_read` fuzz corpus through the fuzz target's own code path, so
//! every input the fuzzer found interesting keeps being checked without libFuzzer.

use std::path::Path;

#[path = "../fuzz/fuzz_targets/batch_read_exercise.rs"]
mod batch_read_exercise;

#[test]
fn given_the_committed_batch_read_corpus_when_replayed_should_never_panic() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/batch_read");
    let mut replayed = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_file() {
            batch_read_exercise::exercise(&std::fs::read(&path).unwrap());
            replayed += 1;
        }
    }
    assert!(replayed >= 20, "only {replayed} corpus files: the corpus went missing");
}
