//! ApiVersions: the handshake a client sends first.

use flatbuffers::{FlatBufferBuilder, WIPOffset};

use super::wire::decode_error_code;
use super::{ApiKey, ApiVersionRange};
use crate::generated as fb;
use crate::ErrorCode;

/// Asks which APIs and versions the broker speaks, and who it is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ApiVersionsRequest {
    /// The client library's name, for the broker's logs.
    pub client_software_name: String,
    /// The client library's version, for the broker's logs.
    pub client_software_version: String,
}

/// The broker's APIs and identity.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ApiVersionsResponse {
    /// Top-level error.
    pub error_code: ErrorCode,
    /// Every API the broker speaks, with its version range. APIs this build does not know
    /// are left out when decoding.
    pub api_versions: Vec<ApiVersionRange>,
    /// The broker's node id.
    pub node_id: i32,
    /// The shard that answered.
    pub shard_id: u32,
    /// Shards (cores) the broker runs.
    pub shard_count: u32,
    /// The cluster's id.
    pub cluster_id: String,
    /// The broker's software version.
    pub software_version: String,
}

impl ApiVersionsRequest {
    pub(crate) fn encode<'b>(
        &self,
        fbb: &mut FlatBufferBuilder<'b>,
    ) -> WIPOffset<fb::ApiVersionsRequest<'b>> {
        let name = fbb.create_string(&self.client_software_name);
        let version = fbb.create_string(&self.client_software_version);
        fb::ApiVersionsRequest::create(
            fbb,
            &fb::ApiVersionsRequestArgs {
                client_software_name: Some(name),
                client_software_version: Some(version),
            },
        )
    }

    pub(crate) fn decode(view: fb::ApiVersionsRequest<'_>) -> Self {
        Self {
            client_software_name: view.client_software_name().unwrap_or_default().to_owned(),
            client_software_version: view.client_software_version().unwrap_or_default().to_owned(),
        }
    }
}

impl ApiVersionsResponse {
    pub(crate) fn encode<'b>(
        &self,
        fbb: &mut FlatBufferBuilder<'b>,
    ) -> WIPOffset<fb::ApiVersionsResponse<'b>> {
        let ranges: Vec<fb::ApiVersionRange> = self
            .api_versions
            .iter()
            .map(|range| {
                fb::ApiVersionRange::new(range.api.to_wire(), range.min_version, range.max_version)
            })
            .collect();
        let api_versions = fbb.create_vector(&ranges);
        let cluster_id = fbb.create_string(&self.cluster_id);
        let software_version = fbb.create_string(&self.software_version);
        fb::ApiVersionsResponse::create(
            fbb,
            &fb::ApiVersionsResponseArgs {
                error_code: self.error_code.as_u16(),
                api_versions: Some(api_versions),
                node_id: self.node_id,
                shard_id: self.shard_id,
                shard_count: self.shard_count,
                cluster_id: Some(cluster_id),
                software_version: Some(software_version),
            },
        )
    }

    pub(crate) fn decode(view: fb::ApiVersionsResponse<'_>) -> Self {
        Self {
            error_code: decode_error_code(view.error_code()),
            api_versions: view
                .api_versions()
                .iter()
                .filter_map(|range| {
                    Some(ApiVersionRange {
                        api: ApiKey::from_u16(range.api().0)?,
                        min_version: range.min_version(),
                        max_version: range.max_version(),
                    })
                })
                .collect(),
            node_id: view.node_id(),
            shard_id: view.shard_id(),
            shard_count: view.shard_count(),
            cluster_id: view.cluster_id().to_owned(),
            software_version: view.software_version().to_owned(),
        }
    }
}
