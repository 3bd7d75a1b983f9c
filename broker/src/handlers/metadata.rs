//! Metadata: topics, partitions, and for each partition the owning shard's direct address, so
//! shard-aware clients can skip the hop between shards.

use sluice_proto::message::{
    BrokerMetadata, MetadataRequest, MetadataResponse, PartitionMetadata, TopicMetadata,
};
use sluice_proto::ErrorCode;

use crate::shard::ShardContext;

/// Leader epoch reported while the broker runs alone (no leader changes yet).
pub const SINGLE_NODE_LEADER_EPOCH: i32 = 0;

/// Answers a metadata request from this shard's image.
pub fn handle(shard: &ShardContext, request: MetadataRequest) -> MetadataResponse {
    let image = shard.metadata.borrow();
    let node_id = shard.shared.config.node_id as i32;
    let names: Vec<String> = if request.topics.is_empty() {
        image.topics.keys().cloned().collect()
    } else {
        request.topics
    };
    let topics = names
        .into_iter()
        .map(|name| match image.topic(&name) {
            None => TopicMetadata { name, error_code: ErrorCode::UnknownTopic, partitions: vec![] },
            Some(record) => {
                let partitions = (0..record.config.partitions)
                    .map(|partition| {
                        let shard_id =
                            image.shard_table.shard_of(record.id, partition).unwrap_or_default();
                        let direct = shard.shared.direct_addrs[shard_id as usize];
                        PartitionMetadata {
                            partition,
                            error_code: ErrorCode::None,
                            leader_id: node_id,
                            leader_epoch: SINGLE_NODE_LEADER_EPOCH,
                            shard_id,
                            shard_host: direct.ip().to_string(),
                            shard_port: direct.port(),
                        }
                    })
                    .collect();
                TopicMetadata { name, error_code: ErrorCode::None, partitions }
            }
        })
        .collect();
    let client = shard.shared.client_addr;
    MetadataResponse {
        error_code: ErrorCode::None,
        brokers: vec![BrokerMetadata {
            node_id,
            host: client.ip().to_string(),
            port: client.port(),
        }],
        topics,
    }
}
