//! Cluster metadata held by the broker: which topics exist, their configuration, and which
//! shard owns each partition.
//!
//! Shard 0 is the single writer: every change is made there, persisted atomically, and only
//! then published to every shard as a new immutable [`MetadataImage`]. Other shards route with
//! their last published image and never mutate it.

mod shard_table;
mod topic_name;
mod topic_table;

pub use shard_table::{PartitionSlot, ShardTable};
pub use topic_name::{validate_topic_name, TopicNameError, TOPIC_NAME_BYTES_MAX};
pub use topic_table::{MetadataImage, TopicConfigRecord, TopicRecord, TopicTableError};
