//! The blocking group consumer: [`GroupConsumer::subscribe`] joins a consumer group, and the
//! broker's coordinator decides which partitions it reads (server-side assignment, KIP-848
//! style).
//!
//! Everything runs on the caller's thread inside [`GroupConsumer::poll`]: heartbeats when they
//! are due, assignment changes, auto commit, then fetching. An assignment change is applied in
//! the order that keeps a partition from being read by two members: for partitions taken away,
//! the [`RebalanceListener::on_revoked`] callback runs, their positions are committed, they are
//! dropped, and the coordinator is told at once; only then does the coordinator hand them to
//! another member. New partitions resume from the group's committed offset, or from the
//! consumer's [`OffsetReset`](crate::OffsetReset) when the group has none.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use sluice_proto::message::{
    HeartbeatRequest, JoinGroupRequest, LeaveGroupRequest, MembershipResponse,
    OffsetCommitPartition, OffsetCommitRequest, OffsetCommitTopic, OffsetFetchRequest,
    ResponseBody, TopicPartitions,
};
use sluice_proto::ErrorCode;

use super::{Admin, Consumer};
use crate::config::ConsumerConfig;
use crate::core::consumer_core::SeekTarget;
use crate::error::{ClientError, Result};
use crate::record::{ConsumerRecord, TopicPartition};

/// Async commits waiting for the committer thread, at most.
const ASYNC_COMMITS_QUEUED_MAX: usize = 16;

/// Consumer-group settings.
#[derive(Debug, Clone)]
pub struct GroupConfig {
    /// The coordinator removes the member after this long without a heartbeat.
    pub session_timeout: Duration,
    /// How long the member may take to give up partitions it must release.
    pub rebalance_timeout: Duration,
    /// Server-side assignor (`"sticky"`, `"range"`); `None` = the broker's default (sticky).
    pub assignor: Option<String>,
    /// Commit positions on this interval (and before giving partitions up and on close);
    /// `None` = only explicit [`GroupConsumer::commit_sync`] / [`GroupConsumer::commit_async`].
    pub auto_commit_interval: Option<Duration>,
}

impl Default for GroupConfig {
    fn default() -> Self {
        GroupConfig {
            session_timeout: Duration::from_secs(10),
            rebalance_timeout: Duration::from_secs(30),
            assignor: None,
            auto_commit_interval: Some(Duration::from_secs(5)),
        }
    }
}

/// Told when the group coordinator changes this member's partitions.
pub trait RebalanceListener: Send {
    /// Partitions about to be taken away; their positions are committed right after this
    /// returns, so this is the place to finish work on them.
    fn on_revoked(&mut self, partitions: &[TopicPartition]) {
        let _ = partitions;
    }
    /// Partitions just given to this member.
    fn on_assigned(&mut self, partitions: &[TopicPartition]) {
        let _ = partitions;
    }
}

/// A listener that does nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoRebalanceListener;

impl RebalanceListener for NoRebalanceListener {}

/// Offsets to commit: (partition, next offset).
type Offsets = Vec<(TopicPartition, i64)>;

/// A member of a consumer group that reads the partitions the coordinator assigns it.
pub struct GroupConsumer {
    consumer: Consumer,
    coordinator: Arc<Admin>,
    group: String,
    topics: Vec<String>,
    config: GroupConfig,
    listener: Box<dyn RebalanceListener>,
    member_id: String,
    epoch: i32,
    owned: BTreeSet<TopicPartition>,
    heartbeat_interval: Duration,
    next_heartbeat: Instant,
    next_auto_commit: Option<Instant>,
    /// Positions committed last, so an auto commit with nothing new sends nothing.
    committed: BTreeMap<TopicPartition, i64>,
    async_commits: Option<SyncSender<(String, i32, Offsets)>>,
    async_results: Receiver<Result<()>>,
    committer: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for GroupConsumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupConsumer")
            .field("group", &self.group)
            .field("member_id", &self.member_id)
            .field("epoch", &self.epoch)
            .field("owned", &self.owned)
            .finish_non_exhaustive()
    }
}

impl GroupConsumer {
    /// Joins `group` on the broker at `broker`, subscribed to `topics`. Partitions arrive
    /// through [`poll`](Self::poll).
    pub fn subscribe(
        broker: &str,
        group: &str,
        topics: &[&str],
        consumer_config: ConsumerConfig,
        config: GroupConfig,
    ) -> Result<GroupConsumer> {
        Self::subscribe_with_listener(
            broker,
            group,
            topics,
            consumer_config,
            config,
            NoRebalanceListener,
        )
    }

    /// [`subscribe`](Self::subscribe) with a listener told of every assignment change.
    pub fn subscribe_with_listener(
        broker: &str,
        group: &str,
        topics: &[&str],
        consumer_config: ConsumerConfig,
        config: GroupConfig,
        listener: impl RebalanceListener + 'static,
    ) -> Result<GroupConsumer> {
        if group.is_empty() {
            return Err(ClientError::InvalidConfig("the group id must not be empty".into()));
        }
        if config.session_timeout.is_zero() {
            return Err(ClientError::InvalidConfig("session_timeout must be positive".into()));
        }
        let consumer = Consumer::connect(broker, consumer_config)?;
        let coordinator = Arc::new(Admin::connect(broker)?);
        let (async_commits, queue) =
            mpsc::sync_channel::<(String, i32, Offsets)>(ASYNC_COMMITS_QUEUED_MAX);
        let (results, async_results) = mpsc::channel();
        let committer = {
            let coordinator = coordinator.clone();
            let group = group.to_owned();
            std::thread::Builder::new()
                .name("sluice-commit".into())
                .spawn(move || {
                    for (member_id, epoch, offsets) in queue {
                        let result = commit(&coordinator, &group, &member_id, epoch, &offsets);
                        if results.send(result).is_err() {
                            return;
                        }
                    }
                })
                .map_err(|e| ClientError::InvalidConfig(format!("cannot start a thread: {e}")))?
        };
        let now = Instant::now();
        let mut this = GroupConsumer {
            consumer,
            coordinator,
            group: group.to_owned(),
            topics: topics.iter().map(|t| t.to_string()).collect(),
            listener: Box::new(listener),
            member_id: String::new(),
            epoch: 0,
            owned: BTreeSet::new(),
            heartbeat_interval: config.session_timeout / 3,
            next_heartbeat: now,
            next_auto_commit: config.auto_commit_interval.map(|interval| now + interval),
            committed: BTreeMap::new(),
            config,
            async_commits: Some(async_commits),
            async_results,
            committer: Some(committer),
        };
        this.join()?;
        Ok(this)
    }

    /// The member id the coordinator gave this consumer.
    pub fn member_id(&self) -> &str {
        &self.member_id
    }

    /// The member epoch (bumped by the coordinator on every assignment change).
    pub fn member_epoch(&self) -> i32 {
        self.epoch
    }

    /// The partitions this member reads now.
    pub fn assignment(&self) -> Vec<TopicPartition> {
        self.owned.iter().cloned().collect()
    }

    /// Waits up to `timeout` for records of the assigned partitions, heartbeating and auto
    /// committing meanwhile. An empty vector means none arrived in time.
    pub fn poll(&mut self, timeout: Duration) -> Result<Vec<ConsumerRecord>> {
        let deadline = Instant::now() + timeout;
        loop {
            self.maintain()?;
            let now = Instant::now();
            let wait = deadline.min(self.next_heartbeat).saturating_duration_since(now);
            let records: Vec<ConsumerRecord> = self
                .consumer
                .poll(wait)?
                .into_iter()
                .filter(|r| self.owned.contains(&TopicPartition::new(r.topic.clone(), r.partition)))
                .collect();
            if !records.is_empty() || Instant::now() >= deadline {
                return Ok(records);
            }
        }
    }

    /// Commits the position of every assigned partition and waits for the coordinator.
    pub fn commit_sync(&mut self) -> Result<()> {
        let offsets = self.positions(&self.assignment())?;
        self.commit_offsets(&offsets)
    }

    /// Commits the position of every assigned partition in the background; the outcome is
    /// reported by a later [`poll`](Self::poll) (an error) or [`commit_sync`](Self::commit_sync).
    pub fn commit_async(&mut self) -> Result<()> {
        let offsets = self.positions(&self.assignment())?;
        let Some(queue) = &self.async_commits else { return Ok(()) };
        match queue.try_send((self.member_id.clone(), self.epoch, offsets.clone())) {
            Ok(()) => {
                self.committed.extend(offsets);
                Ok(())
            }
            // Too many in flight: commit in line instead of queueing without bound.
            Err(TrySendError::Full(_)) => self.commit_offsets(&offsets),
            Err(TrySendError::Disconnected(_)) => {
                Err(ClientError::Protocol("the commit thread stopped".into()))
            }
        }
    }

    /// Commits (when auto commit is on), leaves the group at once (its partitions go to the
    /// other members without waiting for the session timeout) and closes.
    pub fn close(mut self) -> Result<()> {
        let committed =
            if self.config.auto_commit_interval.is_some() { self.commit_sync() } else { Ok(()) };
        let left = self.leave();
        committed.and(left)
    }

    fn leave(&mut self) -> Result<()> {
        if self.member_id.is_empty() {
            return Ok(());
        }
        let request = LeaveGroupRequest {
            group_id: self.group.clone(),
            member_id: std::mem::take(&mut self.member_id),
            member_epoch: self.epoch,
        };
        self.owned.clear();
        match self.coordinator.call(request.into())? {
            ResponseBody::LeaveGroup(r) => match r.error_code {
                // Already removed: nothing left to leave.
                ErrorCode::None | ErrorCode::UnknownMemberId | ErrorCode::FencedMemberEpoch => {
                    Ok(())
                }
                code => Err(ClientError::from_code(code, &self.group, None)),
            },
            other => Err(unexpected(&other)),
        }
    }

    /// Heartbeats and auto-commits when due; reports async commit failures.
    fn maintain(&mut self) -> Result<()> {
        while let Ok(result) = self.async_results.try_recv() {
            result?;
        }
        let now = Instant::now();
        if now >= self.next_heartbeat {
            self.heartbeat()?;
        }
        if let Some(due) = self.next_auto_commit {
            if now >= due {
                self.auto_commit()?;
                self.next_auto_commit = self.config.auto_commit_interval.map(|i| now + i);
            }
        }
        Ok(())
    }

    fn auto_commit(&mut self) -> Result<()> {
        let offsets: Offsets = self
            .positions(&self.assignment())?
            .into_iter()
            .filter(|(tp, offset)| self.committed.get(tp) != Some(offset))
            .collect();
        if offsets.is_empty() {
            return Ok(());
        }
        self.commit_offsets(&offsets)
    }

    fn join(&mut self) -> Result<()> {
        let request = JoinGroupRequest {
            group_id: self.group.clone(),
            member_id: String::new(),
            member_epoch: 0,
            subscribed_topics: self.topics.clone(),
            assignor: self.config.assignor.clone(),
            rebalance_timeout_ms: duration_ms(self.config.rebalance_timeout),
            session_timeout_ms: duration_ms(self.config.session_timeout),
            owned_partitions: Vec::new(),
        };
        let reply = match self.coordinator.call(request.into())? {
            ResponseBody::JoinGroup(r) => r,
            other => return Err(unexpected(&other)),
        };
        if reply.error_code != ErrorCode::None {
            return Err(ClientError::from_code(reply.error_code, &self.group, None));
        }
        self.member_id = reply.member_id.clone();
        self.apply(reply).map(|_| ())
    }

    fn heartbeat(&mut self) -> Result<()> {
        // Two rounds at most: the second reports a revocation at once, so the partitions reach
        // their new owner without waiting a heartbeat interval.
        for _ in 0..2 {
            let request = HeartbeatRequest {
                group_id: self.group.clone(),
                member_id: self.member_id.clone(),
                member_epoch: self.epoch,
                subscribed_topics: None,
                owned_partitions: Some(to_wire(&self.owned)),
            };
            let reply = match self.coordinator.call(request.into())? {
                ResponseBody::Heartbeat(r) => r,
                other => return Err(unexpected(&other)),
            };
            match reply.error_code {
                ErrorCode::None => {}
                ErrorCode::UnknownMemberId | ErrorCode::FencedMemberEpoch => {
                    // Removed (session timeout) or fenced: what it owned may already be someone
                    // else's, so it is dropped without a commit, and the member joins again.
                    let lost = self.assignment();
                    if !lost.is_empty() {
                        self.listener.on_revoked(&lost);
                    }
                    self.owned.clear();
                    self.consumer.assign(Vec::new());
                    return self.join();
                }
                code => return Err(ClientError::from_code(code, &self.group, None)),
            }
            if !self.apply(reply)? {
                break;
            }
        }
        Ok(())
    }

    /// Applies a coordinator reply: revoke (callback, commit, drop), then add (committed offset
    /// or reset policy, callback). Returns whether partitions were revoked.
    fn apply(&mut self, reply: MembershipResponse) -> Result<bool> {
        self.epoch = reply.member_epoch;
        self.heartbeat_interval =
            Duration::from_millis(u64::from(reply.heartbeat_interval_ms.max(1)));
        self.next_heartbeat = Instant::now() + self.heartbeat_interval;
        let Some(assignment) = reply.assignment else { return Ok(false) };
        let next: BTreeSet<TopicPartition> = assignment
            .iter()
            .flat_map(|tp| tp.partitions.iter().map(|p| TopicPartition::new(tp.topic.as_str(), *p)))
            .collect();
        let revoked: Vec<TopicPartition> = self.owned.difference(&next).cloned().collect();
        if !revoked.is_empty() {
            self.listener.on_revoked(&revoked);
            let offsets = self.positions(&revoked)?;
            self.commit_offsets(&offsets)?;
            for tp in &revoked {
                self.owned.remove(tp);
                self.committed.remove(tp);
            }
            self.consumer.assign(self.owned.iter().cloned());
        }
        let added: Vec<TopicPartition> = next.difference(&self.owned).cloned().collect();
        if !added.is_empty() {
            let committed = self.fetch_committed(&added)?;
            self.owned.extend(added.iter().cloned());
            self.consumer.assign(self.owned.iter().cloned());
            for tp in &added {
                if let Some(&offset) = committed.get(tp) {
                    self.consumer.seek(tp, SeekTarget::Offset(offset))?;
                    self.committed.insert(tp.clone(), offset);
                }
            }
            self.listener.on_assigned(&added);
        }
        Ok(!revoked.is_empty())
    }

    fn positions(&mut self, partitions: &[TopicPartition]) -> Result<Offsets> {
        partitions.iter().map(|tp| Ok((tp.clone(), self.consumer.position(tp)?))).collect()
    }

    fn commit_offsets(&mut self, offsets: &Offsets) -> Result<()> {
        if offsets.is_empty() {
            return Ok(());
        }
        commit(&self.coordinator, &self.group, &self.member_id, self.epoch, offsets)?;
        self.committed.extend(offsets.iter().cloned());
        Ok(())
    }

    fn fetch_committed(
        &self,
        partitions: &[TopicPartition],
    ) -> Result<BTreeMap<TopicPartition, i64>> {
        let set: BTreeSet<TopicPartition> = partitions.iter().cloned().collect();
        let request =
            OffsetFetchRequest { group_id: self.group.clone(), topics: Some(to_wire(&set)) };
        let response = match self.coordinator.call(request.into())? {
            ResponseBody::OffsetFetch(r) => r,
            other => return Err(unexpected(&other)),
        };
        if response.error_code != ErrorCode::None {
            return Err(ClientError::from_code(response.error_code, &self.group, None));
        }
        Ok(response
            .topics
            .iter()
            .flat_map(|t| {
                t.partitions
                    .iter()
                    .filter(|p| p.error_code == ErrorCode::None && p.offset >= 0)
                    .map(|p| (TopicPartition::new(t.name.as_str(), p.partition), p.offset))
            })
            .collect())
    }
}

impl Drop for GroupConsumer {
    fn drop(&mut self) {
        // Best effort: a consumer dropped without `close` still leaves, so its partitions move
        // now rather than after the session timeout.
        let _ = self.leave();
        self.async_commits = None;
        if let Some(committer) = self.committer.take() {
            let _ = committer.join();
        }
    }
}

/// Commits `offsets` for a member; a stale epoch or a removed member is an error.
fn commit(
    coordinator: &Admin,
    group: &str,
    member_id: &str,
    epoch: i32,
    offsets: &Offsets,
) -> Result<()> {
    let mut topics: BTreeMap<&str, Vec<OffsetCommitPartition>> = BTreeMap::new();
    for (tp, offset) in offsets {
        topics.entry(&tp.topic).or_default().push(OffsetCommitPartition {
            partition: tp.partition,
            offset: *offset,
            leader_epoch: -1,
            metadata: None,
        });
    }
    let group_topics = topics
        .into_iter()
        .map(|(name, partitions)| OffsetCommitTopic { name: name.to_owned(), partitions })
        .collect();
    let request = OffsetCommitRequest {
        group_id: group.to_owned(),
        member_id: member_id.to_owned(),
        member_epoch: epoch,
        topics: group_topics,
    };
    let response = match coordinator.call(request.into())? {
        ResponseBody::OffsetCommit(r) => r,
        other => return Err(unexpected(&other)),
    };
    if response.error_code != ErrorCode::None {
        return Err(ClientError::from_code(response.error_code, group, None));
    }
    for topic in &response.topics {
        if let Some(p) = topic.partitions.iter().find(|p| p.error_code != ErrorCode::None) {
            return Err(ClientError::from_code(p.error_code, &topic.name, None));
        }
    }
    Ok(())
}

fn to_wire(partitions: &BTreeSet<TopicPartition>) -> Vec<TopicPartitions> {
    let mut out: Vec<TopicPartitions> = Vec::new();
    for tp in partitions {
        match out.last_mut() {
            Some(last) if *last.topic == *tp.topic => last.partitions.push(tp.partition),
            _ => out.push(TopicPartitions {
                topic: tp.topic.to_string(),
                partitions: vec![tp.partition],
            }),
        }
    }
    out
}

fn duration_ms(duration: Duration) -> u32 {
    u32::try_from(duration.as_millis()).unwrap_or(u32::MAX)
}

fn unexpected(body: &ResponseBody) -> ClientError {
    ClientError::Protocol(format!("unexpected response {:?}", body.api_key()))
}
