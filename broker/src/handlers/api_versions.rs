//! ApiVersions: the handshake. Tells a client which APIs and versions this broker serves and
//! which broker and shard it is talking to.

use sluice_proto::message::ApiVersionsResponse;
use sluice_proto::ErrorCode;

use super::SERVED_APIS;
use crate::shard::ShardContext;

/// Answers the handshake.
pub fn handle(shard: &ShardContext) -> ApiVersionsResponse {
    ApiVersionsResponse {
        error_code: ErrorCode::None,
        api_versions: SERVED_APIS.iter().map(|api| api.supported_versions()).collect(),
        node_id: shard.shared.config.node_id as i32,
        shard_id: shard.id as u32,
        shard_count: shard.shared.config.shards as u32,
        cluster_id: shard.shared.cluster_id.clone(),
        software_version: env!("CARGO_PKG_VERSION").to_owned(),
    }
}
