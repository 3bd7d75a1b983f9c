//! Run set-up: create the topic if missing, learn which shard owns each partition, and where
//! each partition's log ends (consumers start there).

use std::time::{Duration, Instant};

use sluice_proto::message::{
    CreatableTopic, CreateTopicsRequest, FlushPolicy, ListOffsetsPartition, ListOffsetsRequest,
    ListOffsetsTopic, MetadataRequest, OffsetQuery, Request, ResponseBody, TopicConfig,
};
use sluice_proto::ErrorCode;

use super::connection::{call, connect};
use crate::error::LoadgenError;

/// How long set-up waits for a freshly created topic to appear in metadata.
const TOPIC_READY_TIMEOUT: Duration = Duration::from_secs(10);

/// Where each partition of the topic lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicLayout {
    /// Topic name.
    pub topic: String,
    /// Per partition (index = partition): the owning shard's direct address.
    pub partition_addrs: Vec<String>,
    /// Per partition: the log end offset when the run started.
    pub start_offsets: Vec<i64>,
}

/// The flush policy a created topic gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreateFlushPolicy {
    /// The policy.
    pub policy: FlushPolicy,
    /// For `Interval`: the interval.
    pub interval_ms: Option<u64>,
}

/// Ensures `topic` exists (creating it with `partitions` partitions and `flush` if given) and
/// returns its layout. An existing topic is used as it is, whatever its partition count.
pub async fn prepare_topic(
    broker: &str,
    topic: &str,
    partitions: u32,
    flush: Option<CreateFlushPolicy>,
) -> Result<TopicLayout, LoadgenError> {
    let (mut writer, mut reader) = connect(broker).await?;
    let deadline = Instant::now() + TOPIC_READY_TIMEOUT;
    let mut created = false;
    let partition_addrs = loop {
        let request = Request::new(0, MetadataRequest { topics: vec![topic.to_owned()] });
        let metadata = match call(&mut writer, &mut reader, request).await?.body {
            ResponseBody::Metadata(m) => m,
            other => return Err(unexpected("metadata", &other)),
        };
        let entry = metadata.topics.into_iter().find(|t| t.name == topic);
        match entry {
            Some(t) if t.error_code == ErrorCode::None && !t.partitions.is_empty() => {
                let mut addrs = vec![String::new(); t.partitions.len()];
                for p in t.partitions {
                    let slot = addrs.get_mut(p.partition as usize).ok_or_else(|| {
                        LoadgenError::Protocol(format!("partition {} out of range", p.partition))
                    })?;
                    *slot = format!("{}:{}", p.shard_host, p.shard_port);
                }
                break addrs;
            }
            Some(t) if t.error_code != ErrorCode::UnknownTopic => {
                return Err(LoadgenError::Refused {
                    what: format!("metadata of {topic}"),
                    code: t.error_code,
                });
            }
            _ if !created => {
                create(&mut writer, &mut reader, topic, partitions, flush).await?;
                created = true;
            }
            _ if Instant::now() >= deadline => {
                return Err(LoadgenError::Protocol(format!(
                    "topic {topic} was created but did not appear within {TOPIC_READY_TIMEOUT:?}"
                )));
            }
            _ => glommio::timer::sleep(Duration::from_millis(20)).await,
        }
    };
    let start_offsets =
        latest_offsets(&mut writer, &mut reader, topic, partition_addrs.len()).await?;
    Ok(TopicLayout { topic: topic.to_owned(), partition_addrs, start_offsets })
}

async fn create(
    writer: &mut super::RequestWriter,
    reader: &mut super::ResponseReader,
    topic: &str,
    partitions: u32,
    flush: Option<CreateFlushPolicy>,
) -> Result<(), LoadgenError> {
    let config = TopicConfig {
        partitions: Some(partitions),
        flush_policy: flush.map(|f| f.policy),
        flush_interval_ms: flush.and_then(|f| f.interval_ms),
        ..TopicConfig::default()
    };
    let request = Request::new(
        0,
        CreateTopicsRequest {
            topics: vec![CreatableTopic { name: topic.to_owned(), config }],
            timeout_ms: 10_000,
            validate_only: false,
        },
    );
    let response = match call(writer, reader, request).await?.body {
        ResponseBody::CreateTopics(r) => r,
        other => return Err(unexpected("create topics", &other)),
    };
    let code = response.topics.first().map_or(response.error_code, |t| t.error_code);
    match code {
        // Another loadgen may have created it between our metadata call and this one.
        ErrorCode::None | ErrorCode::TopicAlreadyExists => Ok(()),
        code => Err(LoadgenError::Refused { what: format!("creating topic {topic}"), code }),
    }
}

async fn latest_offsets(
    writer: &mut super::RequestWriter,
    reader: &mut super::ResponseReader,
    topic: &str,
    partitions: usize,
) -> Result<Vec<i64>, LoadgenError> {
    let request = Request::new(
        0,
        ListOffsetsRequest {
            topics: vec![ListOffsetsTopic {
                name: topic.to_owned(),
                partitions: (0..partitions as u32)
                    .map(|partition| ListOffsetsPartition { partition, query: OffsetQuery::Latest })
                    .collect(),
            }],
        },
    );
    let response = match call(writer, reader, request).await?.body {
        ResponseBody::ListOffsets(r) => r,
        other => return Err(unexpected("list offsets", &other)),
    };
    let mut offsets = vec![0i64; partitions];
    for t in response.topics {
        for p in t.partitions {
            if p.error_code != ErrorCode::None {
                return Err(LoadgenError::Refused {
                    what: format!("list offsets of {topic}/{}", p.partition),
                    code: p.error_code,
                });
            }
            if let Some(slot) = offsets.get_mut(p.partition as usize) {
                *slot = p.offset.max(0);
            }
        }
    }
    Ok(offsets)
}

fn unexpected(what: &str, body: &ResponseBody) -> LoadgenError {
    match body {
        ResponseBody::Error(e) => {
            LoadgenError::Refused { what: what.to_owned(), code: e.error_code }
        }
        other => {
            LoadgenError::Protocol(format!("{what}: unexpected response {:?}", other.api_key()))
        }
    }
}
