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

/// Bytes before the flatbuffers header: the `u32` frame length and the `u32` header length.
pub const FRAME_PREFIX_BYTES: usize = 8;

/// Most bytes the frame decoder reserves ahead of their arrival once a frame's length is known.
/// Reserving the whole frame at once would save reallocations, but would let a peer that sends
/// only a length prefix pin [`FRAME_BYTES_MAX`] of memory per connection; past this bound the
/// buffer grows only as bytes actually arrive.
pub const FRAME_RESERVE_AHEAD_BYTES_MAX: usize = 1024 * 1024;

/// Smallest legal value of the frame length prefix: the header-length field alone.
pub const FRAME_LENGTH_MIN: usize = 4;

/// Deepest table nesting the flatbuffers verifier accepts in a header. Our schema nests at most
/// about six levels (header, body, topic, partition, ...); the slack is for future fields, the
/// bound is so a hostile header cannot make verification recurse deeply.
pub const VERIFIER_DEPTH_MAX: usize = 32;

/// Most tables the verifier will visit in one header. The smallest table is 8 bytes (vtable
/// offset plus a 4-byte vtable shared with its siblings), so a legitimate header of
/// [`FRAME_HEADER_BYTES_MAX`] bytes stays below this; anything above is an attack.
pub const VERIFIER_TABLES_MAX: usize = FRAME_HEADER_BYTES_MAX / 8;

/// Largest "apparent size" (bytes of every table, vector and string, counted once per
/// reference) the verifier accepts. Our encoders never share sub-objects, so an honest header's
/// apparent size is at most its length; a bigger one means aliasing used to amplify decoding work.
pub const VERIFIER_APPARENT_BYTES_MAX: usize = FRAME_HEADER_BYTES_MAX;

const _: () = assert!(FRAME_HEADER_BYTES_MAX < FRAME_BYTES_MAX);
const _: () = assert!(FRAME_RESERVE_AHEAD_BYTES_MAX <= FRAME_BYTES_MAX);
const _: () = assert!(FRAME_LENGTH_MIN + FRAME_HEADER_BYTES_MAX <= FRAME_BYTES_MAX);
// Payload ranges are u32 offsets and lengths: every frame must be addressable by them.
const _: () = assert!(FRAME_BYTES_MAX <= u32::MAX as usize);
// A frame must be able to carry at least one maximal batch plus its header.
const _: () = assert!(BATCH_BYTES_MAX + FRAME_HEADER_BYTES_MAX <= FRAME_BYTES_MAX);
const _: () = assert!(BATCH_RECORDS_MAX <= i32::MAX as usize);
