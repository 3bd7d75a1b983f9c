//! ListOffsets: find a partition's earliest or latest offset, or the first at a time.

use flatbuffers::{FlatBufferBuilder, WIPOffset};

use super::wire::{decode_error_code, encode_tables};
use super::DecodeErrorKind;
use crate::generated as fb;
use crate::ErrorCode;

/// Wire sentinel for [`OffsetQuery::Latest`].
pub const LATEST_TIMESTAMP: i64 = -1;
/// Wire sentinel for [`OffsetQuery::Earliest`].
pub const EARLIEST_TIMESTAMP: i64 = -2;

/// Which offset to look up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OffsetQuery {
    /// The high watermark: where the next record will go.
    Latest,
    /// The log start offset: the oldest record still kept.
    Earliest,
    /// The first offset whose timestamp is at or after this time (ms since the Unix epoch).
    /// Values above `i64::MAX` are sent as `i64::MAX` (after every record either way).
    AtTimestamp(u64),
}

impl OffsetQuery {
    /// The wire timestamp: -1 latest, -2 earliest, otherwise the time.
    pub fn to_wire(self) -> i64 {
        match self {
            OffsetQuery::Latest => LATEST_TIMESTAMP,
            OffsetQuery::Earliest => EARLIEST_TIMESTAMP,
            OffsetQuery::AtTimestamp(timestamp_ms) => {
                i64::try_from(timestamp_ms).unwrap_or(i64::MAX)
            }
        }
    }

    /// Reads a wire timestamp; negative values other than the two sentinels are invalid.
    pub fn from_wire(timestamp: i64) -> Option<Self> {
        match timestamp {
            LATEST_TIMESTAMP => Some(OffsetQuery::Latest),
            EARLIEST_TIMESTAMP => Some(OffsetQuery::Earliest),
            timestamp_ms => u64::try_from(timestamp_ms).ok().map(OffsetQuery::AtTimestamp),
        }
    }
}

/// Looks up offsets.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListOffsetsRequest {
    /// Queries per topic and partition.
    pub topics: Vec<ListOffsetsTopic>,
}

/// One topic's queries.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListOffsetsTopic {
    /// Topic name.
    pub name: String,
    /// Queries per partition.
    pub partitions: Vec<ListOffsetsPartition>,
}

/// One partition's query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListOffsetsPartition {
    /// Partition index.
    pub partition: u32,
    /// What to look up.
    pub query: OffsetQuery,
}

/// Offsets found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListOffsetsResponse {
    /// Top-level error.
    pub error_code: ErrorCode,
    /// Results per topic.
    pub topics: Vec<ListOffsetsTopicResult>,
}

/// One topic's results.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListOffsetsTopicResult {
    /// Topic name.
    pub name: String,
    /// Results per partition.
    pub partitions: Vec<ListOffsetsPartitionResult>,
}

/// One partition's result.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListOffsetsPartitionResult {
    /// Partition index.
    pub partition: u32,
    /// Per-partition error.
    pub error_code: ErrorCode,
    /// Timestamp of the record found, -1 if none or not applicable.
    pub timestamp: i64,
    /// The offset found, -1 if none (no record at or after the timestamp).
    pub offset: i64,
}

impl ListOffsetsRequest {
    pub(crate) fn encode<'b>(
        &self,
        fbb: &mut FlatBufferBuilder<'b>,
    ) -> WIPOffset<fb::ListOffsetsRequest<'b>> {
        let topics = encode_tables(fbb, &self.topics, |fbb, topic| {
            let name = fbb.create_string(&topic.name);
            let partitions = encode_tables(fbb, &topic.partitions, |fbb, partition| {
                fb::ListOffsetsPartition::create(
                    fbb,
                    &fb::ListOffsetsPartitionArgs {
                        partition: partition.partition,
                        timestamp: partition.query.to_wire(),
                    },
                )
            });
            fb::ListOffsetsTopic::create(
                fbb,
                &fb::ListOffsetsTopicArgs { name: Some(name), partitions: Some(partitions) },
            )
        });
        fb::ListOffsetsRequest::create(fbb, &fb::ListOffsetsRequestArgs { topics: Some(topics) })
    }

    pub(crate) fn decode(view: fb::ListOffsetsRequest<'_>) -> Result<Self, DecodeErrorKind> {
        Ok(Self {
            topics: view
                .topics()
                .iter()
                .map(|topic| {
                    Ok(ListOffsetsTopic {
                        name: topic.name().to_owned(),
                        partitions: topic
                            .partitions()
                            .iter()
                            .map(|partition| {
                                let timestamp = partition.timestamp();
                                let query = OffsetQuery::from_wire(timestamp).ok_or(
                                    DecodeErrorKind::InvalidValue {
                                        field: "ListOffsetsPartition.timestamp",
                                        value: timestamp,
                                    },
                                )?;
                                Ok(ListOffsetsPartition { partition: partition.partition(), query })
                            })
                            .collect::<Result<_, DecodeErrorKind>>()?,
                    })
                })
                .collect::<Result<_, DecodeErrorKind>>()?,
        })
    }
}

impl ListOffsetsResponse {
    pub(crate) fn encode<'b>(
        &self,
        fbb: &mut FlatBufferBuilder<'b>,
    ) -> WIPOffset<fb::ListOffsetsResponse<'b>> {
        let topics = encode_tables(fbb, &self.topics, |fbb, topic| {
            let name = fbb.create_string(&topic.name);
            let partitions = encode_tables(fbb, &topic.partitions, |fbb, partition| {
                fb::ListOffsetsPartitionResult::create(
                    fbb,
                    &fb::ListOffsetsPartitionResultArgs {
                        partition: partition.partition,
                        error_code: partition.error_code.as_u16(),
                        timestamp: partition.timestamp,
                        offset: partition.offset,
                    },
                )
            });
            fb::ListOffsetsTopicResult::create(
                fbb,
                &fb::ListOffsetsTopicResultArgs { name: Some(name), partitions: Some(partitions) },
            )
        });
        fb::ListOffsetsResponse::create(
            fbb,
            &fb::ListOffsetsResponseArgs {
                error_code: self.error_code.as_u16(),
                topics: Some(topics),
            },
        )
    }

    pub(crate) fn decode(view: fb::ListOffsetsResponse<'_>) -> Self {
        Self {
            error_code: decode_error_code(view.error_code()),
            topics: view
                .topics()
                .iter()
                .map(|topic| ListOffsetsTopicResult {
                    name: topic.name().to_owned(),
                    partitions: topic
                        .partitions()
                        .iter()
                        .map(|partition| ListOffsetsPartitionResult {
                            partition: partition.partition(),
                            error_code: decode_error_code(partition.error_code()),
                            timestamp: partition.timestamp(),
                            offset: partition.offset(),
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}
