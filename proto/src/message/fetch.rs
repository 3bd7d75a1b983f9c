//! Fetch: read record batches, waiting (long poll) until enough are available.

use flatbuffers::{FlatBufferBuilder, WIPOffset};

use super::payload::{PayloadReader, PayloadWriter};
use super::wire::{decode_error_code, encode_tables};
use super::{BatchBytes, DecodeErrorKind};
use crate::generated as fb;
use crate::ErrorCode;

/// Reads batches from partitions. The broker answers once `min_bytes` are available or
/// `max_wait_ms` has passed, whichever comes first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FetchRequest {
    /// Longest the broker may hold the request waiting for data.
    pub max_wait_ms: u32,
    /// Answer as soon as this many bytes are available.
    pub min_bytes: u32,
    /// Upper bound on the response's batch bytes (at least one batch is always returned, so
    /// a consumer cannot get stuck behind a batch larger than this).
    pub max_bytes: u32,
    /// What to read, per topic and partition.
    pub topics: Vec<FetchTopic>,
}

/// One topic's partitions to read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FetchTopic {
    /// Topic name.
    pub name: String,
    /// Partitions to read.
    pub partitions: Vec<FetchPartition>,
}

/// Where to read one partition.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FetchPartition {
    /// Partition index.
    pub partition: u32,
    /// First offset wanted.
    pub fetch_offset: i64,
    /// Upper bound on this partition's batch bytes.
    pub partition_max_bytes: u32,
    /// The leader epoch the fetcher believes in; -1 skips the check.
    pub current_leader_epoch: i32,
}

/// Batches read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FetchResponse {
    /// Top-level error.
    pub error_code: ErrorCode,
    /// Results per topic.
    pub topics: Vec<FetchTopicResult>,
}

/// One topic's fetch results.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FetchTopicResult {
    /// Topic name.
    pub name: String,
    /// Results per partition.
    pub partitions: Vec<FetchPartitionResult>,
}

/// One partition's fetch result.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FetchPartitionResult {
    /// Partition index.
    pub partition: u32,
    /// Per-partition error.
    pub error_code: ErrorCode,
    /// The offset the next appended record will get.
    pub high_watermark: i64,
    /// First offset still in the log.
    pub log_start_offset: i64,
    /// Last stable offset (equals the high watermark until transactions exist).
    pub last_stable_offset: i64,
    /// The batches read, back to back; carried in the frame payload. May be empty.
    pub records: BatchBytes,
}

impl FetchRequest {
    pub(crate) fn encode<'b>(
        &self,
        fbb: &mut FlatBufferBuilder<'b>,
    ) -> WIPOffset<fb::FetchRequest<'b>> {
        let topics = encode_tables(fbb, &self.topics, |fbb, topic| {
            let name = fbb.create_string(&topic.name);
            let partitions = encode_tables(fbb, &topic.partitions, |fbb, partition| {
                fb::FetchPartition::create(
                    fbb,
                    &fb::FetchPartitionArgs {
                        partition: partition.partition,
                        fetch_offset: partition.fetch_offset,
                        partition_max_bytes: partition.partition_max_bytes,
                        current_leader_epoch: partition.current_leader_epoch,
                    },
                )
            });
            fb::FetchTopic::create(
                fbb,
                &fb::FetchTopicArgs { name: Some(name), partitions: Some(partitions) },
            )
        });
        fb::FetchRequest::create(
            fbb,
            &fb::FetchRequestArgs {
                max_wait_ms: self.max_wait_ms,
                min_bytes: self.min_bytes,
                max_bytes: self.max_bytes,
                topics: Some(topics),
            },
        )
    }

    pub(crate) fn decode(view: fb::FetchRequest<'_>) -> Self {
        Self {
            max_wait_ms: view.max_wait_ms(),
            min_bytes: view.min_bytes(),
            max_bytes: view.max_bytes(),
            topics: view
                .topics()
                .iter()
                .map(|topic| FetchTopic {
                    name: topic.name().to_owned(),
                    partitions: topic
                        .partitions()
                        .iter()
                        .map(|partition| FetchPartition {
                            partition: partition.partition(),
                            fetch_offset: partition.fetch_offset(),
                            partition_max_bytes: partition.partition_max_bytes(),
                            current_leader_epoch: partition.current_leader_epoch(),
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

impl FetchResponse {
    pub(crate) fn encode<'b>(
        &self,
        fbb: &mut FlatBufferBuilder<'b>,
        payload: &mut PayloadWriter,
    ) -> WIPOffset<fb::FetchResponse<'b>> {
        let topics = encode_tables(fbb, &self.topics, |fbb, topic| {
            let name = fbb.create_string(&topic.name);
            let partitions = encode_tables(fbb, &topic.partitions, |fbb, partition| {
                let records = payload.push(&partition.records);
                fb::FetchPartitionResult::create(
                    fbb,
                    &fb::FetchPartitionResultArgs {
                        partition: partition.partition,
                        error_code: partition.error_code.as_u16(),
                        high_watermark: partition.high_watermark,
                        log_start_offset: partition.log_start_offset,
                        last_stable_offset: partition.last_stable_offset,
                        records: Some(&records),
                    },
                )
            });
            fb::FetchTopicResult::create(
                fbb,
                &fb::FetchTopicResultArgs { name: Some(name), partitions: Some(partitions) },
            )
        });
        fb::FetchResponse::create(
            fbb,
            &fb::FetchResponseArgs { error_code: self.error_code.as_u16(), topics: Some(topics) },
        )
    }

    pub(crate) fn decode(
        view: fb::FetchResponse<'_>,
        payload: PayloadReader<'_>,
    ) -> Result<Self, DecodeErrorKind> {
        Ok(Self {
            error_code: decode_error_code(view.error_code()),
            topics: view
                .topics()
                .iter()
                .map(|topic| {
                    Ok(FetchTopicResult {
                        name: topic.name().to_owned(),
                        partitions: topic
                            .partitions()
                            .iter()
                            .map(|partition| {
                                Ok(FetchPartitionResult {
                                    partition: partition.partition(),
                                    error_code: decode_error_code(partition.error_code()),
                                    high_watermark: partition.high_watermark(),
                                    log_start_offset: partition.log_start_offset(),
                                    last_stable_offset: partition.last_stable_offset(),
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
