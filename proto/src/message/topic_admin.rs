//! Topic administration: CreateTopics, DeleteTopics, ListTopics, DescribeTopics.

use flatbuffers::{FlatBufferBuilder, WIPOffset};

use super::wire::{
    decode_error_code, decode_strings, encode_optional_string, encode_strings, encode_tables,
};
use super::DecodeErrorKind;
use crate::generated as fb;
use crate::ErrorCode;

/// When a partition's appends are made durable, and so what an acknowledgement promises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FlushPolicy {
    /// Acknowledged means on disk (fdatasync done). The default.
    Always,
    /// Synced at least every `flush_interval_ms`; an acknowledged write can be lost if the
    /// machine fails within that window.
    Interval,
    /// Syncing is left to the operating system.
    Never,
}

impl FlushPolicy {
    fn to_wire(self) -> fb::FlushPolicy {
        match self {
            FlushPolicy::Always => fb::FlushPolicy::Always,
            FlushPolicy::Interval => fb::FlushPolicy::Interval,
            FlushPolicy::Never => fb::FlushPolicy::Never,
        }
    }

    fn from_wire(value: fb::FlushPolicy) -> Result<Self, DecodeErrorKind> {
        match value {
            fb::FlushPolicy::Always => Ok(FlushPolicy::Always),
            fb::FlushPolicy::Interval => Ok(FlushPolicy::Interval),
            fb::FlushPolicy::Never => Ok(FlushPolicy::Never),
            other => Err(DecodeErrorKind::InvalidValue {
                field: "TopicConfig.flush_policy",
                value: i64::from(other.0),
            }),
        }
    }
}

/// A topic's configuration. `None` means "unset": the broker's default applies (in requests)
/// or the broker did not report it (in responses).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TopicConfig {
    /// Number of partitions.
    pub partitions: Option<u32>,
    /// Copies of each partition.
    pub replication_factor: Option<u16>,
    /// A segment rolls once it holds this many bytes.
    pub segment_bytes: Option<u64>,
    /// A segment rolls once its first batch is this old.
    pub segment_ms: Option<u64>,
    /// Old segments are deleted while the partition holds more than this; -1 = unlimited.
    pub retention_bytes: Option<i64>,
    /// Segments older than this are deleted; -1 = forever.
    pub retention_ms: Option<i64>,
    /// When appends are synced to disk.
    pub flush_policy: Option<FlushPolicy>,
    /// The sync interval under [`FlushPolicy::Interval`].
    pub flush_interval_ms: Option<u64>,
}

impl TopicConfig {
    fn encode<'b>(&self, fbb: &mut FlatBufferBuilder<'b>) -> WIPOffset<fb::TopicConfig<'b>> {
        fb::TopicConfig::create(
            fbb,
            &fb::TopicConfigArgs {
                partitions: self.partitions,
                replication_factor: self.replication_factor,
                segment_bytes: self.segment_bytes,
                segment_ms: self.segment_ms,
                retention_bytes: self.retention_bytes,
                retention_ms: self.retention_ms,
                flush_policy: self.flush_policy.map(FlushPolicy::to_wire),
                flush_interval_ms: self.flush_interval_ms,
            },
        )
    }

    fn decode(view: Option<fb::TopicConfig<'_>>) -> Result<Self, DecodeErrorKind> {
        let Some(view) = view else {
            return Ok(Self::default());
        };
        Ok(Self {
            partitions: view.partitions(),
            replication_factor: view.replication_factor(),
            segment_bytes: view.segment_bytes(),
            segment_ms: view.segment_ms(),
            retention_bytes: view.retention_bytes(),
            retention_ms: view.retention_ms(),
            flush_policy: view.flush_policy().map(FlushPolicy::from_wire).transpose()?,
            flush_interval_ms: view.flush_interval_ms(),
        })
    }
}

/// One topic to create.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CreatableTopic {
    /// Topic name.
    pub name: String,
    /// Its configuration; unset fields take the broker's defaults.
    pub config: TopicConfig,
}

/// Creates topics.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CreateTopicsRequest {
    /// Topics to create.
    pub topics: Vec<CreatableTopic>,
    /// How long the broker may take.
    pub timeout_ms: u32,
    /// Check the request without creating anything.
    pub validate_only: bool,
}

/// The outcome for one topic of a CreateTopics or DeleteTopics request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TopicResult {
    /// Topic name.
    pub name: String,
    /// Per-topic error.
    pub error_code: ErrorCode,
    /// Details for a human, if any.
    pub error_message: Option<String>,
}

/// The outcome of a CreateTopics request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CreateTopicsResponse {
    /// Top-level error.
    pub error_code: ErrorCode,
    /// One result per requested topic.
    pub topics: Vec<TopicResult>,
}

/// Deletes topics.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeleteTopicsRequest {
    /// Topics to delete.
    pub names: Vec<String>,
    /// How long the broker may take.
    pub timeout_ms: u32,
}

/// The outcome of a DeleteTopics request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeleteTopicsResponse {
    /// Top-level error.
    pub error_code: ErrorCode,
    /// One result per requested topic.
    pub topics: Vec<TopicResult>,
}

/// Lists every topic.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListTopicsRequest {}

/// A topic in a ListTopics response.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TopicListing {
    /// Topic name.
    pub name: String,
    /// Number of partitions.
    pub partition_count: u32,
}

/// Every topic.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListTopicsResponse {
    /// Top-level error.
    pub error_code: ErrorCode,
    /// The topics.
    pub topics: Vec<TopicListing>,
}

/// Asks for topics' configuration and per-partition offsets.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DescribeTopicsRequest {
    /// Topics to describe; empty means every topic.
    pub names: Vec<String>,
}

/// One partition in a DescribeTopics response.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PartitionDescription {
    /// Partition index.
    pub partition: u32,
    /// Per-partition error.
    pub error_code: ErrorCode,
    /// The shard that owns the partition.
    pub shard_id: u32,
    /// The leader's node id, -1 if none.
    pub leader_id: i32,
    /// The leader epoch, -1 if unknown.
    pub leader_epoch: i32,
    /// First offset still in the log.
    pub log_start_offset: i64,
    /// The high watermark: the offset the next record will get.
    pub log_end_offset: i64,
}

/// One topic in a DescribeTopics response.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TopicDescription {
    /// Topic name.
    pub name: String,
    /// Per-topic error.
    pub error_code: ErrorCode,
    /// The effective configuration, broker defaults filled in.
    pub config: TopicConfig,
    /// The partitions.
    pub partitions: Vec<PartitionDescription>,
}

/// Topics' configuration and offsets.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DescribeTopicsResponse {
    /// Top-level error.
    pub error_code: ErrorCode,
    /// The topics.
    pub topics: Vec<TopicDescription>,
}

fn encode_topic_results<'b>(
    fbb: &mut FlatBufferBuilder<'b>,
    results: &[TopicResult],
) -> WIPOffset<flatbuffers::Vector<'b, flatbuffers::ForwardsUOffset<fb::TopicResult<'b>>>> {
    encode_tables(fbb, results, |fbb, result| {
        let name = fbb.create_string(&result.name);
        let error_message = encode_optional_string(fbb, result.error_message.as_deref());
        fb::TopicResult::create(
            fbb,
            &fb::TopicResultArgs {
                name: Some(name),
                error_code: result.error_code.as_u16(),
                error_message,
            },
        )
    })
}

fn decode_topic_results(
    results: flatbuffers::Vector<'_, flatbuffers::ForwardsUOffset<fb::TopicResult<'_>>>,
) -> Vec<TopicResult> {
    results
        .iter()
        .map(|result| TopicResult {
            name: result.name().to_owned(),
            error_code: decode_error_code(result.error_code()),
            error_message: result.error_message().map(str::to_owned),
        })
        .collect()
}

impl CreateTopicsRequest {
    pub(crate) fn encode<'b>(
        &self,
        fbb: &mut FlatBufferBuilder<'b>,
    ) -> WIPOffset<fb::CreateTopicsRequest<'b>> {
        let topics = encode_tables(fbb, &self.topics, |fbb, topic| {
            let name = fbb.create_string(&topic.name);
            let config = topic.config.encode(fbb);
            fb::CreatableTopic::create(
                fbb,
                &fb::CreatableTopicArgs { name: Some(name), config: Some(config) },
            )
        });
        fb::CreateTopicsRequest::create(
            fbb,
            &fb::CreateTopicsRequestArgs {
                topics: Some(topics),
                timeout_ms: self.timeout_ms,
                validate_only: self.validate_only,
            },
        )
    }

    pub(crate) fn decode(view: fb::CreateTopicsRequest<'_>) -> Result<Self, DecodeErrorKind> {
        Ok(Self {
            topics: view
                .topics()
                .iter()
                .map(|topic| {
                    Ok(CreatableTopic {
                        name: topic.name().to_owned(),
                        config: TopicConfig::decode(topic.config())?,
                    })
                })
                .collect::<Result<_, DecodeErrorKind>>()?,
            timeout_ms: view.timeout_ms(),
            validate_only: view.validate_only(),
        })
    }
}

impl CreateTopicsResponse {
    pub(crate) fn encode<'b>(
        &self,
        fbb: &mut FlatBufferBuilder<'b>,
    ) -> WIPOffset<fb::CreateTopicsResponse<'b>> {
        let topics = encode_topic_results(fbb, &self.topics);
        fb::CreateTopicsResponse::create(
            fbb,
            &fb::CreateTopicsResponseArgs {
                error_code: self.error_code.as_u16(),
                topics: Some(topics),
            },
        )
    }

    pub(crate) fn decode(view: fb::CreateTopicsResponse<'_>) -> Self {
        Self {
            error_code: decode_error_code(view.error_code()),
            topics: decode_topic_results(view.topics()),
        }
    }
}

impl DeleteTopicsRequest {
    pub(crate) fn encode<'b>(
        &self,
        fbb: &mut FlatBufferBuilder<'b>,
    ) -> WIPOffset<fb::DeleteTopicsRequest<'b>> {
        let names = encode_strings(fbb, &self.names);
        fb::DeleteTopicsRequest::create(
            fbb,
            &fb::DeleteTopicsRequestArgs { names: Some(names), timeout_ms: self.timeout_ms },
        )
    }

    pub(crate) fn decode(view: fb::DeleteTopicsRequest<'_>) -> Self {
        Self { names: decode_strings(view.names()), timeout_ms: view.timeout_ms() }
    }
}

impl DeleteTopicsResponse {
    pub(crate) fn encode<'b>(
        &self,
        fbb: &mut FlatBufferBuilder<'b>,
    ) -> WIPOffset<fb::DeleteTopicsResponse<'b>> {
        let topics = encode_topic_results(fbb, &self.topics);
        fb::DeleteTopicsResponse::create(
            fbb,
            &fb::DeleteTopicsResponseArgs {
                error_code: self.error_code.as_u16(),
                topics: Some(topics),
            },
        )
    }

    pub(crate) fn decode(view: fb::DeleteTopicsResponse<'_>) -> Self {
        Self {
            error_code: decode_error_code(view.error_code()),
            topics: decode_topic_results(view.topics()),
        }
    }
}

impl ListTopicsRequest {
    pub(crate) fn encode<'b>(
        &self,
        fbb: &mut FlatBufferBuilder<'b>,
    ) -> WIPOffset<fb::ListTopicsRequest<'b>> {
        fb::ListTopicsRequest::create(fbb, &fb::ListTopicsRequestArgs {})
    }

    pub(crate) fn decode(_view: fb::ListTopicsRequest<'_>) -> Self {
        Self {}
    }
}

impl ListTopicsResponse {
    pub(crate) fn encode<'b>(
        &self,
        fbb: &mut FlatBufferBuilder<'b>,
    ) -> WIPOffset<fb::ListTopicsResponse<'b>> {
        let topics = encode_tables(fbb, &self.topics, |fbb, topic| {
            let name = fbb.create_string(&topic.name);
            fb::TopicListing::create(
                fbb,
                &fb::TopicListingArgs { name: Some(name), partition_count: topic.partition_count },
            )
        });
        fb::ListTopicsResponse::create(
            fbb,
            &fb::ListTopicsResponseArgs {
                error_code: self.error_code.as_u16(),
                topics: Some(topics),
            },
        )
    }

    pub(crate) fn decode(view: fb::ListTopicsResponse<'_>) -> Self {
        Self {
            error_code: decode_error_code(view.error_code()),
            topics: view
                .topics()
                .iter()
                .map(|topic| TopicListing {
                    name: topic.name().to_owned(),
                    partition_count: topic.partition_count(),
                })
                .collect(),
        }
    }
}

impl DescribeTopicsRequest {
    pub(crate) fn encode<'b>(
        &self,
        fbb: &mut FlatBufferBuilder<'b>,
    ) -> WIPOffset<fb::DescribeTopicsRequest<'b>> {
        let names = encode_strings(fbb, &self.names);
        fb::DescribeTopicsRequest::create(
            fbb,
            &fb::DescribeTopicsRequestArgs { names: Some(names) },
        )
    }

    pub(crate) fn decode(view: fb::DescribeTopicsRequest<'_>) -> Self {
        Self { names: decode_strings(view.names()) }
    }
}

impl DescribeTopicsResponse {
    pub(crate) fn encode<'b>(
        &self,
        fbb: &mut FlatBufferBuilder<'b>,
    ) -> WIPOffset<fb::DescribeTopicsResponse<'b>> {
        let topics = encode_tables(fbb, &self.topics, |fbb, topic| {
            let name = fbb.create_string(&topic.name);
            let config = topic.config.encode(fbb);
            let partitions = encode_tables(fbb, &topic.partitions, |fbb, partition| {
                fb::PartitionDescription::create(
                    fbb,
                    &fb::PartitionDescriptionArgs {
                        partition: partition.partition,
                        error_code: partition.error_code.as_u16(),
                        shard_id: partition.shard_id,
                        leader_id: partition.leader_id,
                        leader_epoch: partition.leader_epoch,
                        log_start_offset: partition.log_start_offset,
                        log_end_offset: partition.log_end_offset,
                    },
                )
            });
            fb::TopicDescription::create(
                fbb,
                &fb::TopicDescriptionArgs {
                    name: Some(name),
                    error_code: topic.error_code.as_u16(),
                    config: Some(config),
                    partitions: Some(partitions),
                },
            )
        });
        fb::DescribeTopicsResponse::create(
            fbb,
            &fb::DescribeTopicsResponseArgs {
                error_code: self.error_code.as_u16(),
                topics: Some(topics),
            },
        )
    }

    pub(crate) fn decode(view: fb::DescribeTopicsResponse<'_>) -> Result<Self, DecodeErrorKind> {
        Ok(Self {
            error_code: decode_error_code(view.error_code()),
            topics: view
                .topics()
                .iter()
                .map(|topic| {
                    Ok(TopicDescription {
                        name: topic.name().to_owned(),
                        error_code: decode_error_code(topic.error_code()),
                        config: TopicConfig::decode(topic.config())?,
                        partitions: topic
                            .partitions()
                            .iter()
                            .map(|partition| PartitionDescription {
                                partition: partition.partition(),
                                error_code: decode_error_code(partition.error_code()),
                                shard_id: partition.shard_id(),
                                leader_id: partition.leader_id(),
                                leader_epoch: partition.leader_epoch(),
                                log_start_offset: partition.log_start_offset(),
                                log_end_offset: partition.log_end_offset(),
                            })
                            .collect(),
                    })
                })
                .collect::<Result<_, DecodeErrorKind>>()?,
        })
    }
}
