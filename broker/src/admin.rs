//! Topic creation and deletion, run on shard 0 (the only metadata writer).
//!
//! A change is made to a copy of the current image, written durably, and only then published
//! to every shard; a topic is reported created once every shard has opened its partitions, and
//! deleted once every shard has closed them and its data is gone. Requests are served one at a
//! time, so two changes never race.

use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;

use sluice_proto::message::{CreatableTopic, TopicConfig, TopicResult};
use sluice_proto::{message::FlushPolicy as WireFlushPolicy, ErrorCode};

use crate::config::{FlushPolicySetting, TopicDefaults, SEGMENT_BYTES_MIN, TOPIC_PARTITIONS_MAX};
use crate::error_mapping::{storage_error_code, topic_table_error_code};
use crate::metadata::{MetadataImage, TopicConfigRecord};
use crate::shard::shard_message::{AdminRequest, ShardMessage};
use crate::shard::{apply_metadata, ShardContext};

/// Where the metadata document lives, under the data directory. Topic names cannot start with
/// `__`, so this never collides with a topic directory.
pub const METADATA_DIR: &str = "__cluster";
/// The metadata document's file name.
pub const METADATA_FILE: &str = "metadata";

/// Path of the metadata document.
pub fn metadata_path(data_dir: &std::path::Path) -> PathBuf {
    data_dir.join(METADATA_DIR).join(METADATA_FILE)
}

/// Serves one admin request. Must run on shard 0.
pub async fn handle_admin(shard: &Rc<ShardContext>, request: AdminRequest) -> Vec<TopicResult> {
    assert_eq!(shard.id, 0, "metadata changes are made on shard 0 only");
    let Ok(_permit) = shard.admin_lock.acquire_permit(1).await else {
        return refuse_all(&request, ErrorCode::BrokerShuttingDown);
    };
    match request {
        AdminRequest::CreateTopics { topics, validate_only } => {
            let mut results = Vec::with_capacity(topics.len());
            for topic in topics {
                let code = create_topic(shard, &topic, validate_only).await;
                results.push(result(topic.name, code));
            }
            results
        }
        AdminRequest::DeleteTopics { names } => {
            let mut results = Vec::with_capacity(names.len());
            for name in names {
                let code = delete_topic(shard, &name).await;
                results.push(result(name, code));
            }
            results
        }
    }
}

fn refuse_all(request: &AdminRequest, code: ErrorCode) -> Vec<TopicResult> {
    let names: Vec<String> = match request {
        AdminRequest::CreateTopics { topics, .. } => {
            topics.iter().map(|t| t.name.clone()).collect()
        }
        AdminRequest::DeleteTopics { names } => names.clone(),
    };
    names.into_iter().map(|name| result(name, Err((code, String::new())))).collect()
}

fn result(name: String, outcome: Result<(), (ErrorCode, String)>) -> TopicResult {
    match outcome {
        Ok(()) => TopicResult { name, error_code: ErrorCode::None, error_message: None },
        Err((error_code, message)) => {
            TopicResult { name, error_code, error_message: Some(message).filter(|m| !m.is_empty()) }
        }
    }
}

async fn create_topic(
    shard: &Rc<ShardContext>,
    topic: &CreatableTopic,
    validate_only: bool,
) -> Result<(), (ErrorCode, String)> {
    let config = resolve_config(&topic.config, &shard.shared.config.topic_defaults)?;
    let mut image = MetadataImage::clone(&shard.metadata.borrow());
    image
        .create_topic(&topic.name, config, shard.shared.config.shards as u32)
        .map_err(|e| (topic_table_error_code(&e), e.to_string()))?;
    if validate_only {
        return Ok(());
    }
    publish(shard, image).await?;
    tracing::info!(topic = %topic.name, "topic created");
    Ok(())
}

async fn delete_topic(shard: &Rc<ShardContext>, name: &str) -> Result<(), (ErrorCode, String)> {
    let mut image = MetadataImage::clone(&shard.metadata.borrow());
    image.delete_topic(name).map_err(|e| (topic_table_error_code(&e), e.to_string()))?;
    publish(shard, image).await?;
    // Every shard has closed the topic's logs: its files can go. The metadata no longer names
    // the topic, so a crash before this completes leaves only orphan files that start-up
    // removes.
    let dir = shard.shared.config.data_dir.join(name);
    let removed = glommio::executor()
        .spawn_blocking(move || match std::fs::remove_dir_all(&dir) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        })
        .await;
    if let Err(e) = removed {
        tracing::warn!(topic = name, error = %e, "topic deleted but its files could not be removed");
    }
    tracing::info!(topic = name, "topic deleted");
    Ok(())
}

/// Persists `image`, then has every shard apply it.
async fn publish(
    shard: &Rc<ShardContext>,
    image: MetadataImage,
) -> Result<(), (ErrorCode, String)> {
    let path = metadata_path(&shard.shared.config.data_dir);
    sluice_storage::metadata_file::write_atomic(&path, &image)
        .await
        .map_err(|e| (storage_error_code(&e), e.to_string()))?;
    let image = Arc::new(image);
    let mut acks = Vec::with_capacity(shard.shared.config.shards);
    for peer in (0..shard.shared.config.shards).filter(|&s| s != shard.id) {
        let (reply, rx) = flume::bounded(1);
        let message = ShardMessage::ApplyMetadata { image: image.clone(), reply };
        if shard.mesh.send_to(peer, message).await.is_err() {
            return Err((ErrorCode::BrokerShuttingDown, format!("shard {peer} is gone")));
        }
        acks.push(rx);
    }
    let mut failure = apply_metadata(shard, image).await.err();
    for rx in acks {
        match rx.recv_async().await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => failure = failure.or(Some(e)),
            Err(_) => failure = failure.or(Some("a shard stopped".into())),
        }
    }
    match failure {
        None => Ok(()),
        Some(message) => Err((ErrorCode::StorageError, message)),
    }
}

/// Fills unset fields from the broker defaults and checks every value.
pub fn resolve_config(
    requested: &TopicConfig,
    defaults: &TopicDefaults,
) -> Result<TopicConfigRecord, (ErrorCode, String)> {
    let invalid = |message: String| Err((ErrorCode::InvalidConfig, message));
    let partitions = requested.partitions.unwrap_or(defaults.partitions);
    if partitions == 0 || partitions > TOPIC_PARTITIONS_MAX {
        return Err((
            ErrorCode::InvalidPartitionCount,
            format!("partitions must be 1..={TOPIC_PARTITIONS_MAX}, got {partitions}"),
        ));
    }
    let replication_factor = requested.replication_factor.unwrap_or(1);
    if replication_factor != 1 {
        return Err((
            ErrorCode::InvalidReplicationFactor,
            format!(
                "this broker runs alone: replication factor must be 1, got {replication_factor}"
            ),
        ));
    }
    let segment_bytes = requested.segment_bytes.unwrap_or(defaults.segment_bytes);
    let segment_bytes_max = sluice_storage::config::SEGMENT_BYTES_LIMIT;
    if !(SEGMENT_BYTES_MIN..=segment_bytes_max).contains(&segment_bytes) {
        return invalid(format!(
            "segment_bytes must be {SEGMENT_BYTES_MIN}..={segment_bytes_max}, got {segment_bytes}"
        ));
    }
    let segment_ms = requested.segment_ms.unwrap_or(defaults.segment_ms);
    if segment_ms == 0 {
        return invalid("segment_ms must be positive".into());
    }
    let limit = |name: &str, value: Option<i64>, default: Option<u64>| match value {
        None => Ok(default),
        Some(-1) => Ok(None),
        Some(v) if v > 0 => Ok(Some(v as u64)),
        Some(v) => {
            Err((ErrorCode::InvalidConfig, format!("{name} must be positive or -1, got {v}")))
        }
    };
    let retention_bytes =
        limit("retention_bytes", requested.retention_bytes, defaults.retention_bytes)?;
    let retention_ms = limit("retention_ms", requested.retention_ms, defaults.retention_ms)?;
    let flush_policy = match (requested.flush_policy, requested.flush_interval_ms) {
        (None, None) => defaults.flush_policy,
        (Some(WireFlushPolicy::Always), None) => FlushPolicySetting::Always,
        (Some(WireFlushPolicy::Never), None) => FlushPolicySetting::Never,
        (Some(WireFlushPolicy::Interval), Some(ms)) if ms > 0 => {
            FlushPolicySetting::Interval { interval_ms: ms }
        }
        (Some(WireFlushPolicy::Interval), _) => {
            return invalid("flush policy interval needs a positive flush_interval_ms".into())
        }
        (_, Some(_)) => {
            return invalid("flush_interval_ms applies only to flush policy interval".into())
        }
    };
    Ok(TopicConfigRecord {
        partitions,
        replication_factor,
        segment_bytes,
        segment_ms,
        retention_bytes,
        retention_ms,
        flush_policy,
    })
}
