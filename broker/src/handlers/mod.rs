//! One handler per API. Each turns a decoded request into a response, routing partition work
//! through [`ShardContext::dispatch`](crate::shard::ShardContext::dispatch).
//!
//! Produce is split in two ([`produce::dispatch`] then [`produce::complete`]): the connection
//! hands every partition's batch to its owner before it reads the next request, so pipelined
//! produces to one partition are appended in the order they were sent.

pub mod api_versions;
pub mod fetch;
pub mod list_offsets;
pub mod metadata;
pub mod produce;
pub mod topics;

use std::rc::Rc;

use sluice_proto::message::{ApiKey, Request, RequestBody, Response};
use sluice_proto::ErrorCode;

use crate::shard::ShardContext;

/// The APIs this broker serves. Consumer groups are not in it until their coordinator lands;
/// ApiVersions tells clients so, and such requests get [`ErrorCode::UnknownApi`].
pub const SERVED_APIS: &[ApiKey] = &[
    ApiKey::ApiVersions,
    ApiKey::Metadata,
    ApiKey::CreateTopics,
    ApiKey::DeleteTopics,
    ApiKey::ListTopics,
    ApiKey::DescribeTopics,
    ApiKey::Produce,
    ApiKey::Fetch,
    ApiKey::ListOffsets,
];

/// Serves one request; `None` when the request gets no response (produce with `acks = none`).
/// Connections dispatch produce themselves (see [`produce`]) to keep partition order; this
/// path serves it too, for callers that handle one request at a time.
pub async fn handle(shard: &Rc<ShardContext>, request: Request) -> Option<Response> {
    let correlation_id = request.correlation_id;
    let api_version = request.api_version;
    let api_key = request.api_key();
    let respond = |body: sluice_proto::message::ResponseBody| {
        Some(Response { correlation_id, api_version, body })
    };
    match request.body {
        RequestBody::ApiVersions(_) => respond(api_versions::handle(shard).into()),
        RequestBody::Metadata(r) => respond(metadata::handle(shard, r).into()),
        RequestBody::CreateTopics(r) => respond(topics::create(shard, r).await.into()),
        RequestBody::DeleteTopics(r) => respond(topics::delete(shard, r).await.into()),
        RequestBody::ListTopics(_) => respond(topics::list(shard).into()),
        RequestBody::DescribeTopics(r) => respond(topics::describe(shard, r).await.into()),
        RequestBody::Fetch(r) => respond(fetch::handle(shard, r).await.into()),
        RequestBody::ListOffsets(r) => respond(list_offsets::handle(shard, r).await.into()),
        RequestBody::Produce(r) => {
            // This path holds a shared request, so its batches are copied once to be stamped;
            // connections use the zero-copy path instead.
            let response = produce::complete(produce::dispatch(shard, r.into()).await).await?;
            respond(response.into())
        }
        _ => Some(Response::error(
            correlation_id,
            api_key.as_u16(),
            api_version,
            ErrorCode::UnknownApi,
            Some(format!("{api_key:?} is not served by this broker yet")),
        )),
    }
}
