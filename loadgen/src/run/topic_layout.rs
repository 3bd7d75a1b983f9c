//! Run set-up on the main thread, before any worker starts: create the topic if missing and
//! learn its partitions and where each partition's log ends (consumers start there). Set-up is
//! not the load path, so it uses the SDK's blocking `Admin`.

use std::time::{Duration, Instant};

use sluice_client::blocking::Admin;
use sluice_client::{ClientError, TopicConfig};

use crate::config::CreateFlushPolicy;
use crate::error::LoadgenError;

/// How long set-up waits for a freshly created topic to be described.
const TOPIC_READY_TIMEOUT: Duration = Duration::from_secs(10);
/// Pause between describes of a topic that is being created.
const TOPIC_READY_POLL: Duration = Duration::from_millis(20);

/// The topic as the run found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicLayout {
    /// Topic name.
    pub topic: String,
    /// Per partition (index = partition): the shard that owns it.
    pub partition_shards: Vec<u32>,
    /// Per partition: the log end offset when the run started.
    pub start_offsets: Vec<i64>,
}

impl TopicLayout {
    /// Partitions of the topic.
    pub fn partitions(&self) -> u32 {
        self.start_offsets.len() as u32
    }
}

/// Ensures `topic` exists (creating it with `partitions` partitions and `flush` if given) and
/// returns its layout. An existing topic is used as it is, whatever its partition count.
pub fn prepare_topic(
    broker: &str,
    topic: &str,
    partitions: u32,
    flush: Option<CreateFlushPolicy>,
) -> Result<TopicLayout, LoadgenError> {
    let failed = |what: &str| {
        let what = format!("{what} (broker {broker})");
        move |source: ClientError| LoadgenError::Client { what, source }
    };
    let admin = Admin::connect(broker).map_err(failed("connecting"))?;
    let deadline = Instant::now() + TOPIC_READY_TIMEOUT;
    let mut created = false;
    // Bounded by the deadline: each pass either returns or sleeps a poll interval.
    loop {
        match admin.describe_topic(topic) {
            Ok(description) if !description.partitions.is_empty() => {
                let count = description.partitions.len();
                let mut partition_shards = vec![0u32; count];
                let mut start_offsets = vec![0i64; count];
                for p in description.partitions {
                    if p.error_code != sluice_proto::ErrorCode::None {
                        let source = ClientError::from_code(p.error_code, topic, None);
                        return Err(failed(&format!("describing {topic}/{}", p.partition))(source));
                    }
                    let index = p.partition as usize;
                    if index >= count {
                        let source = ClientError::Protocol(format!(
                            "partition {} of a {count}-partition topic",
                            p.partition
                        ));
                        return Err(failed(&format!("describing {topic}"))(source));
                    }
                    partition_shards[index] = p.shard_id;
                    start_offsets[index] = p.log_end_offset.max(0);
                }
                return Ok(TopicLayout {
                    topic: topic.to_owned(),
                    partition_shards,
                    start_offsets,
                });
            }
            Ok(_) | Err(ClientError::UnknownTopic(_)) if !created => {
                let config = TopicConfig {
                    partitions: Some(partitions),
                    flush_policy: flush.map(|f| f.policy),
                    flush_interval_ms: flush.and_then(|f| f.interval_ms),
                    ..TopicConfig::default()
                };
                match admin.create_topic_with(topic, config) {
                    // Another loadgen may have created it since the describe.
                    Ok(()) | Err(ClientError::TopicAlreadyExists(_)) => created = true,
                    Err(source) => return Err(failed(&format!("creating topic {topic}"))(source)),
                }
            }
            Ok(_) | Err(ClientError::UnknownTopic(_)) if Instant::now() >= deadline => {
                return Err(LoadgenError::TopicNotReady(topic.to_owned()));
            }
            Ok(_) | Err(ClientError::UnknownTopic(_)) => std::thread::sleep(TOPIC_READY_POLL),
            Err(source) => return Err(failed(&format!("describing topic {topic}"))(source)),
        }
    }
}
