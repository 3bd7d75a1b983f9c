//! Metadata: brokers, topics, partition leaders and the shard that owns each partition.

use flatbuffers::{FlatBufferBuilder, WIPOffset};

use super::wire::{decode_error_code, decode_strings, encode_strings, encode_tables};
use crate::generated as fb;
use crate::ErrorCode;

/// Asks for the cluster's brokers and the given topics' partitions.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MetadataRequest {
    /// Topics to describe; empty means every topic.
    pub topics: Vec<String>,
}

/// The cluster's brokers and the requested topics.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MetadataResponse {
    /// Top-level error.
    pub error_code: ErrorCode,
    /// Every live broker.
    pub brokers: Vec<BrokerMetadata>,
    /// The requested topics (each with its own error code).
    pub topics: Vec<TopicMetadata>,
}

/// A broker's client listener.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BrokerMetadata {
    /// Node id.
    pub node_id: i32,
    /// Host name or address of the client listener.
    pub host: String,
    /// Port of the client listener.
    pub port: u16,
}

/// One topic's partitions.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TopicMetadata {
    /// Topic name.
    pub name: String,
    /// Per-topic error (`UnknownTopic`, ...).
    pub error_code: ErrorCode,
    /// The partitions, by index.
    pub partitions: Vec<PartitionMetadata>,
}

/// Where one partition lives.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PartitionMetadata {
    /// Partition index.
    pub partition: u32,
    /// Per-partition error (`LeaderNotAvailable`, ...).
    pub error_code: ErrorCode,
    /// The leader's node id, -1 if none.
    pub leader_id: i32,
    /// The leader epoch, -1 if unknown.
    pub leader_epoch: i32,
    /// The leader's shard that owns the partition.
    pub shard_id: u32,
    /// Host of that shard's direct listener.
    pub shard_host: String,
    /// Port of that shard's direct listener.
    pub shard_port: u16,
}

impl MetadataRequest {
    pub(crate) fn encode<'b>(
        &self,
        fbb: &mut FlatBufferBuilder<'b>,
    ) -> WIPOffset<fb::MetadataRequest<'b>> {
        let topics = encode_strings(fbb, &self.topics);
        fb::MetadataRequest::create(fbb, &fb::MetadataRequestArgs { topics: Some(topics) })
    }

    pub(crate) fn decode(view: fb::MetadataRequest<'_>) -> Self {
        Self { topics: decode_strings(view.topics()) }
    }
}

impl MetadataResponse {
    pub(crate) fn encode<'b>(
        &self,
        fbb: &mut FlatBufferBuilder<'b>,
    ) -> WIPOffset<fb::MetadataResponse<'b>> {
        let brokers = encode_tables(fbb, &self.brokers, |fbb, broker| {
            let host = fbb.create_string(&broker.host);
            fb::BrokerMetadata::create(
                fbb,
                &fb::BrokerMetadataArgs {
                    node_id: broker.node_id,
                    host: Some(host),
                    port: broker.port,
                },
            )
        });
        let topics = encode_tables(fbb, &self.topics, |fbb, topic| {
            let name = fbb.create_string(&topic.name);
            let partitions = encode_tables(fbb, &topic.partitions, |fbb, partition| {
                let shard_host = fbb.create_string(&partition.shard_host);
                fb::PartitionMetadata::create(
                    fbb,
                    &fb::PartitionMetadataArgs {
                        partition: partition.partition,
                        error_code: partition.error_code.as_u16(),
                        leader_id: partition.leader_id,
                        leader_epoch: partition.leader_epoch,
                        shard_id: partition.shard_id,
                        shard_host: Some(shard_host),
                        shard_port: partition.shard_port,
                    },
                )
            });
            fb::TopicMetadata::create(
                fbb,
                &fb::TopicMetadataArgs {
                    name: Some(name),
                    error_code: topic.error_code.as_u16(),
                    partitions: Some(partitions),
                },
            )
        });
        fb::MetadataResponse::create(
            fbb,
            &fb::MetadataResponseArgs {
                error_code: self.error_code.as_u16(),
                brokers: Some(brokers),
                topics: Some(topics),
            },
        )
    }

    pub(crate) fn decode(view: fb::MetadataResponse<'_>) -> Self {
        Self {
            error_code: decode_error_code(view.error_code()),
            brokers: view
                .brokers()
                .iter()
                .map(|broker| BrokerMetadata {
                    node_id: broker.node_id(),
                    host: broker.host().to_owned(),
                    port: broker.port(),
                })
                .collect(),
            topics: view
                .topics()
                .iter()
                .map(|topic| TopicMetadata {
                    name: topic.name().to_owned(),
                    error_code: decode_error_code(topic.error_code()),
                    partitions: topic
                        .partitions()
                        .iter()
                        .map(|partition| PartitionMetadata {
                            partition: partition.partition(),
                            error_code: decode_error_code(partition.error_code()),
                            leader_id: partition.leader_id(),
                            leader_epoch: partition.leader_epoch(),
                            shard_id: partition.shard_id(),
                            shard_host: partition.shard_host().to_owned(),
                            shard_port: partition.shard_port(),
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}
