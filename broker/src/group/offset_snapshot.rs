//! Committed offsets on disk: one snapshot file per coordinator shard,
//! `<data>/__groups/offsets-<shard>`, holding the latest committed offset of every
//! (group, partition) that shard coordinates, written atomically with
//! [`sluice_storage::metadata_file::write_atomic`].
//!
//! Why a snapshot and not a log: the file holds only the newest offset per partition, so it is
//! bounded by groups x partitions with no compaction to run, and a reader finds either the old
//! or the new file whole. Its cost is rewriting the whole file per write; commits that arrive
//! while a write is in flight share the next one (see
//! [`coordinator_host`](super::coordinator_host)), so the rate of writes is bounded by the
//! fsync latency, not the commit rate.
//!
//! Every offset carries its commit time. At start-up a shard reads every shard's file and keeps
//! the groups it now coordinates, newest commit winning, so a change of shard count loses
//! nothing and a file left behind by a former shard never overrides a newer commit.

use std::path::{Path, PathBuf};

use sluice_storage::{metadata_file, StorageError};

use super::assignor::TopicPartition;
use super::coordinator::Coordinator;
use super::group_state::CommittedOffset;

/// The directory under the data directory. Topic names cannot start with `__`.
pub const GROUPS_DIR: &str = "__groups";
/// Snapshot file name prefix; the shard id follows.
pub const SNAPSHOT_PREFIX: &str = "offsets-";
/// Version of [`OffsetSnapshot`]'s layout.
pub const SNAPSHOT_VERSION: u32 = 1;

/// A shard's committed offsets, as stored.
#[derive(Debug, Clone, PartialEq, Eq, rkyv::Archive, rkyv::Serialize, rkyv::Deserialize)]
pub struct OffsetSnapshot {
    /// [`SNAPSHOT_VERSION`].
    pub version: u32,
    /// Every committed offset.
    pub offsets: Vec<StoredOffset>,
}

/// One committed offset, as stored.
#[derive(Debug, Clone, PartialEq, Eq, rkyv::Archive, rkyv::Serialize, rkyv::Deserialize)]
pub struct StoredOffset {
    /// The group.
    pub group_id: String,
    /// The topic.
    pub topic: String,
    /// The partition.
    pub partition: u32,
    /// The next offset to consume.
    pub offset: i64,
    /// Leader epoch of the last consumed record.
    pub leader_epoch: i32,
    /// Application metadata.
    pub metadata: Option<String>,
    /// Commit time, ms since the Unix epoch.
    pub commit_time_ms: u64,
}

/// Path of shard `shard`'s snapshot.
pub fn snapshot_path(data_dir: &Path, shard: usize) -> PathBuf {
    data_dir.join(GROUPS_DIR).join(format!("{SNAPSHOT_PREFIX}{shard}"))
}

/// The snapshot of everything `coordinator` has committed.
pub fn take(coordinator: &Coordinator) -> OffsetSnapshot {
    let offsets = coordinator
        .committed()
        .map(|(group_id, tp, committed)| StoredOffset {
            group_id: group_id.to_owned(),
            topic: tp.topic.clone(),
            partition: tp.partition,
            offset: committed.offset,
            leader_epoch: committed.leader_epoch,
            metadata: committed.metadata.clone(),
            commit_time_ms: committed.commit_time_ms,
        })
        .collect();
    OffsetSnapshot { version: SNAPSHOT_VERSION, offsets }
}

/// Writes a snapshot durably. [`load`] has created the directory.
pub async fn store(
    data_dir: &Path,
    shard: usize,
    snapshot: &OffsetSnapshot,
) -> Result<(), StorageError> {
    metadata_file::write_atomic(&snapshot_path(data_dir, shard), snapshot).await
}

/// Loads into `coordinator` every stored offset of a group `owns` says it coordinates, and
/// creates the directory if it is missing.
/// Returns how many were restored. A snapshot that fails its checks is an error: committed
/// offsets are not silently dropped.
pub async fn load(
    data_dir: &Path,
    coordinator: &mut Coordinator,
    owns: impl Fn(&str) -> bool,
) -> Result<usize, StorageError> {
    let dir = data_dir.join(GROUPS_DIR);
    // A small directory, created and listed once at start-up before the shard serves.
    std::fs::create_dir_all(&dir)
        .map_err(|e| StorageError::from_io("creating the groups directory", &dir, e))?;
    let entries = std::fs::read_dir(&dir)
        .map_err(|e| StorageError::from_io("listing the groups directory", &dir, e))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.file_name().and_then(|n| n.to_str()).is_some_and(|name| {
                name.strip_prefix(SNAPSHOT_PREFIX)
                    .is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
            })
        })
        .collect();
    paths.sort();
    let mut restored = 0;
    for path in paths {
        let snapshot: OffsetSnapshot = metadata_file::read(&path).await?;
        if snapshot.version != SNAPSHOT_VERSION {
            return Err(StorageError::CorruptMetadata {
                path,
                reason: format!("unknown offset snapshot version {}", snapshot.version),
            });
        }
        for stored in snapshot.offsets.into_iter().filter(|s| owns(&s.group_id)) {
            coordinator.restore(
                &stored.group_id,
                TopicPartition::new(stored.topic, stored.partition),
                CommittedOffset {
                    offset: stored.offset,
                    leader_epoch: stored.leader_epoch,
                    metadata: stored.metadata,
                    commit_time_ms: stored.commit_time_ms,
                },
            );
            restored += 1;
        }
    }
    Ok(restored)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use glommio::{LocalExecutorBuilder, Placement};
    use sluice_proto::message::{OffsetCommitPartition, OffsetCommitRequest, OffsetCommitTopic};

    use super::*;
    use crate::group::CoordinatorConfig;

    fn run<T>(future: impl std::future::Future<Output = T>) -> T {
        LocalExecutorBuilder::new(Placement::Unbound)
            .io_memory(512 * 1024)
            .make()
            .expect("executor")
            .run(future)
    }

    fn committed(group: &str, offset: i64, now_ms: u64) -> Coordinator {
        let mut coordinator = Coordinator::new(CoordinatorConfig::default(), 1);
        let request = OffsetCommitRequest::admin(
            group,
            vec![OffsetCommitTopic {
                name: "t".into(),
                partitions: vec![OffsetCommitPartition {
                    partition: 0,
                    offset,
                    leader_epoch: 3,
                    metadata: Some("meta".into()),
                }],
            }],
        );
        let catalog = BTreeMap::from([("t".to_string(), 1)]);
        assert!(coordinator.commit(&request, &catalog, now_ms).1);
        coordinator
    }

    #[test]
    fn given_snapshots_of_two_shards_when_loading_should_keep_the_newest_commit_per_partition() {
        let dir = tempfile::tempdir().unwrap();
        let data_dir = dir.path().to_path_buf();
        let loaded = run(async move {
            let mut empty = Coordinator::new(CoordinatorConfig::default(), 2);
            assert_eq!(load(&data_dir, &mut empty, |_| true).await.unwrap(), 0);
            store(&data_dir, 0, &take(&committed("g", 50, 2_000))).await.unwrap();
            // A stale file left by a former shard holds an older commit of the same partition.
            store(&data_dir, 1, &take(&committed("g", 10, 1_000))).await.unwrap();
            store(&data_dir, 2, &take(&committed("other", 7, 1_000))).await.unwrap();
            let mut restored = Coordinator::new(CoordinatorConfig::default(), 3);
            let count = load(&data_dir, &mut restored, |group| group == "g").await.unwrap();
            (count, take(&restored))
        });
        let (count, snapshot) = loaded;
        assert_eq!(count, 2);
        assert_eq!(snapshot.offsets.len(), 1);
        let offset = &snapshot.offsets[0];
        assert_eq!((offset.offset, offset.leader_epoch), (50, 3));
        assert_eq!(offset.metadata.as_deref(), Some("meta"));
    }

    #[test]
    fn given_a_corrupt_snapshot_when_loading_should_refuse_with_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let data_dir = dir.path().to_path_buf();
        std::fs::create_dir_all(data_dir.join(GROUPS_DIR)).unwrap();
        std::fs::write(snapshot_path(&data_dir, 0), b"not a snapshot at all").unwrap();
        let result = run(async move {
            let mut coordinator = Coordinator::new(CoordinatorConfig::default(), 1);
            load(&data_dir, &mut coordinator, |_| true).await
        });
        assert!(matches!(result, Err(StorageError::CorruptMetadata { .. })), "{result:?}");
    }
}
