//! Produce: split each partition's records into batches, hand them to the owning shard in
//! order, and answer with each partition's base offset.
//!
//! The storage layer checks every batch's CRC as it appends; this handler only walks the batch
//! headers to split a partition's records, so a batch's bytes are checksummed once. When a
//! partition carries several batches they are all checked before the first is appended, so a
//! bad batch never leaves the ones before it half-written.

use std::rc::Rc;
use std::time::Instant;

use bytes::BytesMut;
use sluice_proto::message::{
    Acks, ProducePartitionResult, ProduceRequestMut, ProduceResponse, ProduceTopicResult,
};
use sluice_proto::record_batch::{validate, BatchHeader};
use sluice_proto::ErrorCode;

use crate::shard::partition_op::{PartitionOp, PartitionOutcome};
use crate::shard::{PendingReply, ShardContext};

/// A produce whose batches are with their owners, awaiting the appends.
pub struct PendingProduce {
    shard: Rc<ShardContext>,
    acks: Acks,
    started: Instant,
    topics: Vec<PendingTopic>,
}

/// One topic's partitions, each with a pending append per batch.
struct PendingTopic {
    name: String,
    partitions: Vec<(u32, Vec<PendingReply>)>,
}

/// Hands every batch of the request to its partition's owner, in request order.
pub async fn dispatch(shard: &Rc<ShardContext>, request: ProduceRequestMut) -> PendingProduce {
    let started = Instant::now();
    let mut topics = Vec::with_capacity(request.topics.len());
    for topic in request.topics {
        let mut partitions = Vec::with_capacity(topic.partitions.len());
        for partition in topic.partitions {
            let replies = match split_batches(partition.records) {
                Ok(batches) => {
                    shard.metrics.borrow_mut().bytes_in_total +=
                        batches.iter().map(|b| b.len() as u64).sum::<u64>();
                    let mut replies = Vec::with_capacity(batches.len());
                    for batch in batches {
                        let op = PartitionOp::Append { batch };
                        replies.push(shard.dispatch(&topic.name, partition.partition, op).await);
                    }
                    replies
                }
                Err(code) => vec![PendingReply::Ready(Err(code))],
            };
            partitions.push((partition.partition, replies));
        }
        topics.push(PendingTopic { name: topic.name, partitions });
    }
    PendingProduce { shard: shard.clone(), acks: request.acks, started, topics }
}

/// Waits for every append and builds the response; `None` for `acks = none`, which gets no
/// response (the appends still complete).
pub async fn complete(pending: PendingProduce) -> Option<ProduceResponse> {
    let mut results = Vec::with_capacity(pending.topics.len());
    for PendingTopic { name, partitions } in pending.topics {
        let mut partition_results = Vec::with_capacity(partitions.len());
        for (partition, replies) in partitions {
            let mut result = ProducePartitionResult {
                partition,
                error_code: ErrorCode::None,
                base_offset: -1,
                log_append_time_ms: -1,
                log_start_offset: -1,
            };
            for reply in replies {
                match reply.wait().await {
                    Ok(PartitionOutcome::Appended { base_offset, log_start_offset }) => {
                        if result.base_offset < 0 {
                            result.base_offset = base_offset;
                        }
                        result.log_start_offset = log_start_offset;
                    }
                    Ok(other) => unreachable!("an append answers Appended, got {other:?}"),
                    Err(code) => {
                        if result.error_code == ErrorCode::None {
                            result.error_code = code;
                        }
                    }
                }
            }
            if result.error_code != ErrorCode::None {
                result.base_offset = -1;
            }
            partition_results.push(result);
        }
        results.push(ProduceTopicResult { name, partitions: partition_results });
    }
    pending.shard.metrics.borrow_mut().record_produce(pending.started.elapsed());
    match pending.acks {
        Acks::None => None,
        Acks::Leader | Acks::All => {
            Some(ProduceResponse { error_code: ErrorCode::None, topics: results })
        }
    }
}

/// Cuts a partition's records into single batches the log can take, without copying: each
/// batch is split off the partition's buffer, which the frame decoder cut from the request.
pub fn split_batches(mut records: BytesMut) -> Result<Vec<BytesMut>, ErrorCode> {
    if records.is_empty() {
        return Err(ErrorCode::InvalidRecord);
    }
    let mut lengths = Vec::with_capacity(1);
    let mut position = 0;
    while position < records.len() {
        let header =
            BatchHeader::parse(&records[position..]).map_err(|_| ErrorCode::CorruptMessage)?;
        let end = position + header.total_len();
        if end > records.len() {
            return Err(ErrorCode::CorruptMessage);
        }
        lengths.push(header.total_len());
        position = end;
    }
    if lengths.len() > 1 {
        let mut at = 0;
        for len in &lengths {
            validate(&records[at..at + len]).map_err(|_| ErrorCode::CorruptMessage)?;
            at += len;
        }
    }
    Ok(lengths.into_iter().map(|len| records.split_to(len)).collect())
}
