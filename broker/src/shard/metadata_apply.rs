//! Bringing a shard's open partitions in line with a metadata image.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;

use event_listener::Event;
use sluice_storage::{DiskLatencySink, LogConfig, PartitionLog};

use super::partition_registry::{OwnedPartition, PartitionKey};
use super::ShardContext;
use crate::metadata::{MetadataImage, TopicConfigRecord};

/// Where a partition's segments live.
pub fn partition_dir(data_dir: &std::path::Path, topic: &str, partition: u32) -> PathBuf {
    data_dir.join(topic).join(partition.to_string())
}

/// The storage configuration for a topic's logs.
pub fn log_config(config: &TopicConfigRecord) -> LogConfig {
    LogConfig {
        segment_bytes_max: config.segment_bytes,
        segment_age_ms_max: config.segment_ms,
        retention_bytes_max: config.retention_bytes,
        retention_age_ms_max: config.retention_ms,
        flush_policy: config.flush_policy.to_storage(),
        ..LogConfig::default()
    }
}

/// Opens the partitions `image` gives this shard that it does not have open yet, adopts the
/// image, then closes the partitions the image no longer has. Images older than the current
/// one are ignored (they can arrive late from a slow sender). Returns a description of the
/// first failure; partitions that did open stay open.
pub async fn apply_metadata(
    shard: &Rc<ShardContext>,
    image: Arc<MetadataImage>,
) -> Result<(), String> {
    // Applications never interleave: two images would otherwise race to open the same log.
    let _permit = shard.metadata_lock.acquire_permit(1).await.map_err(|e| e.to_string())?;
    if image.revision < shard.metadata.borrow().revision {
        return Ok(());
    }
    let wanted: BTreeSet<PartitionKey> = image
        .shard_table
        .owned_by(shard.id as u32)
        .map(|(topic_id, partition)| PartitionKey { topic_id, partition })
        .collect();
    let mut first_error = None;
    for topic in image.topics.values() {
        for partition in 0..topic.config.partitions {
            let key = PartitionKey { topic_id: topic.id, partition };
            if !wanted.contains(&key) || shard.partitions.contains(key) {
                continue;
            }
            let dir = partition_dir(&shard.shared.config.data_dir, &topic.name, partition);
            let opened = PartitionLog::open_reporting(
                &dir,
                log_config(&topic.config),
                shard.cache.clone(),
                Some(disk_latency_sink(shard)),
            )
            .await;
            match opened {
                Ok(log) => {
                    tracing::info!(topic = %topic.name, partition, dir = %dir.display(), "partition opened");
                    shard.partitions.insert(
                        key,
                        OwnedPartition {
                            topic: Rc::from(topic.name.as_str()),
                            log,
                            data_arrived: Rc::new(Event::new()),
                        },
                    );
                }
                Err(e) => {
                    tracing::error!(topic = %topic.name, partition, error = %e, "cannot open partition");
                    first_error.get_or_insert_with(|| format!("{}/{partition}: {e}", topic.name));
                }
            }
        }
    }
    *shard.metadata.borrow_mut() = image;
    for key in shard.partitions.keys() {
        if wanted.contains(&key) {
            continue;
        }
        if let Some(partition) = shard.partitions.remove(key) {
            // Wake long polls so they notice the partition is gone instead of waiting out.
            partition.data_arrived.notify(usize::MAX);
            if let Err(e) = partition.log.close().await {
                tracing::warn!(topic = %partition.topic, partition = key.partition, error = %e, "closing a removed partition failed");
            }
            tracing::info!(topic = %partition.topic, partition = key.partition, "partition closed");
        }
    }
    first_error.map_or(Ok(()), Err)
}

/// Reports a log's write and fdatasync latencies into the shard's metrics. The sink holds the
/// metrics, not the shard, so logs do not keep their shard alive.
fn disk_latency_sink(shard: &ShardContext) -> DiskLatencySink {
    let metrics = shard.metrics.clone();
    Rc::new(move |op, latency| metrics.borrow_mut().record_disk(op, latency))
}
