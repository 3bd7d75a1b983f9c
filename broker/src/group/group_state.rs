//! One consumer group: its members, epochs, target assignment, each member's progress towards
//! it, and its committed offsets.
//!
//! Reconciliation (KIP-848): a member's assignment converges on its target one heartbeat at a
//! time. Partitions it must give up are taken out of its assignment first and stay *held* by it
//! until a later heartbeat reports they are gone; a partition is handed to its new owner only
//! once nobody holds it. So two live members never own one partition at once, and nothing
//! stops the whole group while that happens.

use std::collections::{BTreeMap, BTreeSet};

use sluice_proto::message::GroupState;

use super::assignor::{Assignment, AssignmentSpec, AssignorKind, TopicPartition};

/// Answers "how many partitions has this topic" (the broker's metadata, or a map in tests).
pub trait TopicCatalog {
    /// Partition count of `topic`, `None` if it does not exist.
    fn partition_count(&self, topic: &str) -> Option<u32>;
}

impl TopicCatalog for BTreeMap<String, u32> {
    fn partition_count(&self, topic: &str) -> Option<u32> {
        self.get(topic).copied()
    }
}

/// One member of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Its id, assigned by the coordinator.
    pub id: String,
    /// Its epoch: bumped whenever its assignment changes.
    pub epoch: i32,
    /// The epoch before the last bump: still accepted, because the reply that carried the
    /// bump may not have reached the member yet.
    pub previous_epoch: i32,
    /// Topics it consumes.
    pub subscriptions: BTreeSet<String>,
    /// It is removed after this long without a heartbeat.
    pub session_timeout_ms: u64,
    /// It is removed if it holds a revoked partition for longer than this.
    pub rebalance_timeout_ms: u64,
    /// When it was last heard from.
    pub last_seen_ms: u64,
    /// What the coordinator has given it.
    pub assigned: BTreeSet<TopicPartition>,
    /// Taken away from it but not yet confirmed released: nobody else may have them yet.
    pub revoking: BTreeSet<TopicPartition>,
    /// When it must have released `revoking`.
    pub revoke_deadline_ms: Option<u64>,
    /// Its assignment changed since the last reply it was sent.
    pub assignment_unsent: bool,
}

impl Member {
    /// Whether the member may still be consuming `tp`.
    pub fn holds(&self, tp: &TopicPartition) -> bool {
        self.assigned.contains(tp) || self.revoking.contains(tp)
    }

    /// Whether `epoch` is one this member may use.
    pub fn accepts_epoch(&self, epoch: i32) -> bool {
        epoch == self.epoch || epoch == self.previous_epoch
    }

    fn bump_epoch(&mut self) {
        self.previous_epoch = self.epoch;
        self.epoch = self.epoch.checked_add(1).expect("member epoch overflow");
    }
}

/// An offset a group committed for one partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommittedOffset {
    /// The next offset to consume.
    pub offset: i64,
    /// Leader epoch of the last consumed record, -1 if unknown.
    pub leader_epoch: i32,
    /// Application data stored with it.
    pub metadata: Option<String>,
    /// When it was committed (wall clock, ms since the Unix epoch): the newest wins when
    /// snapshots are merged.
    pub commit_time_ms: u64,
}

/// One consumer group.
#[derive(Debug, Clone)]
pub struct Group {
    /// Its id.
    pub id: String,
    /// Bumped on every membership, subscription or partition-count change.
    pub epoch: i32,
    /// How its target assignment is computed.
    pub assignor: AssignorKind,
    /// Its members by id.
    pub members: BTreeMap<String, Member>,
    /// The assignment members converge on.
    pub target: Assignment,
    /// Partition counts of the subscribed topics the target was computed from.
    pub partition_counts: BTreeMap<String, u32>,
    /// Committed offsets.
    pub offsets: BTreeMap<TopicPartition, CommittedOffset>,
}

impl Group {
    /// An empty group.
    pub fn new(id: String, assignor: AssignorKind) -> Self {
        Self {
            id,
            epoch: 0,
            assignor,
            members: BTreeMap::new(),
            target: Assignment::new(),
            partition_counts: BTreeMap::new(),
            offsets: BTreeMap::new(),
        }
    }

    /// Its state as clients see it.
    pub fn state(&self) -> GroupState {
        if self.members.is_empty() {
            return GroupState::Empty;
        }
        let settled = self.members.values().all(|member| {
            member.revoking.is_empty()
                && self.target.get(&member.id).is_some_and(|target| *target == member.assigned)
        });
        if settled {
            GroupState::Stable
        } else {
            GroupState::Reconciling
        }
    }

    fn subscribed_counts(&self, catalog: &dyn TopicCatalog) -> BTreeMap<String, u32> {
        self.members
            .values()
            .flat_map(|member| member.subscriptions.iter())
            .filter_map(|topic| catalog.partition_count(topic).map(|count| (topic.clone(), count)))
            .collect()
    }

    /// Recomputes the target if a subscribed topic appeared, vanished or grew.
    pub fn refresh_partition_counts(&mut self, catalog: &dyn TopicCatalog) {
        if self.subscribed_counts(catalog) != self.partition_counts {
            self.bump_and_assign(catalog);
        }
    }

    /// A membership or subscription change: new group epoch, new target assignment.
    pub fn bump_and_assign(&mut self, catalog: &dyn TopicCatalog) {
        self.epoch = self.epoch.checked_add(1).expect("group epoch overflow");
        self.partition_counts = self.subscribed_counts(catalog);
        let subscriptions: BTreeMap<String, BTreeSet<String>> = self
            .members
            .iter()
            .map(|(id, member)| (id.clone(), member.subscriptions.clone()))
            .collect();
        let spec = AssignmentSpec {
            subscriptions: &subscriptions,
            partition_counts: &self.partition_counts,
            current: &self.target,
        };
        self.target = self.assignor.assign(&spec);
    }

    /// Removes a member; what it held is free at once.
    pub fn remove_member(&mut self, member_id: &str, catalog: &dyn TopicCatalog) -> bool {
        if self.members.remove(member_id).is_none() {
            return false;
        }
        self.bump_and_assign(catalog);
        true
    }

    /// Takes the member's report of what it owns: partitions it was revoking and no longer
    /// reports are released.
    pub fn record_owned(&mut self, member_id: &str, owned: &BTreeSet<TopicPartition>) {
        let member = self.members.get_mut(member_id).expect("member exists");
        member.revoking.retain(|tp| owned.contains(tp));
        if member.revoking.is_empty() {
            member.revoke_deadline_ms = None;
        }
        if *owned != member.assigned {
            // It missed or has not applied its assignment; say it again.
            member.assignment_unsent = true;
        }
    }

    /// Moves the member one step towards its target: revoke what it must give up, add what is
    /// free. Bumps its epoch if its assignment changed.
    pub fn reconcile(&mut self, member_id: &str, now_ms: u64) {
        let target = self.target.get(member_id).cloned().unwrap_or_default();
        let free: BTreeSet<TopicPartition> = target
            .iter()
            .filter(|tp| {
                self.members.values().all(|other| other.id == member_id || !other.holds(tp))
            })
            .cloned()
            .collect();
        let member = self.members.get_mut(member_id).expect("member exists");
        let revoke: Vec<TopicPartition> =
            member.assigned.iter().filter(|tp| !target.contains(*tp)).cloned().collect();
        let mut changed = false;
        for tp in revoke {
            member.assigned.remove(&tp);
            member.revoking.insert(tp);
            changed = true;
        }
        if !member.revoking.is_empty() && member.revoke_deadline_ms.is_none() {
            member.revoke_deadline_ms = Some(now_ms + member.rebalance_timeout_ms);
        }
        for tp in free {
            if !member.assigned.contains(&tp) {
                // Given back before it was released: it simply stays.
                member.revoking.remove(&tp);
                member.assigned.insert(tp);
                changed = true;
            }
        }
        if member.revoking.is_empty() {
            member.revoke_deadline_ms = None;
        }
        if changed {
            member.bump_epoch();
            member.assignment_unsent = true;
        }
        debug_assert!(self.no_partition_held_twice());
    }

    /// Members whose session or revocation deadline has passed.
    pub fn expired_members(&self, now_ms: u64) -> Vec<String> {
        self.members
            .values()
            .filter(|m| {
                now_ms > m.last_seen_ms + m.session_timeout_ms
                    || m.revoke_deadline_ms.is_some_and(|deadline| now_ms > deadline)
            })
            .map(|m| m.id.clone())
            .collect()
    }

    /// The invariant reconciliation keeps: no partition is held by two members.
    pub fn no_partition_held_twice(&self) -> bool {
        let mut seen = BTreeSet::new();
        self.members
            .values()
            .flat_map(|m| m.assigned.iter().chain(m.revoking.iter()))
            .all(|tp| seen.insert(tp))
    }
}
