//! Messages between shards over the channel mesh.
//!
//! Every message carries its own reply channel, so the answer returns to the shard (and the
//! connection) the request came in on. The mesh channels are bounded; a sender that finds one
//! full waits, which in turn stops its connection reading: backpressure, not buffering.

use std::sync::Arc;

use sluice_proto::message::{CreatableTopic, TopicResult};

use super::partition_op::{PartitionOp, PartitionReply};
use super::partition_registry::PartitionKey;
use crate::group::coordinator_host::{GroupReply, GroupRequest};
use crate::metadata::MetadataImage;

/// Capacity of each shard-to-shard channel, in messages.
pub const MESH_CHANNEL_CAPACITY: usize = 1024;

/// A metadata change that only shard 0 may make.
#[derive(Debug)]
pub enum AdminRequest {
    /// Create topics.
    CreateTopics {
        /// The topics and their requested configs.
        topics: Vec<CreatableTopic>,
        /// Check only.
        validate_only: bool,
    },
    /// Delete topics by name.
    DeleteTopics {
        /// Names.
        names: Vec<String>,
    },
}

/// What a shard asks another.
pub enum ShardMessage {
    /// Run an operation on a partition the receiver owns.
    Partition {
        /// Which partition.
        key: PartitionKey,
        /// What to do.
        op: PartitionOp,
        /// Where the answer goes.
        reply: flume::Sender<PartitionReply>,
    },
    /// Adopt a newer metadata image (open and close partitions to match it).
    ApplyMetadata {
        /// The image, shared read-only across shards.
        image: Arc<MetadataImage>,
        /// Acknowledged once the shard's partitions match the image.
        reply: flume::Sender<Result<(), String>>,
    },
    /// A metadata change forwarded to shard 0.
    Admin {
        /// The change.
        request: AdminRequest,
        /// Per-topic results.
        reply: flume::Sender<Vec<TopicResult>>,
    },
    /// A consumer-group request for a group the receiver coordinates.
    Group {
        /// The request.
        request: GroupRequest,
        /// Where the answer goes.
        reply: flume::Sender<GroupReply>,
    },
}
