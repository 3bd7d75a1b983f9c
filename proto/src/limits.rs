//! Every protocol-level limit in one place, with the relations between them checked at compile
//! time, so a change to one cannot silently break another.

/// Largest frame (length prefix excluded) a peer may send. A frame this large is refused before
/// any of it is buffered, so a hostile length prefix cannot make us allocate without bound.
pub const FRAME_BYTES_MAX: usize = 16 * 1024 * 1024;

/// Largest flatbuffers header inside a frame. Headers describe batches, they never carry them,
/// so they stay small; the bound keeps the verifier's work per frame small too.
pub const FRAME_HEADER_BYTES_MAX: usize = 1024 * 1024;

/// Largest single record batch (whole batch, including its 61-byte header).
pub const BATCH_BYTES_MAX: usize = 8 * 1024 * 1024;

/// Largest number of records in one batch. Kafka has no explicit bound; ours keeps
/// `last_offset_delta` and per-record work per batch bounded.
pub const BATCH_RECORDS_MAX: usize = 1 << 20;

const _: () = assert!(FRAME_HEADER_BYTES_MAX < FRAME_BYTES_MAX);
// A frame must be able to carry at least one maximal batch plus its header.
const _: () = assert!(BATCH_BYTES_MAX + FRAME_HEADER_BYTES_MAX <= FRAME_BYTES_MAX);
const _: () = assert!(BATCH_RECORDS_MAX <= i32::MAX as usize);
