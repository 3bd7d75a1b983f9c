//! Consumer-group APIs: JoinGroup, Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch,
//! DescribeGroup go to the shard that coordinates the group (forwarded over the mesh when it is
//! not this one); ListGroups asks every shard and merges.

use std::rc::Rc;

use sluice_proto::message::{
    DescribeGroupResponse, LeaveGroupResponse, ListGroupsResponse, MembershipResponse,
    OffsetCommitResponse, OffsetFetchResponse, RequestBody, ResponseBody,
};
use sluice_proto::ErrorCode;

use crate::group::coordinator_host::{coordinator_shard, GroupReply, GroupRequest};
use crate::shard::shard_message::ShardMessage;
use crate::shard::ShardContext;

/// Serves a group request body; `None` if `body` is not a group API.
pub async fn handle(shard: &Rc<ShardContext>, body: RequestBody) -> Option<ResponseBody> {
    let membership_error =
        |code| MembershipResponse { error_code: code, member_epoch: -1, ..Default::default() };
    Some(match body {
        RequestBody::JoinGroup(r) => match route(shard, GroupRequest::Join(r)).await {
            GroupReply::Membership(m) => ResponseBody::JoinGroup(m),
            other => ResponseBody::JoinGroup(membership_error(failure(other))),
        },
        RequestBody::Heartbeat(r) => match route(shard, GroupRequest::Heartbeat(r)).await {
            GroupReply::Membership(m) => ResponseBody::Heartbeat(m),
            other => ResponseBody::Heartbeat(membership_error(failure(other))),
        },
        RequestBody::LeaveGroup(r) => {
            let member_id = r.member_id.clone();
            match route(shard, GroupRequest::Leave(r)).await {
                GroupReply::Leave(l) => l.into(),
                other => {
                    LeaveGroupResponse { error_code: failure(other), member_id, member_epoch: -1 }
                        .into()
                }
            }
        }
        RequestBody::OffsetCommit(r) => match route(shard, GroupRequest::Commit(r)).await {
            GroupReply::Commit(c) => c.into(),
            other => OffsetCommitResponse { error_code: failure(other), topics: vec![] }.into(),
        },
        RequestBody::OffsetFetch(r) => match route(shard, GroupRequest::Fetch(r)).await {
            GroupReply::Fetch(f) => f.into(),
            other => OffsetFetchResponse { error_code: failure(other), topics: vec![] }.into(),
        },
        RequestBody::DescribeGroup(r) => {
            let group_id = r.group_id.clone();
            match route(shard, GroupRequest::Describe(r)).await {
                GroupReply::Describe(d) => d.into(),
                other => DescribeGroupResponse {
                    error_code: failure(other),
                    group_id,
                    group_epoch: -1,
                    ..Default::default()
                }
                .into(),
            }
        }
        RequestBody::ListGroups(_) => list(shard).await.into(),
        _ => return None,
    })
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
