//! CreateTopics, DeleteTopics, ListTopics and DescribeTopics.
//!
//! Changes go to shard 0, the only metadata writer; listing and describing read this shard's
//! metadata image (and each partition's offsets from its owner).

use std::rc::Rc;

use sluice_proto::message::{
    CreateTopicsRequest, CreateTopicsResponse, DeleteTopicsRequest, DeleteTopicsResponse,
    DescribeTopicsRequest, DescribeTopicsResponse, FlushPolicy, ListTopicsResponse,
    PartitionDescription, TopicConfig, TopicDescription, TopicListing, TopicResult,
};
use sluice_proto::ErrorCode;

use super::metadata::SINGLE_NODE_LEADER_EPOCH;
use crate::config::FlushPolicySetting;
use crate::metadata::TopicConfigRecord;
use crate::shard::partition_op::{PartitionOp, PartitionOutcome};
use crate::shard::shard_message::{AdminRequest, ShardMessage};
use crate::shard::ShardContext;

/// The shard that makes metadata changes.
const METADATA_SHARD: usize = 0;

/// Creates topics (on shard 0).
pub async fn create(
    shard: &Rc<ShardContext>,
    request: CreateTopicsRequest,
) -> CreateTopicsResponse {
    let admin =
        AdminRequest::CreateTopics { topics: request.topics, validate_only: request.validate_only };
    CreateTopicsResponse { error_code: ErrorCode::None, topics: run_admin(shard, admin).await }
}

/// Deletes topics (on shard 0).
pub async fn delete(
    shard: &Rc<ShardContext>,
    request: DeleteTopicsRequest,
) -> DeleteTopicsResponse {
    let admin = AdminRequest::DeleteTopics { names: request.names };
    DeleteTopicsResponse { error_code: ErrorCode::None, topics: run_admin(shard, admin).await }
}

async fn run_admin(shard: &Rc<ShardContext>, request: AdminRequest) -> Vec<TopicResult> {
    if shard.id == METADATA_SHARD {
        return crate::admin::handle_admin(shard, request).await;
    }
    let names: Vec<String> = match &request {
        AdminRequest::CreateTopics { topics, .. } => {
            topics.iter().map(|t| t.name.clone()).collect()
        }
        AdminRequest::DeleteTopics { names } => names.clone(),
    };
    let (reply, rx) = flume::bounded(1);
    let sent = shard.mesh.send_to(METADATA_SHARD, ShardMessage::Admin { request, reply }).await;
    let results = match sent {
        Ok(()) => rx.recv_async().await.ok(),
        Err(_) => None,
    };
    results.unwrap_or_else(|| {
        names
            .into_iter()
            .map(|name| TopicResult {
                name,
                error_code: ErrorCode::BrokerShuttingDown,
                error_message: None,
            })
            .collect()
    })
}

/// Lists every topic.
pub fn list(shard: &ShardContext) -> ListTopicsResponse {
    let image = shard.metadata.borrow();
    ListTopicsResponse {
        error_code: ErrorCode::None,
        topics: image
            .topics
            .values()
            .map(|t| TopicListing { name: t.name.clone(), partition_count: t.config.partitions })
            .collect(),
    }
}

/// Describes topics: effective configuration and per-partition shard and offsets.
pub async fn describe(
    shard: &Rc<ShardContext>,
    request: DescribeTopicsRequest,
) -> DescribeTopicsResponse {
    let names: Vec<String> = if request.names.is_empty() {
        shard.metadata.borrow().topics.keys().cloned().collect()
    } else {
        request.names
    };
    let node_id = shard.shared.config.node_id as i32;
    let mut topics = Vec::with_capacity(names.len());
    for name in names {
        let record = shard.metadata.borrow().topic(&name).cloned();
        let Some(record) = record else {
            topics.push(TopicDescription {
                name,
                error_code: ErrorCode::UnknownTopic,
                config: TopicConfig::default(),
                partitions: vec![],
            });
            continue;
        };
        let mut partitions = Vec::with_capacity(record.config.partitions as usize);
        for partition in 0..record.config.partitions {
            let shard_id = shard
                .metadata
                .borrow()
                .shard_table
                .shard_of(record.id, partition)
                .unwrap_or_default();
            let reply = shard.dispatch(&name, partition, PartitionOp::Describe).await.wait().await;
            let mut description = PartitionDescription {
                partition,
                error_code: ErrorCode::None,
                shard_id,
                leader_id: node_id,
                leader_epoch: SINGLE_NODE_LEADER_EPOCH,
                log_start_offset: -1,
                log_end_offset: -1,
            };
            match reply {
                Ok(PartitionOutcome::Described { log_start_offset, high_watermark }) => {
                    description.log_start_offset = log_start_offset;
                    description.log_end_offset = high_watermark;
                }
                Ok(other) => unreachable!("describe answers Described, got {other:?}"),
                Err(code) => description.error_code = code,
            }
            partitions.push(description);
        }
        topics.push(TopicDescription {
            name,
            error_code: ErrorCode::None,
            config: wire_config(&record.config),
            partitions,
        });
    }
    DescribeTopicsResponse { error_code: ErrorCode::None, topics }
}

fn wire_config(config: &TopicConfigRecord) -> TopicConfig {
    let (flush_policy, flush_interval_ms) = match config.flush_policy {
        FlushPolicySetting::Always => (FlushPolicy::Always, None),
        FlushPolicySetting::Interval { interval_ms } => (FlushPolicy::Interval, Some(interval_ms)),
        FlushPolicySetting::Never => (FlushPolicy::Never, None),
    };
    TopicConfig {
        partitions: Some(config.partitions),
        replication_factor: Some(config.replication_factor),
        segment_bytes: Some(config.segment_bytes),
        segment_ms: Some(config.segment_ms),
        retention_bytes: Some(config.retention_bytes.map_or(-1, |b| b as i64)),
        retention_ms: Some(config.retention_ms.map_or(-1, |ms| ms as i64)),
        flush_policy: Some(flush_policy),
        flush_interval_ms,
    }
}
