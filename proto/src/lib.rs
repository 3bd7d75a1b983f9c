//! # sluice-proto
//!
//! The wire protocol and record format shared by the broker and the client; no I/O.
//!
//! - [`record_batch`]: Kafka RecordBatch v2 batches — header parsing, CRC, offset stamping.
//! - [`limits`]: every protocol limit, in one place.

pub mod limits;
pub mod record_batch;
