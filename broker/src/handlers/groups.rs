//! Consumer-group APIs: JoinGroup, Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch,
//! DescribeGroup go to the shard that coordinates the group (forwarded over the mesh when it is
//! not this one); ListGroups asks every shard and merges.

use std::rc::Rc;

use sluice_proto::message::{
    DescribeGroupRequest, DescribeGroupResponse, HeartbeatRequest, JoinGroupRequest,
    LeaveGroupRequest, LeaveGroupResponse, ListGroupsResponse, MembershipResponse,
    OffsetCommitRequest, OffsetCommitResponse, OffsetFetchRequest, OffsetFetchResponse,
};
use sluice_proto::ErrorCode;

use crate::group::coordinator_host::{coordinator_shard, GroupReply, GroupRequest};
use crate::shard::shard_message::ShardMessage;
use crate::shard::ShardContext;

fn membership_error(error_code: ErrorCode) -> MembershipResponse {
    MembershipResponse { error_code, member_epoch: -1, ..Default::default() }
}

/// JoinGroup.
pub async fn join(shard: &Rc<ShardContext>, request: JoinGroupRequest) -> MembershipResponse {
    match route(shard, GroupRequest::Join(request)).await {
        GroupReply::Membership(m) => m,
        other => membership_error(failure(other)),
    }
}

/// Heartbeat.
pub async fn heartbeat(shard: &Rc<ShardContext>, request: HeartbeatRequest) -> MembershipResponse {
    match route(shard, GroupRequest::Heartbeat(request)).await {
        GroupReply::Membership(m) => m,
        other => membership_error(failure(other)),
    }
}

/// LeaveGroup.
pub async fn leave(shard: &Rc<ShardContext>, request: LeaveGroupRequest) -> LeaveGroupResponse {
    let member_id = request.member_id.clone();
    match route(shard, GroupRequest::Leave(request)).await {
        GroupReply::Leave(l) => l,
        other => LeaveGroupResponse { error_code: failure(other), member_id, member_epoch: -1 },
    }
}

/// OffsetCommit.
pub async fn commit(
    shard: &Rc<ShardContext>,
    request: OffsetCommitRequest,
) -> OffsetCommitResponse {
    match route(shard, GroupRequest::Commit(request)).await {
        GroupReply::Commit(c) => c,
        other => OffsetCommitResponse { error_code: failure(other), topics: vec![] },
    }
}

/// OffsetFetch.
pub async fn fetch(shard: &Rc<ShardContext>, request: OffsetFetchRequest) -> OffsetFetchResponse {
    match route(shard, GroupRequest::Fetch(request)).await {
        GroupReply::Fetch(f) => f,
        other => OffsetFetchResponse { error_code: failure(other), topics: vec![] },
    }
}

/// DescribeGroup.
pub async fn describe(
    shard: &Rc<ShardContext>,
    request: DescribeGroupRequest,
) -> DescribeGroupResponse {
    let group_id = request.group_id.clone();
    match route(shard, GroupRequest::Describe(request)).await {
        GroupReply::Describe(d) => d,
        other => DescribeGroupResponse {
            error_code: failure(other),
            group_id,
            group_epoch: -1,
            ..Default::default()
        },
    }
}

/// The error code of a reply that is not the expected answer.
fn failure(reply: GroupReply) -> ErrorCode {
    match reply {
        GroupReply::Failed(code) => code,
        other => {
            // A coordinator answering with the wrong variant is a bug, but not worth a crash of
            // the shard serving every other client.
            tracing::error!(?other, "group coordinator answered with a mismatched reply");
            ErrorCode::UnknownServerError
        }
    }
}

async fn route(shard: &Rc<ShardContext>, request: GroupRequest) -> GroupReply {
    let group_id = request.group_id().expect("routed requests name their group");
    let owner = coordinator_shard(group_id, shard.shared.config.shards);
    ask(shard, owner, request).await
}

/// Runs `request` on shard `owner`'s coordinator and returns its reply here.
async fn ask(shard: &Rc<ShardContext>, owner: usize, request: GroupRequest) -> GroupReply {
    if owner == shard.id {
        let image = shard.metadata.borrow().clone();
        return shard.groups.serve(&image, request).await;
    }
    shard.metrics.borrow_mut().forwarded_requests_total += 1;
    let (reply, rx) = flume::bounded(1);
    if shard.mesh.send_to(owner, ShardMessage::Group { request, reply }).await.is_err() {
        return GroupReply::Failed(ErrorCode::BrokerShuttingDown);
    }
    rx.recv_async().await.unwrap_or(GroupReply::Failed(ErrorCode::BrokerShuttingDown))
}

/// Every shard's groups, by group id.
pub async fn list(shard: &Rc<ShardContext>) -> ListGroupsResponse {
    let mut groups = Vec::new();
    for owner in 0..shard.shared.config.shards {
        match ask(shard, owner, GroupRequest::List).await {
            GroupReply::List(listed) => groups.extend(listed),
            other => return ListGroupsResponse { error_code: failure(other), groups: vec![] },
        }
    }
    groups.sort_by(|a, b| a.group_id.cmp(&b.group_id));
    ListGroupsResponse { error_code: ErrorCode::None, groups }
}
