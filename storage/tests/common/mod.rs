//! Test support shared by the integration tests: a minimal batch builder (header, raw record
//! bytes, CRC) and a way to run a future on a glommio executor.

#![allow(dead_code)]

use std::future::Future;

use bytes::{BufMut, BytesMut};
use glommio::{LocalExecutorBuilder, Placement};
use sluice_proto::record_batch::{layout, seal_crc, validate};

/// Builds a valid RecordBatch v2 with `records` records whose bodies are `record_bytes` bytes of
/// a pattern derived from `seed`, so tests can check content after a round trip. Records are
/// opaque to storage, so their bodies need not be varint-encoded Kafka records.
pub fn make_batch(records: usize, record_bytes: usize, max_timestamp: i64, seed: u64) -> BytesMut {
    assert!(records >= 1);
    let body_len = records * record_bytes;
    let total = layout::HEADER_LEN + body_len;
    let mut batch = BytesMut::with_capacity(total);
    batch.put_i64(0); // base offset, stamped by the log
    batch.put_i32((total - layout::LOG_OVERHEAD) as i32);
    batch.put_i32(0); // partition leader epoch
    batch.put_i8(layout::MAGIC_V2);
    batch.put_u32(0); // crc, sealed below
    batch.put_i16(0); // attributes
    batch.put_i32(records as i32 - 1);
    batch.put_i64(max_timestamp); // base timestamp
    batch.put_i64(max_timestamp);
    batch.put_i64(-1);
    batch.put_i16(-1);
    batch.put_i32(-1);
    batch.put_i32(records as i32);
    assert_eq!(batch.len(), layout::HEADER_LEN);
    for i in 0..body_len {
        batch.put_u8(pattern_byte(seed, i));
    }
    seal_crc(&mut batch);
    batch
}

/// The byte at `i` of the body of the batch built with `seed`.
pub fn pattern_byte(seed: u64, i: usize) -> u8 {
    (seed.wrapping_mul(31).wrapping_add(i as u64 * 7) % 251) as u8
}

/// Checks that `batch` is intact and its body is the pattern of `seed`.
pub fn body_matches(batch: &[u8], seed: u64) -> bool {
    validate(batch).is_ok()
        && batch[layout::HEADER_LEN..].iter().enumerate().all(|(i, b)| *b == pattern_byte(seed, i))
}

/// Splits a read result into its batches.
pub fn split_batches(bytes: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let header = validate(&bytes[at..]).expect("reads return whole, valid batches");
        out.push(&bytes[at..at + header.total_len()]);
        at += header.total_len();
    }
    out
}

/// Runs `make()` on a fresh glommio executor thread and returns its output.
pub fn run_on_executor<F, Fut, T>(make: F) -> T
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = T> + 'static,
    T: Send + 'static,
{
    LocalExecutorBuilder::new(Placement::Unbound)
        .io_memory(2 << 20)
        .spin_before_park(std::time::Duration::from_micros(200))
        .spawn(move || sluice_storage::reactor_tick::with_reactor_tick(make()))
        .expect("executor starts")
        .join()
        .expect("executor thread finishes")
}

/// Polls `done` every millisecond on the executor until it holds; fails the test naming `what`
/// if it still does not after `timeout`. For conditions a background task brings about.
pub async fn wait_until(what: &str, timeout: std::time::Duration, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + timeout;
    while !done() {
        assert!(std::time::Instant::now() < deadline, "{what} within {timeout:?}");
        glommio::timer::sleep(std::time::Duration::from_millis(1)).await;
    }
}

/// Installs a tracing subscriber once, honouring RUST_LOG.
pub fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}
