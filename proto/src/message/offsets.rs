//! Committed consumer offsets: OffsetCommit and OffsetFetch.

use flatbuffers::{FlatBufferBuilder, ForwardsUOffset, Vector, WIPOffset};

use super::group::{decode_topic_partitions, encode_topic_partitions, TopicPartitions};
use super::wire::{decode_error_code, encode_optional_string, encode_tables};
use crate::generated as fb;
use crate::ErrorCode;

/// The member epoch of an admin commit: made without being a member, accepted only while the
/// group has no members (otherwise `GroupNotEmpty`).
pub const ADMIN_MEMBER_EPOCH: i32 = -1;

/// Commits consumed offsets for a group.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OffsetCommitRequest {
    /// The group.
    pub group_id: String,
    /// The committing member; empty for an admin commit.
    pub member_id: String,
    /// The member's epoch; [`ADMIN_MEMBER_EPOCH`] for an admin commit.
    pub member_epoch: i32,
    /// Offsets per topic and partition.
    pub topics: Vec<OffsetCommitTopic>,
}

impl OffsetCommitRequest {
    /// An admin commit (e.g. a reset tool): no member, epoch [`ADMIN_MEMBER_EPOCH`]. The
    /// broker accepts it only while the group is empty.
    pub fn admin(group_id: impl Into<String>, topics: Vec<OffsetCommitTopic>) -> Self {
        Self {
            group_id: group_id.into(),
            member_id: String::new(),
            member_epoch: ADMIN_MEMBER_EPOCH,
            topics,
        }
    }
}

/// One topic's offsets to commit.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OffsetCommitTopic {
    /// Topic name.
    pub name: String,
    /// Offsets per partition.
    pub partitions: Vec<OffsetCommitPartition>,
}

/// One partition's offset to commit.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OffsetCommitPartition {
    /// Partition index.
    pub partition: u32,
    /// The next offset to consume (one past the last processed record).
    pub offset: i64,
    /// Leader epoch of the last consumed record, -1 if unknown.
    pub leader_epoch: i32,
    /// Free-form application data stored with the offset.
    pub metadata: Option<String>,
}

/// The outcome of an OffsetCommit.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OffsetCommitResponse {
    /// Top-level error (`FencedMemberEpoch`, `GroupNotEmpty`, ...).
    pub error_code: ErrorCode,
    /// Results per topic.
    pub topics: Vec<OffsetCommitTopicResult>,
}

/// One topic's commit results.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OffsetCommitTopicResult {
    /// Topic name.
    pub name: String,
    /// Results per partition.
    pub partitions: Vec<OffsetCommitPartitionResult>,
}

/// One partition's commit result.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OffsetCommitPartitionResult {
    /// Partition index.
    pub partition: u32,
    /// Per-partition error.
    pub error_code: ErrorCode,
}

/// Reads a group's committed offsets.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OffsetFetchRequest {
    /// The group.
    pub group_id: String,
    /// Partitions to read, or `None` for every partition the group has committed.
    pub topics: Option<Vec<TopicPartitions>>,
}

/// A group's committed offsets.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OffsetFetchResponse {
    /// Top-level error.
    pub error_code: ErrorCode,
    /// Offsets per topic.
    pub topics: Vec<OffsetFetchTopicResult>,
}

/// One topic's committed offsets.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OffsetFetchTopicResult {
    /// Topic name.
    pub name: String,
    /// Offsets per partition.
    pub partitions: Vec<OffsetFetchPartitionResult>,
}

/// One partition's committed offset.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OffsetFetchPartitionResult {
    /// Partition index.
    pub partition: u32,
    /// Per-partition error.
    pub error_code: ErrorCode,
    /// The committed offset, -1 if nothing was committed.
    pub offset: i64,
    /// The committed leader epoch, -1 if unknown.
    pub leader_epoch: i32,
    /// The metadata stored with the offset.
    pub metadata: Option<String>,
}

pub(crate) fn encode_offset_fetch_topics<'b>(
    fbb: &mut FlatBufferBuilder<'b>,
    topics: &[OffsetFetchTopicResult],
) -> WIPOffset<Vector<'b, ForwardsUOffset<fb::OffsetFetchTopicResult<'b>>>> {
    encode_tables(fbb, topics, |fbb, topic| {
        let name = fbb.create_string(&topic.name);
        let partitions = encode_tables(fbb, &topic.partitions, |fbb, partition| {
            let metadata = encode_optional_string(fbb, partition.metadata.as_deref());
            fb::OffsetFetchPartitionResult::create(
                fbb,
                &fb::OffsetFetchPartitionResultArgs {
                    partition: partition.partition,
                    error_code: partition.error_code.as_u16(),
                    offset: partition.offset,
                    leader_epoch: partition.leader_epoch,
                    metadata,
                },
            )
        });
        fb::OffsetFetchTopicResult::create(
            fbb,
            &fb::OffsetFetchTopicResultArgs { name: Some(name), partitions: Some(partitions) },
        )
    })
}

pub(crate) fn decode_offset_fetch_topics(
    topics: Vector<'_, ForwardsUOffset<fb::OffsetFetchTopicResult<'_>>>,
) -> Vec<OffsetFetchTopicResult> {
    topics
        .iter()
        .map(|topic| OffsetFetchTopicResult {
            name: topic.name().to_owned(),
            partitions: topic
                .partitions()
                .iter()
                .map(|partition| OffsetFetchPartitionResult {
                    partition: partition.partition(),
                    error_code: decode_error_code(partition.error_code()),
                    offset: partition.offset(),
                    leader_epoch: partition.leader_epoch(),
                    metadata: partition.metadata().map(str::to_owned),
                })
                .collect(),
        })
        .collect()
}

impl OffsetCommitRequest {
    pub(crate) fn encode<'b>(
        &self,
        fbb: &mut FlatBufferBuilder<'b>,
    ) -> WIPOffset<fb::OffsetCommitRequest<'b>> {
        let group_id = fbb.create_string(&self.group_id);
        let member_id = fbb.create_string(&self.member_id);
        let topics = encode_tables(fbb, &self.topics, |fbb, topic| {
            let name = fbb.create_string(&topic.name);
            let partitions = encode_tables(fbb, &topic.partitions, |fbb, partition| {
                let metadata = encode_optional_string(fbb, partition.metadata.as_deref());
                fb::OffsetCommitPartition::create(
                    fbb,
                    &fb::OffsetCommitPartitionArgs {
                        partition: partition.partition,
                        offset: partition.offset,
                        leader_epoch: partition.leader_epoch,
                        metadata,
                    },
                )
            });
            fb::OffsetCommitTopic::create(
                fbb,
                &fb::OffsetCommitTopicArgs { name: Some(name), partitions: Some(partitions) },
            )
        });
        fb::OffsetCommitRequest::create(
            fbb,
            &fb::OffsetCommitRequestArgs {
                group_id: Some(group_id),
                member_id: Some(member_id),
                member_epoch: self.member_epoch,
                topics: Some(topics),
            },
        )
    }

    pub(crate) fn decode(view: fb::OffsetCommitRequest<'_>) -> Self {
        Self {
            group_id: view.group_id().to_owned(),
            member_id: view.member_id().to_owned(),
            member_epoch: view.member_epoch(),
            topics: view
                .topics()
                .iter()
                .map(|topic| OffsetCommitTopic {
                    name: topic.name().to_owned(),
                    partitions: topic
                        .partitions()
                        .iter()
                        .map(|partition| OffsetCommitPartition {
                            partition: partition.partition(),
                            offset: partition.offset(),
                            leader_epoch: partition.leader_epoch(),
                            metadata: partition.metadata().map(str::to_owned),
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

impl OffsetCommitResponse {
    pub(crate) fn encode<'b>(
        &self,
        fbb: &mut FlatBufferBuilder<'b>,
    ) -> WIPOffset<fb::OffsetCommitResponse<'b>> {
        let topics = encode_tables(fbb, &self.topics, |fbb, topic| {
            let name = fbb.create_string(&topic.name);
            let partitions = encode_tables(fbb, &topic.partitions, |fbb, partition| {
                fb::OffsetCommitPartitionResult::create(
                    fbb,
                    &fb::OffsetCommitPartitionResultArgs {
                        partition: partition.partition,
                        error_code: partition.error_code.as_u16(),
                    },
                )
            });
            fb::OffsetCommitTopicResult::create(
                fbb,
                &fb::OffsetCommitTopicResultArgs { name: Some(name), partitions: Some(partitions) },
            )
        });
        fb::OffsetCommitResponse::create(
            fbb,
            &fb::OffsetCommitResponseArgs {
                error_code: self.error_code.as_u16(),
                topics: Some(topics),
            },
        )
    }

    pub(crate) fn decode(view: fb::OffsetCommitResponse<'_>) -> Self {
        Self {
            error_code: decode_error_code(view.error_code()),
            topics: view
                .topics()
                .iter()
                .map(|topic| OffsetCommitTopicResult {
                    name: topic.name().to_owned(),
                    partitions: topic
                        .partitions()
                        .iter()
                        .map(|partition| OffsetCommitPartitionResult {
                            partition: partition.partition(),
                            error_code: decode_error_code(partition.error_code()),
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

impl OffsetFetchRequest {
    pub(crate) fn encode<'b>(
        &self,
        fbb: &mut FlatBufferBuilder<'b>,
    ) -> WIPOffset<fb::OffsetFetchRequest<'b>> {
        let group_id = fbb.create_string(&self.group_id);
        let topics = self.topics.as_deref().map(|topics| encode_topic_partitions(fbb, topics));
        fb::OffsetFetchRequest::create(
            fbb,
            &fb::OffsetFetchRequestArgs { group_id: Some(group_id), topics },
        )
    }

    pub(crate) fn decode(view: fb::OffsetFetchRequest<'_>) -> Self {
        Self {
            group_id: view.group_id().to_owned(),
            topics: view.topics().map(decode_topic_partitions),
        }
    }
}

impl OffsetFetchResponse {
    pub(crate) fn encode<'b>(
        &self,
        fbb: &mut FlatBufferBuilder<'b>,
    ) -> WIPOffset<fb::OffsetFetchResponse<'b>> {
        let topics = encode_offset_fetch_topics(fbb, &self.topics);
        fb::OffsetFetchResponse::create(
            fbb,
            &fb::OffsetFetchResponseArgs {
                error_code: self.error_code.as_u16(),
                topics: Some(topics),
            },
        )
    }

    pub(crate) fn decode(view: fb::OffsetFetchResponse<'_>) -> Self {
        Self {
            error_code: decode_error_code(view.error_code()),
            topics: decode_offset_fetch_topics(view.topics()),
        }
    }
}
