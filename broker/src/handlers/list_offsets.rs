//! ListOffsets: earliest, latest, or the first offset at or after a timestamp.

use std::rc::Rc;

use sluice_proto::message::{
    ListOffsetsPartitionResult, ListOffsetsRequest, ListOffsetsResponse, ListOffsetsTopicResult,
    OffsetQuery,
};
use sluice_proto::ErrorCode;

use crate::shard::partition_op::{
    PartitionOp, PartitionOutcome, EARLIEST_TIMESTAMP, LATEST_TIMESTAMP,
};
use crate::shard::ShardContext;

/// Serves a ListOffsets request.
pub async fn handle(shard: &Rc<ShardContext>, request: ListOffsetsRequest) -> ListOffsetsResponse {
    let mut topics = Vec::with_capacity(request.topics.len());
    for topic in request.topics {
        let mut pending = Vec::with_capacity(topic.partitions.len());
        for partition in &topic.partitions {
            let timestamp = match partition.query {
                OffsetQuery::Latest => LATEST_TIMESTAMP,
                OffsetQuery::Earliest => EARLIEST_TIMESTAMP,
                OffsetQuery::AtTimestamp(ms) => i64::try_from(ms).unwrap_or(i64::MAX),
            };
            let op = PartitionOp::ListOffset { timestamp };
            pending.push((
                partition.partition,
                shard.dispatch(&topic.name, partition.partition, op).await,
            ));
        }
        let mut partitions = Vec::with_capacity(pending.len());
        for (partition, reply) in pending {
            partitions.push(match reply.wait().await {
                Ok(PartitionOutcome::Offset { offset, timestamp }) => ListOffsetsPartitionResult {
                    partition,
                    error_code: ErrorCode::None,
                    timestamp,
                    offset,
                },
                Ok(other) => unreachable!("a list-offset answers Offset, got {other:?}"),
                Err(error_code) => {
                    ListOffsetsPartitionResult { partition, error_code, timestamp: -1, offset: -1 }
                }
            });
        }
        topics.push(ListOffsetsTopicResult { name: topic.name, partitions });
    }
    ListOffsetsResponse { error_code: ErrorCode::None, topics }
}
