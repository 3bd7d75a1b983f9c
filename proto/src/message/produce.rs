//! Produce: append record batches to partitions.

use flatbuffers::{FlatBufferBuilder, WIPOffset};

use super::payload::{PayloadReader, PayloadWriter};
use super::wire::{decode_error_code, encode_tables};
use super::{BatchBytes, DecodeErrorKind};
use crate::generated as fb;
use crate::ErrorCode;

/// How much durability a produce waits for before it is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Acks {
    /// No response at all: fire and forget.
    None,
    /// The partition leader appended the batch, under the topic's flush policy.
    Leader,
    /// Every in-sync replica appended the batch. The default.
    #[default]
    All,
}

impl Acks {
    fn to_wire(self) -> fb::Acks {
        match self {
            Acks::None => fb::Acks::None,
            Acks::Leader => fb::Acks::Leader,
            Acks::All => fb::Acks::All,
        }
    }

    pub(crate) fn from_wire(value: fb::Acks) -> Result<Self, DecodeErrorKind> {
        match value {
            fb::Acks::None => Ok(Acks::None),
            fb::Acks::Leader => Ok(Acks::Leader),
            fb::Acks::All => Ok(Acks::All),
            other => Err(DecodeErrorKind::InvalidValue {
                field: "ProduceRequest.acks",
                value: i64::from(other.0),
            }),
        }
    }
}

/// Appends record batches.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProduceRequest {
    /// What the response waits for.
    pub acks: Acks,
    /// How long the broker may wait for `acks`.
    pub timeout_ms: u32,
    /// Batches per topic and partition.
    pub topics: Vec<ProduceTopic>,
}

/// One topic's batches.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProduceTopic {
    /// Topic name.
    pub name: String,
    /// Batches per partition.
    pub partitions: Vec<ProducePartition>,
}

/// One partition's batches.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProducePartition {
    /// Partition index.
    pub partition: u32,
    /// One or more record batches, back to back; carried in the frame payload.
    pub records: BatchBytes,
}

/// The outcome of a produce.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProduceResponse {
    /// Top-level error.
    pub error_code: ErrorCode,
    /// Results per topic.
    pub topics: Vec<ProduceTopicResult>,
}

/// One topic's produce results.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProduceTopicResult {
    /// Topic name.
    pub name: String,
    /// Results per partition.
    pub partitions: Vec<ProducePartitionResult>,
}

/// One partition's produce result.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProducePartitionResult {
    /// Partition index.
    pub partition: u32,
    /// Per-partition error.
    pub error_code: ErrorCode,
    /// Offset given to the first record, -1 on error.
    pub base_offset: i64,
    /// Broker time of the append, -1 unless the topic uses log-append time.
    pub log_append_time_ms: i64,
    /// The partition's first offset after the append.
    pub log_start_offset: i64,
}

impl ProduceRequest {
    pub(crate) fn encode<'b>(
        &self,
        fbb: &mut FlatBufferBuilder<'b>,
        payload: &mut PayloadWriter,
    ) -> WIPOffset<fb::ProduceRequest<'b>> {
        let topics = encode_tables(fbb, &self.topics, |fbb, topic| {
            let name = fbb.create_string(&topic.name);
            let partitions = encode_tables(fbb, &topic.partitions, |fbb, partition| {
                let records = payload.push(&partition.records);
                fb::ProducePartition::create(
                    fbb,
                    &fb::ProducePartitionArgs {
                        partition: partition.partition,
                        records: Some(&records),
                    },
                )
            });
            fb::ProduceTopic::create(
                fbb,
                &fb::ProduceTopicArgs { name: Some(name), partitions: Some(partitions) },
            )
        });
        fb::ProduceRequest::create(
            fbb,
            &fb::ProduceRequestArgs {
                acks: self.acks.to_wire(),
                timeout_ms: self.timeout_ms,
                topics: Some(topics),
            },
        )
    }

    pub(crate) fn decode(
        view: fb::ProduceRequest<'_>,
        payload: PayloadReader<'_>,
    ) -> Result<Self, DecodeErrorKind> {
        Ok(Self {
            acks: Acks::from_wire(view.acks())?,
            timeout_ms: view.timeout_ms(),
            topics: view
                .topics()
                .iter()
                .map(|topic| {
                    Ok(ProduceTopic {
                        name: topic.name().to_owned(),
                        partitions: topic
                            .partitions()
                            .iter()
                            .map(|partition| {
                                Ok(ProducePartition {
                                    partition: partition.partition(),
                                    records: payload.slice(partition.records())?,
                                })
                            })
                            .collect::<Result<_, DecodeErrorKind>>()?,
                    })
                })
                .collect::<Result<_, DecodeErrorKind>>()?,
        })
    }
}

impl ProduceResponse {
    pub(crate) fn encode<'b>(
        &self,
        fbb: &mut FlatBufferBuilder<'b>,
    ) -> WIPOffset<fb::ProduceResponse<'b>> {
        let topics = encode_tables(fbb, &self.topics, |fbb, topic| {
            let name = fbb.create_string(&topic.name);
            let partitions = encode_tables(fbb, &topic.partitions, |fbb, partition| {
                fb::ProducePartitionResult::create(
                    fbb,
                    &fb::ProducePartitionResultArgs {
                        partition: partition.partition,
                        error_code: partition.error_code.as_u16(),
                        base_offset: partition.base_offset,
                        log_append_time_ms: partition.log_append_time_ms,
                        log_start_offset: partition.log_start_offset,
                    },
                )
            });
            fb::ProduceTopicResult::create(
                fbb,
                &fb::ProduceTopicResultArgs { name: Some(name), partitions: Some(partitions) },
            )
        });
        fb::ProduceResponse::create(
            fbb,
            &fb::ProduceResponseArgs { error_code: self.error_code.as_u16(), topics: Some(topics) },
        )
    }

    pub(crate) fn decode(view: fb::ProduceResponse<'_>) -> Self {
        Self {
            error_code: decode_error_code(view.error_code()),
            topics: view
                .topics()
                .iter()
                .map(|topic| ProduceTopicResult {
                    name: topic.name().to_owned(),
                    partitions: topic
                        .partitions()
                        .iter()
                        .map(|partition| ProducePartitionResult {
                            partition: partition.partition(),
                            error_code: decode_error_code(partition.error_code()),
                            base_offset: partition.base_offset(),
                            log_append_time_ms: partition.log_append_time_ms(),
                            log_start_offset: partition.log_start_offset(),
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}
