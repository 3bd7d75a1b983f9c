//! The batch cache's read, as a tailing consumer's fetch hits it: the concatenating `read`
//! against `read_chunks`, which hands out the cached batches without copying.
//!
//! A fixed number of iterations, so `valgrind --tool=callgrind` counts the same instructions
//! every run: `cargo bench -p sluice-storage --bench cache_read -- chunks|copy`.
//! Results in perf/broker-hot-path.md.

use std::hint::black_box;
use std::time::Instant;

use bytes::Bytes;
use sluice_storage::BatchCache;

const BATCHES: i64 = 4096;
const ITERATIONS: usize = 20_000;
/// A consumer's fetch of 1 MiB from a partition.
const FETCH_BYTES: usize = 1 << 20;

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_else(|| "chunks".into());
    for batch_bytes in [1024usize, 64 * 1024] {
        let cache = BatchCache::new(1 << 30);
        let log = cache.register_log();
        for i in 0..BATCHES {
            cache.insert(log, i, i, Bytes::from(vec![0u8; batch_bytes]));
        }
        let started = Instant::now();
        let mut bytes = 0usize;
        for i in 0..ITERATIONS {
            let from = (i as i64 * 7) % (BATCHES / 2);
            bytes += match mode.as_str() {
                "copy" => black_box(cache.read(log, from, FETCH_BYTES, BATCHES)).unwrap().len(),
                _ => black_box(cache.read_chunks(log, from, FETCH_BYTES, BATCHES))
                    .unwrap()
                    .iter()
                    .map(Bytes::len)
                    .sum(),
            };
        }
        let elapsed = started.elapsed();
        println!(
            "{mode}: {ITERATIONS} reads of {FETCH_BYTES} bytes in {batch_bytes}-byte batches: {elapsed:?} ({:.1} GB/s)",
            bytes as f64 / elapsed.as_secs_f64() / 1e9
        );
    }
}
