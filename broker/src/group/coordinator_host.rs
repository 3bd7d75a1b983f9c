//! The shard-side host of a [`Coordinator`]: feeds it the clock and the shard's metadata
//! image, makes committed offsets durable before a commit is acknowledged, and routes each
//! request to the shard that coordinates its group.
//!
//! Group commit: a commit bumps `committed_revision`; whoever finds no snapshot write in flight
//! writes one covering everything committed so far, and every commit whose revision that write
//! covers is answered when it lands. Commits arriving meanwhile wait for the next write, so
//! one fsync serves many commits.

use std::cell::{Cell, RefCell};
use std::path::PathBuf;
use std::time::SystemTime;

use sluice_proto::message::{
    DescribeGroupRequest, DescribeGroupResponse, GroupListing, HeartbeatRequest, JoinGroupRequest,
    LeaveGroupRequest, LeaveGroupResponse, MembershipResponse, OffsetCommitRequest,
    OffsetCommitResponse, OffsetFetchRequest, OffsetFetchResponse,
};
use sluice_proto::partitioner::murmur2;
use sluice_proto::ErrorCode;

use super::coordinator::Coordinator;
use super::group_state::TopicCatalog;
use super::offset_snapshot;
use crate::metadata::MetadataImage;

impl TopicCatalog for MetadataImage {
    fn partition_count(&self, topic: &str) -> Option<u32> {
        self.topic(topic).map(|record| record.config.partitions)
    }
}

/// The shard that coordinates `group_id`: Kafka's murmur2, made positive, modulo the shard
/// count, so it is stable across restarts with the same shard count.
pub fn coordinator_shard(group_id: &str, shards: usize) -> usize {
    assert!(shards > 0);
    (murmur2(group_id.as_bytes()) & 0x7fff_ffff) as usize % shards
}

/// A group request, as routed between shards.
#[derive(Debug)]
pub enum GroupRequest {
    /// JoinGroup.
    Join(JoinGroupRequest),
    /// Heartbeat.
    Heartbeat(HeartbeatRequest),
    /// LeaveGroup.
    Leave(LeaveGroupRequest),
    /// OffsetCommit.
    Commit(OffsetCommitRequest),
    /// OffsetFetch.
    Fetch(OffsetFetchRequest),
    /// The groups of the receiving shard (ListGroups asks every shard).
    List,
    /// DescribeGroup.
    Describe(DescribeGroupRequest),
}

impl GroupRequest {
    /// The group it is about; `None` for [`GroupRequest::List`].
    pub fn group_id(&self) -> Option<&str> {
        match self {
            Self::Join(r) => Some(&r.group_id),
            Self::Heartbeat(r) => Some(&r.group_id),
            Self::Leave(r) => Some(&r.group_id),
            Self::Commit(r) => Some(&r.group_id),
            Self::Fetch(r) => Some(&r.group_id),
            Self::Describe(r) => Some(&r.group_id),
            Self::List => None,
        }
    }
}

/// The answer to a [`GroupRequest`], same variant.
#[derive(Debug)]
pub enum GroupReply {
    /// To Join and Heartbeat.
    Membership(MembershipResponse),
    /// To LeaveGroup.
    Leave(LeaveGroupResponse),
    /// To OffsetCommit.
    Commit(OffsetCommitResponse),
    /// To OffsetFetch.
    Fetch(OffsetFetchResponse),
    /// To List.
    List(Vec<GroupListing>),
    /// To DescribeGroup.
    Describe(DescribeGroupResponse),
    /// The shard could not serve it (shutting down, offsets failed to load).
    Failed(ErrorCode),
}

/// One shard's coordinator with its durability state.
pub struct CoordinatorHost {
    coordinator: RefCell<Coordinator>,
    data_dir: PathBuf,
    shard: usize,
    /// Set once the stored offsets are loaded; until then requests get
    /// `CoordinatorLoadInProgress`.
    loaded: Cell<bool>,
    committed_revision: Cell<u64>,
    durable_revision: Cell<u64>,
    writing: Cell<bool>,
    written: event_listener::Event,
}

/// Wall-clock milliseconds since the Unix epoch: the one place the group code reads a clock.
pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

impl CoordinatorHost {
    /// A host for `shard`, not yet loaded.
    pub fn new(coordinator: Coordinator, data_dir: PathBuf, shard: usize) -> Self {
        Self {
            coordinator: RefCell::new(coordinator),
            data_dir,
            shard,
            loaded: Cell::new(false),
            committed_revision: Cell::new(0),
            durable_revision: Cell::new(0),
            writing: Cell::new(false),
            written: event_listener::Event::new(),
        }
    }

    /// Restores stored offsets of the groups this shard coordinates.
    pub async fn load(&self, shards: usize) -> Result<usize, sluice_storage::StorageError> {
        // Taken out, so no RefCell borrow is held across the awaits; nothing else touches it
        // before `loaded` is set.
        let placeholder = Coordinator::new(Default::default(), 0);
        let mut coordinator = self.coordinator.replace(placeholder);
        let shard = self.shard;
        let restored = offset_snapshot::load(&self.data_dir, &mut coordinator, |group| {
            coordinator_shard(group, shards) == shard
        })
        .await;
        self.coordinator.replace(coordinator);
        let restored = restored?;
        self.loaded.set(true);
        Ok(restored)
    }

    /// Expires members and old offsets of empty groups; called periodically by the shard.
    pub async fn tick(&self, image: &MetadataImage) {
        if !self.loaded.get() {
            return;
        }
        let outcome = self.coordinator.borrow_mut().tick(image, now_ms());
        for (group, member) in outcome.removed {
            tracing::info!(
                shard = self.shard,
                group,
                member,
                "member removed: session or rebalance timeout"
            );
        }
        if outcome.offsets_expired > 0 {
            tracing::info!(
                shard = self.shard,
                offsets = outcome.offsets_expired,
                "committed offsets of empty groups expired"
            );
            let revision = self.committed_revision.get() + 1;
            self.committed_revision.set(revision);
            if let Err(e) = self.persist(revision).await {
                // The next commit or expiry writes the snapshot again.
                tracing::warn!(shard = self.shard, error = %e, "rewriting offsets after expiry failed");
            }
        }
    }

    /// Serves a request for a group this shard coordinates.
    pub async fn serve(&self, image: &MetadataImage, request: GroupRequest) -> GroupReply {
        if !self.loaded.get() {
            return GroupReply::Failed(ErrorCode::CoordinatorLoadInProgress);
        }
        let now_ms = now_ms();
        match request {
            GroupRequest::Join(r) => {
                GroupReply::Membership(self.coordinator.borrow_mut().join(&r, image, now_ms))
            }
            GroupRequest::Heartbeat(r) => {
                GroupReply::Membership(self.coordinator.borrow_mut().heartbeat(&r, image, now_ms))
            }
            GroupRequest::Leave(r) => {
                GroupReply::Leave(self.coordinator.borrow_mut().leave(&r, image))
            }
            GroupRequest::Fetch(r) => GroupReply::Fetch(self.coordinator.borrow().fetch(&r)),
            GroupRequest::List => GroupReply::List(self.coordinator.borrow().list()),
            GroupRequest::Describe(r) => {
                GroupReply::Describe(self.coordinator.borrow().describe(&r))
            }
            GroupRequest::Commit(r) => {
                let (mut response, stored) =
                    self.coordinator.borrow_mut().commit(&r, image, now_ms);
                if stored {
                    let revision = self.committed_revision.get() + 1;
                    self.committed_revision.set(revision);
                    if let Err(e) = self.persist(revision).await {
                        tracing::error!(shard = self.shard, error = %e, "committing offsets failed");
                        let code = crate::error_mapping::storage_error_code(&e);
                        response.error_code = code;
                        for partition in
                            response.topics.iter_mut().flat_map(|t| t.partitions.iter_mut())
                        {
                            partition.error_code = code;
                        }
                    }
                }
                GroupReply::Commit(response)
            }
        }
    }

    /// Returns once a snapshot covering `revision` is on disk.
    async fn persist(&self, revision: u64) -> Result<(), sluice_storage::StorageError> {
        // Each pass either writes or waits for a write in flight, which covers every revision
        // at its start; two passes always suffice, the bound is a backstop.
        for _ in 0..4 {
            if self.durable_revision.get() >= revision {
                return Ok(());
            }
            if self.writing.get() {
                let listener = self.written.listen();
                if self.writing.get() {
                    listener.await;
                }
                continue;
            }
            self.writing.set(true);
            let covers = self.committed_revision.get();
            let snapshot = offset_snapshot::take(&self.coordinator.borrow());
            let result = offset_snapshot::store(&self.data_dir, self.shard, &snapshot).await;
            self.writing.set(false);
            if result.is_ok() {
                self.durable_revision.set(covers);
            }
            self.written.notify(usize::MAX);
            result?;
        }
        assert!(
            self.durable_revision.get() >= revision,
            "offset snapshot group commit did not converge"
        );
        Ok(())
    }
}
