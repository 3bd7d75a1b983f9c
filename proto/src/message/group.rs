//! Consumer-group membership with server-side assignment (KIP-848 style): JoinGroup,
//! Heartbeat, LeaveGroup, ListGroups, DescribeGroup.
//!
//! The coordinator computes every member's target assignment; members learn it from
//! JoinGroup and Heartbeat responses and report what they own in Heartbeat requests. Every
//! change of a member's assignment bumps its member epoch; a request with a stale epoch is
//! fenced (`FencedMemberEpoch`).

use flatbuffers::{FlatBufferBuilder, ForwardsUOffset, Vector, WIPOffset};

use super::offsets::{
    decode_offset_fetch_topics, encode_offset_fetch_topics, OffsetFetchTopicResult,
};
use super::wire::{
    decode_error_code, decode_strings, encode_optional_string, encode_strings, encode_tables,
};
use super::DecodeErrorKind;
use crate::generated as fb;
use crate::ErrorCode;

/// Name of the sticky assignor (moves as few partitions as possible on a rebalance).
pub const ASSIGNOR_STICKY: &str = "sticky";
/// Name of the range assignor (contiguous partition ranges per member, per topic).
pub const ASSIGNOR_RANGE: &str = "range";
/// The member epoch of a first JoinGroup.
pub const MEMBER_EPOCH_JOIN: i32 = 0;

/// Partitions of one topic.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TopicPartitions {
    /// Topic name.
    pub topic: String,
    /// Partition indexes.
    pub partitions: Vec<u32>,
}

pub(crate) fn encode_topic_partitions<'b>(
    fbb: &mut FlatBufferBuilder<'b>,
    items: &[TopicPartitions],
) -> WIPOffset<Vector<'b, ForwardsUOffset<fb::TopicPartitions<'b>>>> {
    encode_tables(fbb, items, |fbb, item| {
        let topic = fbb.create_string(&item.topic);
        let partitions = fbb.create_vector(&item.partitions);
        fb::TopicPartitions::create(
            fbb,
            &fb::TopicPartitionsArgs { topic: Some(topic), partitions: Some(partitions) },
        )
    })
}

pub(crate) fn decode_topic_partitions(
    items: Vector<'_, ForwardsUOffset<fb::TopicPartitions<'_>>>,
) -> Vec<TopicPartitions> {
    items
        .iter()
        .map(|item| TopicPartitions {
            topic: item.topic().to_owned(),
            partitions: item.partitions().iter().collect(),
        })
        .collect()
}

/// The state of a consumer group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum GroupState {
    /// No members (committed offsets may remain).
    #[default]
    Empty,
    /// The coordinator is computing a new target assignment.
    Assigning,
    /// Members are moving towards the target assignment.
    Reconciling,
    /// Every member owns its target assignment.
    Stable,
    /// The group is being removed.
    Dead,
}

impl GroupState {
    fn to_wire(self) -> fb::GroupState {
        match self {
            GroupState::Empty => fb::GroupState::Empty,
            GroupState::Assigning => fb::GroupState::Assigning,
            GroupState::Reconciling => fb::GroupState::Reconciling,
            GroupState::Stable => fb::GroupState::Stable,
            GroupState::Dead => fb::GroupState::Dead,
        }
    }

    fn from_wire(value: fb::GroupState, field: &'static str) -> Result<Self, DecodeErrorKind> {
        match value {
            fb::GroupState::Empty => Ok(GroupState::Empty),
            fb::GroupState::Assigning => Ok(GroupState::Assigning),
            fb::GroupState::Reconciling => Ok(GroupState::Reconciling),
            fb::GroupState::Stable => Ok(GroupState::Stable),
            fb::GroupState::Dead => Ok(GroupState::Dead),
            other => Err(DecodeErrorKind::InvalidValue { field, value: i64::from(other.0) }),
        }
    }
}

/// Joins a group (or rejoins after being fenced).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JoinGroupRequest {
    /// The group.
    pub group_id: String,
    /// Empty on a first join: the coordinator assigns one.
    pub member_id: String,
    /// [`MEMBER_EPOCH_JOIN`] on a first join.
    pub member_epoch: i32,
    /// Topics the member consumes.
    pub subscribed_topics: Vec<String>,
    /// Server-side assignor ([`ASSIGNOR_STICKY`], [`ASSIGNOR_RANGE`]); `None` = the broker's
    /// default.
    pub assignor: Option<String>,
    /// How long the member may take to release partitions it must give up.
    pub rebalance_timeout_ms: u32,
    /// The member is removed if it sends no heartbeat for this long.
    pub session_timeout_ms: u32,
    /// Partitions the member owns right now (after a rejoin).
    pub owned_partitions: Vec<TopicPartitions>,
}

/// Keeps a member alive and reports what it owns.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HeartbeatRequest {
    /// The group.
    pub group_id: String,
    /// The member.
    pub member_id: String,
    /// The member's current epoch.
    pub member_epoch: i32,
    /// A new subscription, or `None` if unchanged.
    pub subscribed_topics: Option<Vec<String>>,
    /// What the member owns now, or `None` if unchanged since the last request.
    pub owned_partitions: Option<Vec<TopicPartitions>>,
}

/// The coordinator's reply to JoinGroup and Heartbeat.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MembershipResponse {
    /// Top-level error (`FencedMemberEpoch`, `UnknownMemberId`, ...).
    pub error_code: ErrorCode,
    /// The member's id (assigned by the coordinator on a first join).
    pub member_id: String,
    /// The member's epoch from now on.
    pub member_epoch: i32,
    /// Send the next heartbeat within this interval.
    pub heartbeat_interval_ms: u32,
    /// The member's new target assignment, or `None` if it did not change.
    pub assignment: Option<Vec<TopicPartitions>>,
}

/// Leaves a group; its partitions are reassigned at once.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LeaveGroupRequest {
    /// The group.
    pub group_id: String,
    /// The member.
    pub member_id: String,
    /// The member's current epoch.
    pub member_epoch: i32,
}

/// The outcome of a LeaveGroup.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LeaveGroupResponse {
    /// Top-level error.
    pub error_code: ErrorCode,
    /// The member that left.
    pub member_id: String,
    /// The member's final epoch.
    pub member_epoch: i32,
}

/// Lists the groups this coordinator knows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListGroupsRequest {}

/// One group in a ListGroups response.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GroupListing {
    /// The group.
    pub group_id: String,
    /// Its state.
    pub state: GroupState,
    /// Its member count.
    pub member_count: u32,
}

/// The groups.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListGroupsResponse {
    /// Top-level error.
    pub error_code: ErrorCode,
    /// The groups.
    pub groups: Vec<GroupListing>,
}

/// Asks for one group's members, assignments and committed offsets.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DescribeGroupRequest {
    /// The group.
    pub group_id: String,
}

/// One member in a DescribeGroup response.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GroupMember {
    /// The member.
    pub member_id: String,
    /// Its epoch.
    pub member_epoch: i32,
    /// Its subscription.
    pub subscribed_topics: Vec<String>,
    /// What it owns now.
    pub owned_partitions: Vec<TopicPartitions>,
    /// What the coordinator wants it to own.
    pub target_assignment: Vec<TopicPartitions>,
}

/// A group's members, assignments and committed offsets.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DescribeGroupResponse {
    /// Top-level error (`UnknownGroup`, ...).
    pub error_code: ErrorCode,
    /// The group.
    pub group_id: String,
    /// Its state.
    pub state: GroupState,
    /// Its epoch (bumped on every membership or subscription change).
    pub group_epoch: i32,
    /// Its assignor, if it has members.
    pub assignor: Option<String>,
    /// Its members.
    pub members: Vec<GroupMember>,
    /// Its committed offsets.
    pub committed_offsets: Vec<OffsetFetchTopicResult>,
}

impl JoinGroupRequest {
    pub(crate) fn encode<'b>(
        &self,
        fbb: &mut FlatBufferBuilder<'b>,
    ) -> WIPOffset<fb::JoinGroupRequest<'b>> {
        let group_id = fbb.create_string(&self.group_id);
        let member_id = fbb.create_string(&self.member_id);
        let subscribed_topics = encode_strings(fbb, &self.subscribed_topics);
        let assignor = encode_optional_string(fbb, self.assignor.as_deref());
        let owned_partitions = encode_topic_partitions(fbb, &self.owned_partitions);
        fb::JoinGroupRequest::create(
            fbb,
            &fb::JoinGroupRequestArgs {
                group_id: Some(group_id),
                member_id: Some(member_id),
                member_epoch: self.member_epoch,
                subscribed_topics: Some(subscribed_topics),
                assignor,
                rebalance_timeout_ms: self.rebalance_timeout_ms,
                session_timeout_ms: self.session_timeout_ms,
                owned_partitions: Some(owned_partitions),
            },
        )
    }

    pub(crate) fn decode(view: fb::JoinGroupRequest<'_>) -> Self {
        Self {
            group_id: view.group_id().to_owned(),
            member_id: view.member_id().to_owned(),
            member_epoch: view.member_epoch(),
            subscribed_topics: decode_strings(view.subscribed_topics()),
            assignor: view.assignor().map(str::to_owned),
            rebalance_timeout_ms: view.rebalance_timeout_ms(),
            session_timeout_ms: view.session_timeout_ms(),
            owned_partitions: decode_topic_partitions(view.owned_partitions()),
        }
    }
}

impl HeartbeatRequest {
    pub(crate) fn encode<'b>(
        &self,
        fbb: &mut FlatBufferBuilder<'b>,
    ) -> WIPOffset<fb::HeartbeatRequest<'b>> {
        let group_id = fbb.create_string(&self.group_id);
        let member_id = fbb.create_string(&self.member_id);
        let subscribed_topics =
            self.subscribed_topics.as_deref().map(|topics| encode_strings(fbb, topics));
        let owned_partitions =
            self.owned_partitions.as_deref().map(|owned| encode_topic_partitions(fbb, owned));
        fb::HeartbeatRequest::create(
            fbb,
            &fb::HeartbeatRequestArgs {
                group_id: Some(group_id),
                member_id: Some(member_id),
                member_epoch: self.member_epoch,
                subscribed_topics,
                owned_partitions,
            },
        )
    }

    pub(crate) fn decode(view: fb::HeartbeatRequest<'_>) -> Self {
        Self {
            group_id: view.group_id().to_owned(),
            member_id: view.member_id().to_owned(),
            member_epoch: view.member_epoch(),
            subscribed_topics: view.subscribed_topics().map(decode_strings),
            owned_partitions: view.owned_partitions().map(decode_topic_partitions),
        }
    }
}

/// The parts of a [`MembershipResponse`] on the wire, shared by the JoinGroup and Heartbeat
/// response tables, which have the same fields.
pub(crate) struct MembershipParts<'b> {
    member_id: WIPOffset<&'b str>,
    assignment: Option<WIPOffset<fb::Assignment<'b>>>,
}

impl MembershipResponse {
    fn encode_parts<'b>(&self, fbb: &mut FlatBufferBuilder<'b>) -> MembershipParts<'b> {
        let member_id = fbb.create_string(&self.member_id);
        let assignment = self.assignment.as_deref().map(|assignment| {
            let partitions = encode_topic_partitions(fbb, assignment);
            fb::Assignment::create(fbb, &fb::AssignmentArgs { partitions: Some(partitions) })
        });
        MembershipParts { member_id, assignment }
    }

    pub(crate) fn encode_join<'b>(
        &self,
        fbb: &mut FlatBufferBuilder<'b>,
    ) -> WIPOffset<fb::JoinGroupResponse<'b>> {
        let parts = self.encode_parts(fbb);
        fb::JoinGroupResponse::create(
            fbb,
            &fb::JoinGroupResponseArgs {
                error_code: self.error_code.as_u16(),
                member_id: Some(parts.member_id),
                member_epoch: self.member_epoch,
                heartbeat_interval_ms: self.heartbeat_interval_ms,
                assignment: parts.assignment,
            },
        )
    }

    pub(crate) fn encode_heartbeat<'b>(
        &self,
        fbb: &mut FlatBufferBuilder<'b>,
    ) -> WIPOffset<fb::HeartbeatResponse<'b>> {
        let parts = self.encode_parts(fbb);
        fb::HeartbeatResponse::create(
            fbb,
            &fb::HeartbeatResponseArgs {
                error_code: self.error_code.as_u16(),
                member_id: Some(parts.member_id),
                member_epoch: self.member_epoch,
                heartbeat_interval_ms: self.heartbeat_interval_ms,
                assignment: parts.assignment,
            },
        )
    }

    pub(crate) fn decode_join(view: fb::JoinGroupResponse<'_>) -> Self {
        Self {
            error_code: decode_error_code(view.error_code()),
            member_id: view.member_id().to_owned(),
            member_epoch: view.member_epoch(),
            heartbeat_interval_ms: view.heartbeat_interval_ms(),
            assignment: view
                .assignment()
                .map(|assignment| decode_topic_partitions(assignment.partitions())),
        }
    }

    pub(crate) fn decode_heartbeat(view: fb::HeartbeatResponse<'_>) -> Self {
        Self {
            error_code: decode_error_code(view.error_code()),
            member_id: view.member_id().to_owned(),
            member_epoch: view.member_epoch(),
            heartbeat_interval_ms: view.heartbeat_interval_ms(),
            assignment: view
                .assignment()
                .map(|assignment| decode_topic_partitions(assignment.partitions())),
        }
    }
}

impl LeaveGroupRequest {
    pub(crate) fn encode<'b>(
        &self,
        fbb: &mut FlatBufferBuilder<'b>,
    ) -> WIPOffset<fb::LeaveGroupRequest<'b>> {
        let group_id = fbb.create_string(&self.group_id);
        let member_id = fbb.create_string(&self.member_id);
        fb::LeaveGroupRequest::create(
            fbb,
            &fb::LeaveGroupRequestArgs {
                group_id: Some(group_id),
                member_id: Some(member_id),
                member_epoch: self.member_epoch,
            },
        )
    }

    pub(crate) fn decode(view: fb::LeaveGroupRequest<'_>) -> Self {
        Self {
            group_id: view.group_id().to_owned(),
            member_id: view.member_id().to_owned(),
            member_epoch: view.member_epoch(),
        }
    }
}

impl LeaveGroupResponse {
    pub(crate) fn encode<'b>(
        &self,
        fbb: &mut FlatBufferBuilder<'b>,
    ) -> WIPOffset<fb::LeaveGroupResponse<'b>> {
        let member_id = fbb.create_string(&self.member_id);
        fb::LeaveGroupResponse::create(
            fbb,
            &fb::LeaveGroupResponseArgs {
                error_code: self.error_code.as_u16(),
                member_id: Some(member_id),
                member_epoch: self.member_epoch,
            },
        )
    }

    pub(crate) fn decode(view: fb::LeaveGroupResponse<'_>) -> Self {
        Self {
            error_code: decode_error_code(view.error_code()),
            member_id: view.member_id().to_owned(),
            member_epoch: view.member_epoch(),
        }
    }
}

impl ListGroupsRequest {
    pub(crate) fn encode<'b>(
        &self,
        fbb: &mut FlatBufferBuilder<'b>,
    ) -> WIPOffset<fb::ListGroupsRequest<'b>> {
        fb::ListGroupsRequest::create(fbb, &fb::ListGroupsRequestArgs {})
    }

    pub(crate) fn decode(_view: fb::ListGroupsRequest<'_>) -> Self {
        Self {}
    }
}

impl ListGroupsResponse {
    pub(crate) fn encode<'b>(
        &self,
        fbb: &mut FlatBufferBuilder<'b>,
    ) -> WIPOffset<fb::ListGroupsResponse<'b>> {
        let groups = encode_tables(fbb, &self.groups, |fbb, group| {
            let group_id = fbb.create_string(&group.group_id);
            fb::GroupListing::create(
                fbb,
                &fb::GroupListingArgs {
                    group_id: Some(group_id),
                    state: group.state.to_wire(),
                    member_count: group.member_count,
                },
            )
        });
        fb::ListGroupsResponse::create(
            fbb,
            &fb::ListGroupsResponseArgs {
                error_code: self.error_code.as_u16(),
                groups: Some(groups),
            },
        )
    }

    pub(crate) fn decode(view: fb::ListGroupsResponse<'_>) -> Result<Self, DecodeErrorKind> {
        Ok(Self {
            error_code: decode_error_code(view.error_code()),
            groups: view
                .groups()
                .iter()
                .map(|group| {
                    Ok(GroupListing {
                        group_id: group.group_id().to_owned(),
                        state: GroupState::from_wire(group.state(), "GroupListing.state")?,
                        member_count: group.member_count(),
                    })
                })
                .collect::<Result<_, DecodeErrorKind>>()?,
        })
    }
}

impl DescribeGroupRequest {
    pub(crate) fn encode<'b>(
        &self,
        fbb: &mut FlatBufferBuilder<'b>,
    ) -> WIPOffset<fb::DescribeGroupRequest<'b>> {
        let group_id = fbb.create_string(&self.group_id);
        fb::DescribeGroupRequest::create(
            fbb,
            &fb::DescribeGroupRequestArgs { group_id: Some(group_id) },
        )
    }

    pub(crate) fn decode(view: fb::DescribeGroupRequest<'_>) -> Self {
        Self { group_id: view.group_id().to_owned() }
    }
}

impl DescribeGroupResponse {
    pub(crate) fn encode<'b>(
        &self,
        fbb: &mut FlatBufferBuilder<'b>,
    ) -> WIPOffset<fb::DescribeGroupResponse<'b>> {
        let group_id = fbb.create_string(&self.group_id);
        let assignor = encode_optional_string(fbb, self.assignor.as_deref());
        let members = encode_tables(fbb, &self.members, |fbb, member| {
            let member_id = fbb.create_string(&member.member_id);
            let subscribed_topics = encode_strings(fbb, &member.subscribed_topics);
            let owned_partitions = encode_topic_partitions(fbb, &member.owned_partitions);
            let target_assignment = encode_topic_partitions(fbb, &member.target_assignment);
            fb::GroupMember::create(
                fbb,
                &fb::GroupMemberArgs {
                    member_id: Some(member_id),
                    member_epoch: member.member_epoch,
                    subscribed_topics: Some(subscribed_topics),
                    owned_partitions: Some(owned_partitions),
                    target_assignment: Some(target_assignment),
                },
            )
        });
        let committed_offsets = encode_offset_fetch_topics(fbb, &self.committed_offsets);
        fb::DescribeGroupResponse::create(
            fbb,
            &fb::DescribeGroupResponseArgs {
                error_code: self.error_code.as_u16(),
                group_id: Some(group_id),
                state: self.state.to_wire(),
                group_epoch: self.group_epoch,
                assignor,
                members: Some(members),
                committed_offsets: Some(committed_offsets),
            },
        )
    }

    pub(crate) fn decode(view: fb::DescribeGroupResponse<'_>) -> Result<Self, DecodeErrorKind> {
        Ok(Self {
            error_code: decode_error_code(view.error_code()),
            group_id: view.group_id().to_owned(),
            state: GroupState::from_wire(view.state(), "DescribeGroupResponse.state")?,
            group_epoch: view.group_epoch(),
            assignor: view.assignor().map(str::to_owned),
            members: view
                .members()
                .iter()
                .map(|member| GroupMember {
                    member_id: member.member_id().to_owned(),
                    member_epoch: member.member_epoch(),
                    subscribed_topics: decode_strings(member.subscribed_topics()),
                    owned_partitions: decode_topic_partitions(member.owned_partitions()),
                    target_assignment: decode_topic_partitions(member.target_assignment()),
                })
                .collect(),
            committed_offsets: decode_offset_fetch_topics(view.committed_offsets()),
        })
    }
}
