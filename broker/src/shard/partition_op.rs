//! Operations on one partition, executed on its owning shard, whether they were issued there
//! or forwarded from another shard. Everything in an op is `Send`: batches travel between
//! shards as `BytesMut`/`Bytes` handles, never as copies.

use std::time::Instant;

use bytes::{Bytes, BytesMut};
use sluice_proto::ErrorCode;

use super::partition_registry::OwnedPartition;
use crate::error_mapping::storage_error_code;

/// Special ListOffsets timestamps, as in Kafka.
pub const LATEST_TIMESTAMP: i64 = -1;
/// Special ListOffsets timestamp for the log start.
pub const EARLIEST_TIMESTAMP: i64 = -2;

/// What to do to a partition.
#[derive(Debug)]
pub enum PartitionOp {
    /// Append one validated-by-storage batch (the bytes are stamped in place).
    Append {
        /// Exactly one record batch.
        batch: BytesMut,
    },
    /// Read whole batches from `offset`, at most `max_bytes` (at least one batch).
    Read {
        /// First offset wanted.
        offset: i64,
        /// Byte budget.
        max_bytes: usize,
    },
    /// Resolve when data at or after `offset` is visible, or at `deadline`.
    WaitForData {
        /// The fetch position.
        offset: i64,
        /// When to give up.
        deadline: Instant,
    },
    /// Find an offset by timestamp ([`LATEST_TIMESTAMP`], [`EARLIEST_TIMESTAMP`], or ms).
    ListOffset {
        /// Timestamp or special value.
        timestamp: i64,
    },
    /// Report the partition's offsets.
    Describe,
}

/// The result of a [`PartitionOp`].
#[derive(Debug)]
pub enum PartitionOutcome {
    /// Offsets given to an appended batch.
    Appended {
        /// First offset of the batch.
        base_offset: i64,
        /// Log start after the append.
        log_start_offset: i64,
    },
    /// Batches read.
    Read {
        /// Whole batches, as stored, in one or more chunks (never copied together).
        records: Vec<Bytes>,
        /// Offset below which data is visible to consumers.
        high_watermark: i64,
        /// First offset in the log.
        log_start_offset: i64,
    },
    /// Whether data arrived before the deadline.
    Waited {
        /// True if data is now visible past the offset.
        data_arrived: bool,
    },
    /// An offset found by timestamp.
    Offset {
        /// The offset (-1 when no record is at or after the timestamp).
        offset: i64,
        /// The timestamp asked for (or -1 for the special values).
        timestamp: i64,
    },
    /// Partition offsets.
    Described {
        /// First offset.
        log_start_offset: i64,
        /// High watermark.
        high_watermark: i64,
    },
}

/// Either an outcome or the wire error the client gets.
pub type PartitionReply = Result<PartitionOutcome, ErrorCode>;

/// The storage index finds the first *batch* whose newest record is at or after `ts`; Kafka
/// answers with the first *record* at or after it, so look inside that batch. A batch this
/// broker cannot look into (compressed) answers with its base offset.
async fn first_record_at_or_after(
    log: &sluice_storage::PartitionLog,
    base_offset: i64,
    ts: i64,
) -> PartitionReply {
    let bytes = log.read(base_offset, 1).await.map_err(|e| storage_error_code(&e))?;
    let found = sluice_proto::record_batch::BatchReader::new(bytes).next().and_then(|batch| {
        let batch = batch.ok()?;
        batch
            .records()
            .filter_map(Result::ok)
            .find(|r| r.timestamp >= ts)
            .map(|r| (r.offset, r.timestamp))
    });
    let (offset, timestamp) = found.unwrap_or((base_offset, ts));
    Ok(PartitionOutcome::Offset { offset, timestamp })
}

/// Runs `op` on a partition this shard owns.
pub async fn execute(partition: &OwnedPartition, op: PartitionOp) -> PartitionReply {
    let log = &partition.log;
    match op {
        PartitionOp::Append { batch } => {
            let outcome = log.append(batch).await.map_err(|e| storage_error_code(&e))?;
            partition.data_arrived.notify(usize::MAX);
            Ok(PartitionOutcome::Appended {
                base_offset: outcome.base_offset,
                log_start_offset: log.log_start_offset(),
            })
        }
        PartitionOp::Read { offset, max_bytes } => {
            let records =
                log.read_chunks(offset, max_bytes).await.map_err(|e| storage_error_code(&e))?;
            Ok(PartitionOutcome::Read {
                records,
                high_watermark: log.visible_end_offset(),
                log_start_offset: log.log_start_offset(),
            })
        }
        PartitionOp::WaitForData { offset, deadline } => {
            let data_arrived = partition.wait_for_data(offset, deadline).await;
            Ok(PartitionOutcome::Waited { data_arrived })
        }
        PartitionOp::ListOffset { timestamp } => match timestamp {
            LATEST_TIMESTAMP => {
                Ok(PartitionOutcome::Offset { offset: log.visible_end_offset(), timestamp: -1 })
            }
            EARLIEST_TIMESTAMP => {
                Ok(PartitionOutcome::Offset { offset: log.log_start_offset(), timestamp: -1 })
            }
            ts if ts >= 0 => {
                let batch =
                    log.offset_for_timestamp(ts).await.map_err(|e| storage_error_code(&e))?;
                match batch {
                    None => Ok(PartitionOutcome::Offset { offset: -1, timestamp: -1 }),
                    Some(base) => first_record_at_or_after(log, base, ts).await,
                }
            }
            _ => Err(ErrorCode::InvalidRequest),
        },
        PartitionOp::Describe => Ok(PartitionOutcome::Described {
            log_start_offset: log.log_start_offset(),
            high_watermark: log.visible_end_offset(),
        }),
    }
}
