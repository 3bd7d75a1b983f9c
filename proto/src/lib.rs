//! # sluice-proto
//!
//! The wire protocol and record format shared by the broker and the client; no I/O.
//!
//! - [`record_batch`]: Kafka RecordBatch v2 batches — header, CRC, varints, builder, zero-copy reader.
//! - [`partitioner`]: Kafka's murmur2 key partitioner, bit-compatible with the Java client.
//! - [`limits`]: every protocol limit, in one place.
//! - [`frame`]: the length-prefixed frame codec (incremental decoder, vectored encoder).
//! - [`message`]: typed requests and responses, verified flatbuffers in, flatbuffers out.
//! - [`error_code`]: the wire error codes shared by broker and client.
//! - [`generated`]: the flatc output for `proto/schema/sluice.fbs`; only [`message`] uses it.

pub mod error_code;
pub mod frame;
pub mod generated;
pub mod limits;
pub mod message;
pub mod partitioner;
pub mod record_batch;

pub use error_code::ErrorCode;
