//! # sluice-proto
//!
//! The wire protocol and record format shared by the broker and the client; no I/O.
//!
//! - [`record_batch`]: Kafka RecordBatch v2 batches — header, CRC, varints, builder, zero-copy reader.
//! - [`partitioner`]: Kafka's murmur2 key partitioner, bit-compatible with the Java client.
//! - [`limits`]: every protocol limit, in one place.

pub mod limits;
pub mod partitioner;
pub mod record_batch;
