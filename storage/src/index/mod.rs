//! Per-segment sparse indexes: offset → file position and timestamp → offset.
//!
//! Both are kept in memory for every segment and persisted beside the segment when it is sealed
//! and when the log closes. On disk each starts with a versioned header whose checksum covers
//! the header and the entries ([`index_header`]). Indexes may lag the log or be lost: recovery
//! rebuilds them from the log itself, which stays the only source of truth.

pub mod index_header;
pub mod offset_index;
pub mod time_index;

pub use index_header::{IndexFileMeta, IndexKind};
pub use offset_index::OffsetIndex;
pub use time_index::TimeIndex;
