//! The group coordinator of one shard: a sans-IO state machine over the groups that shard
//! owns. Each request comes in with the current time and the topic catalog and goes out as a
//! response; [`Coordinator::tick`] expires members. Nothing here reads a clock or does I/O, so
//! every scenario is a deterministic unit test.

use std::collections::{BTreeMap, BTreeSet};

use sluice_proto::message::{
    DescribeGroupRequest, DescribeGroupResponse, GroupListing, GroupMember, HeartbeatRequest,
    JoinGroupRequest, LeaveGroupRequest, LeaveGroupResponse, MembershipResponse,
    OffsetCommitPartitionResult, OffsetCommitRequest, OffsetCommitResponse,
    OffsetCommitTopicResult, OffsetFetchPartitionResult, OffsetFetchRequest, OffsetFetchResponse,
    OffsetFetchTopicResult, ADMIN_MEMBER_EPOCH, MEMBER_EPOCH_JOIN,
};
use sluice_proto::ErrorCode;

use super::assignor::{from_wire, to_wire, AssignorKind, TopicPartition};
use super::group_state::{CommittedOffset, Group, Member, TopicCatalog};

/// Limits and defaults of a coordinator.
#[derive(Debug, Clone)]
pub struct CoordinatorConfig {
    /// Assignor of a group whose first member names none.
    pub default_assignor: AssignorKind,
    /// Session timeout when a member asks for 0.
    pub session_timeout_ms_default: u32,
    /// Shortest session timeout accepted (shorter requests are raised to it).
    pub session_timeout_ms_min: u32,
    /// Longest session timeout accepted (longer requests are lowered to it).
    pub session_timeout_ms_max: u32,
    /// Rebalance timeout when a member asks for 0.
    pub rebalance_timeout_ms_default: u32,
    /// Members are asked to heartbeat at a third of their session timeout, at most this often
    /// apart.
    pub heartbeat_interval_ms_max: u32,
    /// Longest metadata string stored with a committed offset.
    pub offset_metadata_bytes_max: usize,
    /// Longest group id.
    pub group_id_bytes_max: usize,
    /// Committed offsets of a group with no members are dropped this long after their commit
    /// (Kafka's `offsets.retention.minutes`), so abandoned groups do not pile up.
    pub offsets_retention_ms: u64,
}

impl Default for CoordinatorConfig {
    fn default() -> Self {
        Self {
            default_assignor: AssignorKind::Sticky,
            session_timeout_ms_default: 10_000,
            session_timeout_ms_min: 100,
            session_timeout_ms_max: 300_000,
            rebalance_timeout_ms_default: 30_000,
            heartbeat_interval_ms_max: 3_000,
            offset_metadata_bytes_max: 4096,
            group_id_bytes_max: 255,
            offsets_retention_ms: 7 * 24 * 60 * 60 * 1000,
        }
    }
}

/// What a [`Coordinator::tick`] changed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct TickOutcome {
    /// Members removed (session or rebalance timeout), as `(group, member)`.
    pub removed: Vec<(String, String)>,
    /// Committed offsets of empty groups dropped by retention; when non-zero the stored
    /// offsets must be rewritten.
    pub offsets_expired: usize,
}

/// The groups one shard coordinates.
#[derive(Debug)]
pub struct Coordinator {
    config: CoordinatorConfig,
    groups: BTreeMap<String, Group>,
    /// Distinguishes member ids made by this coordinator from those of an earlier run.
    incarnation: u64,
    members_created: u64,
}

impl Coordinator {
    /// A coordinator with no groups. `incarnation` must differ between runs (the broker uses
    /// its start time), so a member id from before a restart is never handed out again.
    pub fn new(config: CoordinatorConfig, incarnation: u64) -> Self {
        Self { config, groups: BTreeMap::new(), incarnation, members_created: 0 }
    }

    /// The group, if this coordinator knows it.
    pub fn group(&self, group_id: &str) -> Option<&Group> {
        self.groups.get(group_id)
    }

    fn valid_group_id(&self, group_id: &str) -> bool {
        !group_id.is_empty() && group_id.len() <= self.config.group_id_bytes_max
    }

    fn membership_error(error_code: ErrorCode, request_member: &str) -> MembershipResponse {
        MembershipResponse {
            error_code,
            member_id: request_member.to_owned(),
            member_epoch: -1,
            heartbeat_interval_ms: 0,
            assignment: None,
        }
    }

    /// Joins a group (a new member, or a known one rejoining with epoch 0).
    pub fn join(
        &mut self,
        request: &JoinGroupRequest,
        catalog: &dyn TopicCatalog,
        now_ms: u64,
    ) -> MembershipResponse {
        if !self.valid_group_id(&request.group_id) {
            return Self::membership_error(ErrorCode::InvalidGroupId, &request.member_id);
        }
        let requested_assignor = match request.assignor.as_deref() {
            None => None,
            Some(name) => match AssignorKind::from_name(name) {
                Some(kind) => Some(kind),
                None => {
                    return Self::membership_error(
                        ErrorCode::UnsupportedAssignor,
                        &request.member_id,
                    )
                }
            },
        };
        let session_timeout_ms = match request.session_timeout_ms {
            0 => self.config.session_timeout_ms_default,
            ms => ms.clamp(self.config.session_timeout_ms_min, self.config.session_timeout_ms_max),
        };
        let rebalance_timeout_ms = match request.rebalance_timeout_ms {
            0 => self.config.rebalance_timeout_ms_default,
            ms => ms,
        };
        let default_assignor = self.config.default_assignor;
        let known = self
            .groups
            .get(&request.group_id)
            .and_then(|group| group.members.get(&request.member_id));
        if !request.member_id.is_empty() {
            match known {
                None => {
                    return Self::membership_error(ErrorCode::UnknownMemberId, &request.member_id)
                }
                Some(member)
                    if request.member_epoch != MEMBER_EPOCH_JOIN
                        && !member.accepts_epoch(request.member_epoch) =>
                {
                    return Self::membership_error(ErrorCode::FencedMemberEpoch, &request.member_id)
                }
                Some(_) => {}
            }
        }
        let member_id = if request.member_id.is_empty() {
            self.members_created += 1;
            format!("{:x}-{}", self.incarnation, self.members_created)
        } else {
            request.member_id.clone()
        };
        let group = self
            .groups
            .entry(request.group_id.clone())
            .or_insert_with(|| Group::new(request.group_id.clone(), default_assignor));
        if group.members.is_empty() {
            group.assignor = requested_assignor.unwrap_or(default_assignor);
        }
        let subscriptions: BTreeSet<String> = request.subscribed_topics.iter().cloned().collect();
        let owned = from_wire(&request.owned_partitions);
        let membership_changed = match group.members.get_mut(&member_id) {
            Some(member) => {
                // A rejoin: it keeps only what it was given and still owns.
                member.assigned.retain(|tp| owned.contains(tp));
                member.revoking.retain(|tp| owned.contains(tp));
                member.session_timeout_ms = u64::from(session_timeout_ms);
                member.rebalance_timeout_ms = u64::from(rebalance_timeout_ms);
                member.last_seen_ms = now_ms;
                let changed = member.subscriptions != subscriptions;
                member.subscriptions = subscriptions;
                changed
            }
            None => {
                group.members.insert(
                    member_id.clone(),
                    Member {
                        id: member_id.clone(),
                        epoch: 1,
                        previous_epoch: 1,
                        subscriptions,
                        session_timeout_ms: u64::from(session_timeout_ms),
                        rebalance_timeout_ms: u64::from(rebalance_timeout_ms),
                        last_seen_ms: now_ms,
                        assigned: BTreeSet::new(),
                        revoking: BTreeSet::new(),
                        revoke_deadline_ms: None,
                        assignment_unsent: true,
                    },
                );
                true
            }
        };
        if membership_changed {
            group.bump_and_assign(catalog);
        } else {
            group.refresh_partition_counts(catalog);
        }
        group.reconcile(&member_id, now_ms);
        self.reply_and_mark_sent(&request.group_id, &member_id, true)
    }

    /// A heartbeat: keeps the member alive, takes its report of what it owns, and answers with
    /// its next assignment step.
    pub fn heartbeat(
        &mut self,
        request: &HeartbeatRequest,
        catalog: &dyn TopicCatalog,
        now_ms: u64,
    ) -> MembershipResponse {
        let Some(group) = self.groups.get_mut(&request.group_id) else {
            return Self::membership_error(ErrorCode::UnknownMemberId, &request.member_id);
        };
        let Some(member) = group.members.get_mut(&request.member_id) else {
            return Self::membership_error(ErrorCode::UnknownMemberId, &request.member_id);
        };
        if !member.accepts_epoch(request.member_epoch) {
            return Self::membership_error(ErrorCode::FencedMemberEpoch, &request.member_id);
        }
        if request.member_epoch != member.epoch {
            // It has not seen its latest assignment.
            member.assignment_unsent = true;
        }
        member.last_seen_ms = now_ms;
        let mut subscription_changed = false;
        if let Some(topics) = &request.subscribed_topics {
            let topics: BTreeSet<String> = topics.iter().cloned().collect();
            if topics != member.subscriptions {
                member.subscriptions = topics;
                subscription_changed = true;
            }
        }
        if let Some(owned) = &request.owned_partitions {
            group.record_owned(&request.member_id, &from_wire(owned));
        }
        if subscription_changed {
            group.bump_and_assign(catalog);
        } else {
            group.refresh_partition_counts(catalog);
        }
        group.reconcile(&request.member_id, now_ms);
        self.reply_and_mark_sent(&request.group_id, &request.member_id, false)
    }

    fn reply_and_mark_sent(
        &mut self,
        group_id: &str,
        member_id: &str,
        always: bool,
    ) -> MembershipResponse {
        let group = self.groups.get_mut(group_id).expect("group exists");
        let member = group.members.get_mut(member_id).expect("member exists");
        let send = always || member.assignment_unsent;
        member.assignment_unsent = false;
        let member = &self.groups[group_id].members[member_id];
        MembershipResponse {
            error_code: ErrorCode::None,
            member_id: member.id.clone(),
            member_epoch: member.epoch,
            heartbeat_interval_ms: ((member.session_timeout_ms / 3) as u32)
                .clamp(1, self.config.heartbeat_interval_ms_max),
            assignment: send.then(|| to_wire(&member.assigned)),
        }
    }

    /// Removes a member at once; its partitions go to the others on their next heartbeats.
    pub fn leave(
        &mut self,
        request: &LeaveGroupRequest,
        catalog: &dyn TopicCatalog,
    ) -> LeaveGroupResponse {
        let refuse = |error_code| LeaveGroupResponse {
            error_code,
            member_id: request.member_id.clone(),
            member_epoch: -1,
        };
        let Some(group) = self.groups.get_mut(&request.group_id) else {
            return refuse(ErrorCode::UnknownMemberId);
        };
        let Some(member) = group.members.get(&request.member_id) else {
            return refuse(ErrorCode::UnknownMemberId);
        };
        if !member.accepts_epoch(request.member_epoch) {
            return refuse(ErrorCode::FencedMemberEpoch);
        }
        let member_epoch = member.epoch;
        group.remove_member(&request.member_id, catalog);
        LeaveGroupResponse {
            error_code: ErrorCode::None,
            member_id: request.member_id.clone(),
            member_epoch,
        }
    }

    /// Removes members whose session (or revocation) deadline passed, follows partition
    /// count changes, and drops offsets of empty groups past their retention.
    pub fn tick(&mut self, catalog: &dyn TopicCatalog, now_ms: u64) -> TickOutcome {
        let mut outcome = TickOutcome::default();
        let retention_ms = self.config.offsets_retention_ms;
        for group in self.groups.values_mut() {
            for member_id in group.expired_members(now_ms) {
                group.remove_member(&member_id, catalog);
                outcome.removed.push((group.id.clone(), member_id));
            }
            if group.members.is_empty() {
                let before = group.offsets.len();
                group.offsets.retain(|_, o| o.commit_time_ms.saturating_add(retention_ms) > now_ms);
                outcome.offsets_expired += before - group.offsets.len();
            } else {
                group.refresh_partition_counts(catalog);
            }
        }
        self.groups.retain(|_, group| !group.members.is_empty() || !group.offsets.is_empty());
        outcome
    }

    /// Commits offsets. Returns the response and whether anything was stored (then the caller
    /// must make the offsets durable before it sends the response).
    pub fn commit(
        &mut self,
        request: &OffsetCommitRequest,
        catalog: &dyn TopicCatalog,
        now_ms: u64,
    ) -> (OffsetCommitResponse, bool) {
        let all_partitions = |error_code: ErrorCode| {
            let topics = request
                .topics
                .iter()
                .map(|topic| OffsetCommitTopicResult {
                    name: topic.name.clone(),
                    partitions: topic
                        .partitions
                        .iter()
                        .map(|p| OffsetCommitPartitionResult { partition: p.partition, error_code })
                        .collect(),
                })
                .collect();
            (OffsetCommitResponse { error_code, topics }, false)
        };
        if !self.valid_group_id(&request.group_id) {
            return all_partitions(ErrorCode::InvalidGroupId);
        }
        let admin = request.member_epoch == ADMIN_MEMBER_EPOCH && request.member_id.is_empty();
        match self.groups.get(&request.group_id) {
            Some(group) if admin && !group.members.is_empty() => {
                return all_partitions(ErrorCode::GroupNotEmpty)
            }
            Some(_) | None if admin => {}
            None => return all_partitions(ErrorCode::UnknownMemberId),
            Some(group) => match group.members.get(&request.member_id) {
                None => return all_partitions(ErrorCode::UnknownMemberId),
                Some(member) if !member.accepts_epoch(request.member_epoch) => {
                    return all_partitions(ErrorCode::FencedMemberEpoch)
                }
                Some(_) => {}
            },
        }
        let metadata_max = self.config.offset_metadata_bytes_max;
        let assignor = self.config.default_assignor;
        let group = self
            .groups
            .entry(request.group_id.clone())
            .or_insert_with(|| Group::new(request.group_id.clone(), assignor));
        let mut stored = false;
        let topics = request
            .topics
            .iter()
            .map(|topic| {
                let count = catalog.partition_count(&topic.name);
                let partitions = topic
                    .partitions
                    .iter()
                    .map(|p| {
                        let error_code = match count {
                            None => ErrorCode::UnknownTopic,
                            Some(count) if p.partition >= count => ErrorCode::UnknownPartition,
                            Some(_) if p.offset < 0 => ErrorCode::InvalidCommitOffset,
                            Some(_)
                                if p.metadata.as_ref().is_some_and(|m| m.len() > metadata_max) =>
                            {
                                ErrorCode::OffsetMetadataTooLarge
                            }
                            Some(_) => {
                                group.offsets.insert(
                                    TopicPartition::new(topic.name.clone(), p.partition),
                                    CommittedOffset {
                                        offset: p.offset,
                                        leader_epoch: p.leader_epoch,
                                        metadata: p.metadata.clone(),
                                        commit_time_ms: now_ms,
                                    },
                                );
                                stored = true;
                                ErrorCode::None
                            }
                        };
                        OffsetCommitPartitionResult { partition: p.partition, error_code }
                    })
                    .collect();
                OffsetCommitTopicResult { name: topic.name.clone(), partitions }
            })
            .collect();
        if group.members.is_empty() && group.offsets.is_empty() {
            self.groups.remove(&request.group_id);
        }
        (OffsetCommitResponse { error_code: ErrorCode::None, topics }, stored)
    }

    /// Reads committed offsets; partitions never committed answer offset -1.
    pub fn fetch(&self, request: &OffsetFetchRequest) -> OffsetFetchResponse {
        if !self.valid_group_id(&request.group_id) {
            return OffsetFetchResponse { error_code: ErrorCode::InvalidGroupId, topics: vec![] };
        }
        let group = self.groups.get(&request.group_id);
        let topics = match &request.topics {
            None => group.map(committed_offsets).unwrap_or_default(),
            Some(wanted) => wanted
                .iter()
                .map(|topic| OffsetFetchTopicResult {
                    name: topic.topic.clone(),
                    partitions: topic
                        .partitions
                        .iter()
                        .map(|&partition| {
                            let tp = TopicPartition::new(topic.topic.clone(), partition);
                            fetch_result(partition, group.and_then(|g| g.offsets.get(&tp)))
                        })
                        .collect(),
                })
                .collect(),
        };
        OffsetFetchResponse { error_code: ErrorCode::None, topics }
    }

    /// Every group this coordinator knows.
    pub fn list(&self) -> Vec<GroupListing> {
        self.groups
            .values()
            .map(|group| GroupListing {
                group_id: group.id.clone(),
                state: group.state(),
                member_count: group.members.len() as u32,
            })
            .collect()
    }

    /// One group's members, assignments and committed offsets.
    pub fn describe(&self, request: &DescribeGroupRequest) -> DescribeGroupResponse {
        let Some(group) = self.groups.get(&request.group_id) else {
            return DescribeGroupResponse {
                error_code: ErrorCode::UnknownGroup,
                group_id: request.group_id.clone(),
                group_epoch: -1,
                ..Default::default()
            };
        };
        DescribeGroupResponse {
            error_code: ErrorCode::None,
            group_id: group.id.clone(),
            state: group.state(),
            group_epoch: group.epoch,
            assignor: (!group.members.is_empty()).then(|| group.assignor.name().to_owned()),
            members: group
                .members
                .values()
                .map(|member| GroupMember {
                    member_id: member.id.clone(),
                    member_epoch: member.epoch,
                    subscribed_topics: member.subscriptions.iter().cloned().collect(),
                    owned_partitions: to_wire(&member.assigned),
                    target_assignment: to_wire(
                        &group.target.get(&member.id).cloned().unwrap_or_default(),
                    ),
                })
                .collect(),
            committed_offsets: committed_offsets(group),
        }
    }

    /// Every committed offset, for a snapshot.
    pub fn committed(&self) -> impl Iterator<Item = (&str, &TopicPartition, &CommittedOffset)> {
        self.groups.values().flat_map(|group| {
            group.offsets.iter().map(move |(tp, offset)| (group.id.as_str(), tp, offset))
        })
    }

    /// Restores a committed offset (at start-up); the newer commit wins over one already here.
    pub fn restore(&mut self, group_id: &str, tp: TopicPartition, offset: CommittedOffset) {
        let assignor = self.config.default_assignor;
        let group = self
            .groups
            .entry(group_id.to_owned())
            .or_insert_with(|| Group::new(group_id.to_owned(), assignor));
        match group.offsets.get(&tp) {
            Some(existing) if existing.commit_time_ms > offset.commit_time_ms => {}
            _ => {
                group.offsets.insert(tp, offset);
            }
        }
    }
}

fn fetch_result(partition: u32, offset: Option<&CommittedOffset>) -> OffsetFetchPartitionResult {
    OffsetFetchPartitionResult {
        partition,
        error_code: ErrorCode::None,
        offset: offset.map_or(-1, |o| o.offset),
        leader_epoch: offset.map_or(-1, |o| o.leader_epoch),
        metadata: offset.and_then(|o| o.metadata.clone()),
    }
}

fn committed_offsets(group: &Group) -> Vec<OffsetFetchTopicResult> {
    let mut topics: Vec<OffsetFetchTopicResult> = Vec::new();
    for (tp, offset) in &group.offsets {
        let result = fetch_result(tp.partition, Some(offset));
        match topics.last_mut() {
            Some(last) if last.name == tp.topic => last.partitions.push(result),
            _ => topics
                .push(OffsetFetchTopicResult { name: tp.topic.clone(), partitions: vec![result] }),
        }
    }
    topics
}

#[cfg(test)]
mod tests {
    use sluice_proto::message::{
        OffsetCommitPartition, OffsetCommitTopic, TopicPartitions, ASSIGNOR_RANGE,
    };

    use super::*;

    fn catalog(partitions: u32) -> BTreeMap<String, u32> {
        BTreeMap::from([("t".to_string(), partitions)])
    }

    /// A well-behaved member: applies every assignment at once and reports it.
    #[derive(Debug, Default)]
    struct SimMember {
        id: String,
        epoch: i32,
        owned: BTreeSet<TopicPartition>,
    }

    impl SimMember {
        fn join(c: &mut Coordinator, cat: &BTreeMap<String, u32>, now_ms: u64) -> SimMember {
            let request = JoinGroupRequest {
                group_id: "g".into(),
                subscribed_topics: vec!["t".into()],
                session_timeout_ms: 1000,
                ..Default::default()
            };
            let reply = c.join(&request, cat, now_ms);
            assert_eq!(reply.error_code, ErrorCode::None);
            let mut member = SimMember { id: reply.member_id.clone(), ..Default::default() };
            member.apply(&reply);
            member
        }

        fn apply(&mut self, reply: &MembershipResponse) {
            assert_eq!(reply.error_code, ErrorCode::None);
            self.epoch = reply.member_epoch;
            if let Some(assignment) = &reply.assignment {
                self.owned = from_wire(assignment);
            }
        }

        fn heartbeat(&mut self, c: &mut Coordinator, cat: &BTreeMap<String, u32>, now_ms: u64) {
            let request = HeartbeatRequest {
                group_id: "g".into(),
                member_id: self.id.clone(),
                member_epoch: self.epoch,
                subscribed_topics: None,
                owned_partitions: Some(to_wire(&self.owned)),
            };
            let reply = c.heartbeat(&request, cat, now_ms);
            self.apply(&reply);
        }

        fn commit(&self, c: &mut Coordinator, epoch: i32, offset: i64) -> ErrorCode {
            let request = OffsetCommitRequest {
                group_id: "g".into(),
                member_id: self.id.clone(),
                member_epoch: epoch,
                topics: vec![OffsetCommitTopic {
                    name: "t".into(),
                    partitions: vec![OffsetCommitPartition {
                        partition: 0,
                        offset,
                        leader_epoch: -1,
                        metadata: Some("m".into()),
                    }],
                }],
            };
            let (response, _) = c.commit(&request, &catalog(6), 0);
            match response.error_code {
                ErrorCode::None => response.topics[0].partitions[0].error_code,
                code => code,
            }
        }
    }

    /// Heartbeats every member in turn until nothing changes, checking at every step that no
    /// partition is owned by two members.
    fn settle(
        c: &mut Coordinator,
        cat: &BTreeMap<String, u32>,
        members: &mut [SimMember],
        now_ms: u64,
    ) {
        for _ in 0..10 {
            for i in 0..members.len() {
                members[i].heartbeat(c, cat, now_ms);
                let mut seen = BTreeSet::new();
                for other in members.iter() {
                    for tp in &other.owned {
                        assert!(seen.insert(tp.clone()), "{tp:?} owned twice");
                    }
                }
            }
        }
        assert_eq!(c.group("g").unwrap().state(), sluice_proto::message::GroupState::Stable);
    }

    fn new_coordinator() -> Coordinator {
        Coordinator::new(CoordinatorConfig::default(), 7)
    }

    #[test]
    fn given_three_members_on_six_partitions_when_settled_should_own_two_each() {
        let (mut c, cat) = (new_coordinator(), catalog(6));
        let mut members: Vec<SimMember> =
            (0..3).map(|_| SimMember::join(&mut c, &cat, 0)).collect();
        settle(&mut c, &cat, &mut members, 0);
        assert!(members.iter().all(|m| m.owned.len() == 2), "{members:?}");
    }

    #[test]
    fn given_a_new_member_when_partitions_move_should_hand_them_over_only_after_release() {
        let (mut c, cat) = (new_coordinator(), catalog(6));
        let mut members: Vec<SimMember> =
            (0..3).map(|_| SimMember::join(&mut c, &cat, 0)).collect();
        settle(&mut c, &cat, &mut members, 0);
        let before: Vec<BTreeSet<TopicPartition>> =
            members.iter().map(|m| m.owned.clone()).collect();
        let fourth = SimMember::join(&mut c, &cat, 0);
        // Everything the newcomer wants is still held by others: it gets nothing yet.
        assert!(fourth.owned.is_empty());
        members.push(fourth);
        settle(&mut c, &cat, &mut members, 0);
        let loads: Vec<usize> = members.iter().map(|m| m.owned.len()).collect();
        assert_eq!(loads.iter().sum::<usize>(), 6);
        assert!(loads.iter().all(|&n| (1..=2).contains(&n)), "{loads:?}");
        let kept: usize =
            before.iter().zip(&members).map(|(b, m)| b.intersection(&m.owned).count()).sum();
        assert_eq!(kept, 5, "only one partition moved");
    }

    #[test]
    fn given_a_silent_member_when_its_session_expires_should_move_its_partitions_to_the_others() {
        let (mut c, cat) = (new_coordinator(), catalog(6));
        let mut members: Vec<SimMember> =
            (0..3).map(|_| SimMember::join(&mut c, &cat, 0)).collect();
        settle(&mut c, &cat, &mut members, 0);
        let silent = members.pop().unwrap();
        assert!(c.tick(&cat, 900).removed.is_empty());
        settle(&mut c, &cat, &mut members, 900);
        assert_eq!(c.tick(&cat, 1001).removed, vec![("g".to_string(), silent.id.clone())]);
        settle(&mut c, &cat, &mut members, 1001);
        assert!(members.iter().all(|m| m.owned.len() == 3));
        assert_eq!(silent.commit(&mut c, silent.epoch, 5), ErrorCode::UnknownMemberId);
    }

    #[test]
    fn given_a_leaving_member_when_it_leaves_should_free_its_partitions_at_once() {
        let (mut c, cat) = (new_coordinator(), catalog(4));
        let mut members: Vec<SimMember> =
            (0..2).map(|_| SimMember::join(&mut c, &cat, 0)).collect();
        settle(&mut c, &cat, &mut members, 0);
        let leaver = members.pop().unwrap();
        let reply = c.leave(
            &LeaveGroupRequest {
                group_id: "g".into(),
                member_id: leaver.id.clone(),
                member_epoch: leaver.epoch,
            },
            &cat,
        );
        assert_eq!(reply.error_code, ErrorCode::None);
        members[0].heartbeat(&mut c, &cat, 1);
        assert_eq!(members[0].owned.len(), 4);
    }

    #[test]
    fn given_a_member_that_never_releases_when_the_rebalance_timeout_passes_should_be_removed() {
        let (mut c, cat) = (new_coordinator(), catalog(2));
        let mut first = SimMember::join(&mut c, &cat, 0);
        first.heartbeat(&mut c, &cat, 0);
        assert_eq!(first.owned.len(), 2);
        let mut second = SimMember::join(&mut c, &cat, 0);
        // The first is told to give one up but keeps reporting both.
        let stubborn = first.owned.clone();
        first.heartbeat(&mut c, &cat, 10);
        first.owned = stubborn.clone();
        first.heartbeat(&mut c, &cat, 20);
        second.heartbeat(&mut c, &cat, 20);
        assert!(second.owned.is_empty(), "nothing handed over while the old owner holds it");
        let timeout = u64::from(CoordinatorConfig::default().rebalance_timeout_ms_default);
        first.owned = stubborn.clone();
        first.heartbeat(&mut c, &cat, 10 + timeout);
        second.heartbeat(&mut c, &cat, 10 + timeout);
        assert!(second.owned.is_empty());
        let removed = c.tick(&cat, 11 + timeout).removed;
        assert_eq!(removed, vec![("g".to_string(), first.id.clone())]);
        second.heartbeat(&mut c, &cat, 12 + timeout);
        assert_eq!(second.owned.len(), 2);
    }

    #[test]
    fn given_stale_epochs_when_committing_should_fence_all_but_current_and_previous() {
        let (mut c, cat) = (new_coordinator(), catalog(6));
        let mut a = SimMember::join(&mut c, &cat, 0);
        a.heartbeat(&mut c, &cat, 0);
        let first_epoch = a.epoch;
        // Two more members: a's assignment shrinks twice, its epoch moves on twice.
        let mut others = vec![SimMember::join(&mut c, &cat, 0)];
        let mut all = vec![a];
        all.append(&mut others);
        settle(&mut c, &cat, &mut all, 0);
        all.push(SimMember::join(&mut c, &cat, 0));
        settle(&mut c, &cat, &mut all, 0);
        let a = &all[0];
        assert!(a.epoch >= first_epoch + 2, "epoch {} from {first_epoch}", a.epoch);
        assert_eq!(a.commit(&mut c, first_epoch, 3), ErrorCode::FencedMemberEpoch);
        assert_eq!(a.commit(&mut c, a.epoch, 3), ErrorCode::None);
        let fetched = c.fetch(&OffsetFetchRequest { group_id: "g".into(), topics: None });
        assert_eq!(fetched.topics[0].partitions[0].offset, 3);
        assert_eq!(fetched.topics[0].partitions[0].metadata.as_deref(), Some("m"));
    }

    #[test]
    fn given_members_when_an_admin_commits_should_refuse_until_the_group_is_empty() {
        let (mut c, cat) = (new_coordinator(), catalog(6));
        let m = SimMember::join(&mut c, &cat, 0);
        let offsets = vec![OffsetCommitTopic {
            name: "t".into(),
            partitions: vec![OffsetCommitPartition {
                partition: 1,
                offset: 9,
                leader_epoch: -1,
                metadata: None,
            }],
        }];
        let request = OffsetCommitRequest::admin("g", offsets);
        assert_eq!(c.commit(&request, &cat, 0).0.error_code, ErrorCode::GroupNotEmpty);
        c.leave(
            &LeaveGroupRequest { group_id: "g".into(), member_id: m.id, member_epoch: m.epoch },
            &cat,
        );
        let (response, stored) = c.commit(&request, &cat, 0);
        assert_eq!(response.error_code, ErrorCode::None);
        assert!(stored);
        let wanted = Some(vec![TopicPartitions { topic: "t".into(), partitions: vec![0, 1] }]);
        let fetched = c.fetch(&OffsetFetchRequest { group_id: "g".into(), topics: wanted });
        let offsets: Vec<i64> = fetched.topics[0].partitions.iter().map(|p| p.offset).collect();
        assert_eq!(offsets, vec![-1, 9]);
    }

    #[test]
    fn given_bad_input_when_joining_or_committing_should_answer_typed_errors() {
        let (mut c, cat) = (new_coordinator(), catalog(2));
        let bad_assignor = JoinGroupRequest {
            group_id: "g".into(),
            assignor: Some("nope".into()),
            ..Default::default()
        };
        assert_eq!(c.join(&bad_assignor, &cat, 0).error_code, ErrorCode::UnsupportedAssignor);
        let no_group = JoinGroupRequest::default();
        assert_eq!(c.join(&no_group, &cat, 0).error_code, ErrorCode::InvalidGroupId);
        let m = SimMember::join(&mut c, &cat, 0);
        assert_eq!(m.commit(&mut c, m.epoch, -5), ErrorCode::InvalidCommitOffset);
        let unknown =
            HeartbeatRequest { group_id: "g".into(), member_id: "x".into(), ..Default::default() };
        assert_eq!(c.heartbeat(&unknown, &cat, 0).error_code, ErrorCode::UnknownMemberId);
    }

    #[test]
    fn given_the_range_assignor_when_two_members_join_should_split_in_ranges() {
        let (mut c, cat) = (new_coordinator(), catalog(4));
        let request = |member_id: String, epoch| JoinGroupRequest {
            group_id: "g".into(),
            member_id,
            member_epoch: epoch,
            subscribed_topics: vec!["t".into()],
            assignor: Some(ASSIGNOR_RANGE.into()),
            ..Default::default()
        };
        let a = c.join(&request(String::new(), 0), &cat, 0);
        let _b = c.join(&request(String::new(), 0), &cat, 0);
        let described = c.describe(&DescribeGroupRequest { group_id: "g".into() });
        assert_eq!(described.assignor.as_deref(), Some(ASSIGNOR_RANGE));
        let target_of_a = &described
            .members
            .iter()
            .find(|m| m.member_id == a.member_id)
            .unwrap()
            .target_assignment;
        assert_eq!(target_of_a[0].partitions, vec![0, 1]);
    }

    #[test]
    fn given_an_empty_group_when_its_offsets_outlive_retention_should_drop_them_and_the_group() {
        let config =
            CoordinatorConfig { offsets_retention_ms: 1000, ..CoordinatorConfig::default() };
        let (mut c, cat) = (Coordinator::new(config, 1), catalog(2));
        let offsets = vec![OffsetCommitTopic {
            name: "t".into(),
            partitions: vec![OffsetCommitPartition {
                partition: 0,
                offset: 4,
                leader_epoch: -1,
                metadata: None,
            }],
        }];
        assert!(c.commit(&OffsetCommitRequest::admin("g", offsets), &cat, 100).1);
        assert_eq!(c.tick(&cat, 1099).offsets_expired, 0);
        assert_eq!(c.tick(&cat, 1100).offsets_expired, 1);
        assert!(c.group("g").is_none());
    }
}
