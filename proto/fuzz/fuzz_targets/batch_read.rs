//! Fuzzes every batch and record reader with arbitrary bytes (see `batch_read_exercise.rs`).

#![no_main]

use libfuzzer_sys::fuzz_target;

mod batch_read_exercise;

fuzz_target!(|data: &[u8]| batch_read_exercise::exercise(data));
