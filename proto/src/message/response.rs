//! The response envelope: correlation id, API version and body.

use super::payload::{PayloadReader, PayloadWriter};
use super::request::check_api_version;
use super::*;
use crate::frame::Frame;
use crate::generated as fb;
use crate::ErrorCode;

/// A broker-to-client message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The request's correlation id.
    pub correlation_id: u32,
    /// The request's API version.
    pub api_version: u16,
    /// The answer.
    pub body: ResponseBody,
}

impl Response {
    /// An [`ErrorResponse`] for a request that could not be served as its API at all.
    pub fn error(
        correlation_id: u32,
        api_key: u16,
        api_version: u16,
        error_code: ErrorCode,
        message: Option<String>,
    ) -> Self {
        Self {
            correlation_id,
            api_version,
            body: ResponseBody::Error(ErrorResponse { api_key, error_code, message }),
        }
    }

    /// The raw API key the response answers (for an [`ErrorResponse`], the request's,
    /// possibly unknown).
    pub fn api_key_raw(&self) -> u16 {
        self.body.api_key_raw()
    }
}

/// The answer to a request the broker could not read as its API: unknown API, unsupported
/// version, malformed body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ErrorResponse {
    /// The request's raw API key.
    pub api_key: u16,
    /// What went wrong.
    pub error_code: ErrorCode,
    /// Details for a human.
    pub message: Option<String>,
}

/// The body of a response: one variant per API, plus [`ResponseBody::Error`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponseBody {
    /// An [`ApiVersionsResponse`].
    ApiVersions(ApiVersionsResponse),
    /// A [`MetadataResponse`].
    Metadata(MetadataResponse),
    /// A [`CreateTopicsResponse`].
    CreateTopics(CreateTopicsResponse),
    /// A [`DeleteTopicsResponse`].
    DeleteTopics(DeleteTopicsResponse),
    /// A [`ListTopicsResponse`].
    ListTopics(ListTopicsResponse),
    /// A [`DescribeTopicsResponse`].
    DescribeTopics(DescribeTopicsResponse),
    /// A [`ProduceResponse`].
    Produce(ProduceResponse),
    /// A [`FetchResponse`].
    Fetch(FetchResponse),
    /// A [`ListOffsetsResponse`].
    ListOffsets(ListOffsetsResponse),
    /// The [`MembershipResponse`] to a JoinGroup.
    JoinGroup(MembershipResponse),
    /// The [`MembershipResponse`] to a Heartbeat.
    Heartbeat(MembershipResponse),
    /// A [`LeaveGroupResponse`].
    LeaveGroup(LeaveGroupResponse),
    /// An [`OffsetCommitResponse`].
    OffsetCommit(OffsetCommitResponse),
    /// An [`OffsetFetchResponse`].
    OffsetFetch(OffsetFetchResponse),
    /// A [`ListGroupsResponse`].
    ListGroups(ListGroupsResponse),
    /// A [`DescribeGroupResponse`].
    DescribeGroup(DescribeGroupResponse),
    /// An [`ErrorResponse`].
    Error(ErrorResponse),
}

macro_rules! response_from {
    ($($variant:ident($type:ident),)*) => {
        $(
            impl From<$type> for ResponseBody {
                fn from(body: $type) -> Self {
                    ResponseBody::$variant(body)
                }
            }
        )*
    };
}

response_from! {
    ApiVersions(ApiVersionsResponse),
    Metadata(MetadataResponse),
    CreateTopics(CreateTopicsResponse),
    DeleteTopics(DeleteTopicsResponse),
    ListTopics(ListTopicsResponse),
    DescribeTopics(DescribeTopicsResponse),
    Produce(ProduceResponse),
    Fetch(FetchResponse),
    ListOffsets(ListOffsetsResponse),
    LeaveGroup(LeaveGroupResponse),
    OffsetCommit(OffsetCommitResponse),
    OffsetFetch(OffsetFetchResponse),
    ListGroups(ListGroupsResponse),
    DescribeGroup(DescribeGroupResponse),
    Error(ErrorResponse),
}

impl ResponseBody {
    /// The API answered, or `None` for an [`ErrorResponse`] to an API this build does not
    /// know.
    pub fn api_key(&self) -> Option<ApiKey> {
        ApiKey::from_u16(self.api_key_raw())
    }

    /// The raw API key answered.
    pub fn api_key_raw(&self) -> u16 {
        let api = match self {
            ResponseBody::ApiVersions(_) => ApiKey::ApiVersions,
            ResponseBody::Metadata(_) => ApiKey::Metadata,
            ResponseBody::CreateTopics(_) => ApiKey::CreateTopics,
            ResponseBody::DeleteTopics(_) => ApiKey::DeleteTopics,
            ResponseBody::ListTopics(_) => ApiKey::ListTopics,
            ResponseBody::DescribeTopics(_) => ApiKey::DescribeTopics,
            ResponseBody::Produce(_) => ApiKey::Produce,
            ResponseBody::Fetch(_) => ApiKey::Fetch,
            ResponseBody::ListOffsets(_) => ApiKey::ListOffsets,
            ResponseBody::JoinGroup(_) => ApiKey::JoinGroup,
            ResponseBody::Heartbeat(_) => ApiKey::Heartbeat,
            ResponseBody::LeaveGroup(_) => ApiKey::LeaveGroup,
            ResponseBody::OffsetCommit(_) => ApiKey::OffsetCommit,
            ResponseBody::OffsetFetch(_) => ApiKey::OffsetFetch,
            ResponseBody::ListGroups(_) => ApiKey::ListGroups,
            ResponseBody::DescribeGroup(_) => ApiKey::DescribeGroup,
            ResponseBody::Error(error) => return error.api_key,
        };
        api.as_u16()
    }

    /// The top-level error code (per-item codes are in the body).
    pub fn error_code(&self) -> ErrorCode {
        match self {
            ResponseBody::ApiVersions(body) => body.error_code,
            ResponseBody::Metadata(body) => body.error_code,
            ResponseBody::CreateTopics(body) => body.error_code,
            ResponseBody::DeleteTopics(body) => body.error_code,
            ResponseBody::ListTopics(body) => body.error_code,
            ResponseBody::DescribeTopics(body) => body.error_code,
            ResponseBody::Produce(body) => body.error_code,
            ResponseBody::Fetch(body) => body.error_code,
            ResponseBody::ListOffsets(body) => body.error_code,
            ResponseBody::JoinGroup(body) | ResponseBody::Heartbeat(body) => body.error_code,
            ResponseBody::LeaveGroup(body) => body.error_code,
            ResponseBody::OffsetCommit(body) => body.error_code,
            ResponseBody::OffsetFetch(body) => body.error_code,
            ResponseBody::ListGroups(body) => body.error_code,
            ResponseBody::DescribeGroup(body) => body.error_code,
            ResponseBody::Error(body) => body.error_code,
        }
    }
}

impl ErrorResponse {
    fn encode<'b>(
        &self,
        fbb: &mut flatbuffers::FlatBufferBuilder<'b>,
    ) -> flatbuffers::WIPOffset<fb::ErrorResponse<'b>> {
        let message = self.message.as_deref().map(|message| fbb.create_string(message));
        fb::ErrorResponse::create(
            fbb,
            &fb::ErrorResponseArgs { error_code: self.error_code.as_u16(), message },
        )
    }
}

impl Response {
    pub(crate) fn encode<'b>(
        &self,
        fbb: &mut flatbuffers::FlatBufferBuilder<'b>,
        payload: &mut PayloadWriter,
    ) -> flatbuffers::WIPOffset<fb::Response<'b>> {
        use fb::ResponseBody as Tag;
        let (body_type, body) = match &self.body {
            ResponseBody::ApiVersions(body) => {
                (Tag::ApiVersionsResponse, body.encode(fbb).as_union_value())
            }
            ResponseBody::Metadata(body) => {
                (Tag::MetadataResponse, body.encode(fbb).as_union_value())
            }
            ResponseBody::CreateTopics(body) => {
                (Tag::CreateTopicsResponse, body.encode(fbb).as_union_value())
            }
            ResponseBody::DeleteTopics(body) => {
                (Tag::DeleteTopicsResponse, body.encode(fbb).as_union_value())
            }
            ResponseBody::ListTopics(body) => {
                (Tag::ListTopicsResponse, body.encode(fbb).as_union_value())
            }
            ResponseBody::DescribeTopics(body) => {
                (Tag::DescribeTopicsResponse, body.encode(fbb).as_union_value())
            }
            ResponseBody::Produce(body) => {
                (Tag::ProduceResponse, body.encode(fbb).as_union_value())
            }
            ResponseBody::Fetch(body) => {
                (Tag::FetchResponse, body.encode(fbb, payload).as_union_value())
            }
            ResponseBody::ListOffsets(body) => {
                (Tag::ListOffsetsResponse, body.encode(fbb).as_union_value())
            }
            ResponseBody::JoinGroup(body) => {
                (Tag::JoinGroupResponse, body.encode_join(fbb).as_union_value())
            }
            ResponseBody::Heartbeat(body) => {
                (Tag::HeartbeatResponse, body.encode_heartbeat(fbb).as_union_value())
            }
            ResponseBody::LeaveGroup(body) => {
                (Tag::LeaveGroupResponse, body.encode(fbb).as_union_value())
            }
            ResponseBody::OffsetCommit(body) => {
                (Tag::OffsetCommitResponse, body.encode(fbb).as_union_value())
            }
            ResponseBody::OffsetFetch(body) => {
                (Tag::OffsetFetchResponse, body.encode(fbb).as_union_value())
            }
            ResponseBody::ListGroups(body) => {
                (Tag::ListGroupsResponse, body.encode(fbb).as_union_value())
            }
            ResponseBody::DescribeGroup(body) => {
                (Tag::DescribeGroupResponse, body.encode(fbb).as_union_value())
            }
            ResponseBody::Error(body) => (Tag::ErrorResponse, body.encode(fbb).as_union_value()),
        };
        fb::Response::create(
            fbb,
            &fb::ResponseArgs {
                correlation_id: self.correlation_id,
                api: fb::ApiKey(self.api_key_raw()),
                api_version: self.api_version,
                body_type,
                body: Some(body),
            },
        )
    }
}

/// The API a wire body tag belongs to (`None` for the error response), and the tag's table
/// name; `Err` for a tag this build does not know.
fn wire_body_api(body_type: fb::ResponseBody) -> Result<(Option<ApiKey>, &'static str), ()> {
    use fb::ResponseBody as Tag;
    let api = match body_type {
        Tag::ApiVersionsResponse => ApiKey::ApiVersions,
        Tag::MetadataResponse => ApiKey::Metadata,
        Tag::CreateTopicsResponse => ApiKey::CreateTopics,
        Tag::DeleteTopicsResponse => ApiKey::DeleteTopics,
        Tag::ListTopicsResponse => ApiKey::ListTopics,
        Tag::DescribeTopicsResponse => ApiKey::DescribeTopics,
        Tag::ProduceResponse => ApiKey::Produce,
        Tag::FetchResponse => ApiKey::Fetch,
        Tag::ListOffsetsResponse => ApiKey::ListOffsets,
        Tag::JoinGroupResponse => ApiKey::JoinGroup,
        Tag::HeartbeatResponse => ApiKey::Heartbeat,
        Tag::LeaveGroupResponse => ApiKey::LeaveGroup,
        Tag::OffsetCommitResponse => ApiKey::OffsetCommit,
        Tag::OffsetFetchResponse => ApiKey::OffsetFetch,
        Tag::ListGroupsResponse => ApiKey::ListGroups,
        Tag::DescribeGroupResponse => ApiKey::DescribeGroup,
        Tag::ErrorResponse => return Ok((None, "ErrorResponse")),
        _ => return Err(()),
    };
    Ok((Some(api), body_type.variant_name().unwrap_or("unknown")))
}

/// Verifies a response header and returns a view of it, without checking the API or version.
pub fn verify_response_header(header: &[u8]) -> Result<fb::Response<'_>, DecodeError> {
    if !has_identifier(header, RESPONSE_IDENTIFIER) {
        let kind = DecodeErrorKind::WrongIdentifier { expected: RESPONSE_IDENTIFIER };
        return Err(DecodeError::new(kind, None));
    }
    flatbuffers::root_with_opts::<fb::Response<'_>>(&verifier_options(), header)
        .map_err(|error| DecodeError::new(DecodeErrorKind::Verification(error), None))
}

/// Verifies and decodes a response frame. An [`ErrorResponse`] is accepted for any API key,
/// known or not; every other body must match the header's API key and a supported version.
pub fn decode_response(frame: &Frame) -> Result<Response, DecodeError> {
    let view = verify_response_header(&frame.header)?;
    let header = HeaderInfo {
        correlation_id: view.correlation_id(),
        api_key: view.api().0,
        api_version: view.api_version(),
    };
    decode_body(view, header, PayloadReader::new(&frame.payload))
        .map(|body| Response {
            correlation_id: header.correlation_id,
            api_version: header.api_version,
            body,
        })
        .map_err(|kind| DecodeError::new(kind, Some(header)))
}

fn decode_body(
    view: fb::Response<'_>,
    header: HeaderInfo,
    payload: PayloadReader<'_>,
) -> Result<ResponseBody, DecodeErrorKind> {
    let body_type = view.body_type();
    let missing = DecodeErrorKind::MissingBody { body_type: body_type.0 };
    let (body_api, body_name) = wire_body_api(body_type).map_err(|()| missing.clone())?;
    let Some(body_api) = body_api else {
        let error = view.body_as_error_response().ok_or(missing)?;
        return Ok(ResponseBody::Error(ErrorResponse {
            api_key: header.api_key,
            error_code: ErrorCode::from_wire(error.error_code()),
            message: error.message().map(str::to_owned),
        }));
    };
    let api = check_api_version(&header)?;
    if body_api != api {
        return Err(DecodeErrorKind::BodyMismatch { api_key: header.api_key, body: body_name });
    }
    Ok(match api {
        ApiKey::ApiVersions => ResponseBody::ApiVersions(ApiVersionsResponse::decode(
            view.body_as_api_versions_response().ok_or(missing)?,
        )),
        ApiKey::Metadata => ResponseBody::Metadata(MetadataResponse::decode(
            view.body_as_metadata_response().ok_or(missing)?,
        )),
        ApiKey::CreateTopics => ResponseBody::CreateTopics(CreateTopicsResponse::decode(
            view.body_as_create_topics_response().ok_or(missing)?,
        )),
        ApiKey::DeleteTopics => ResponseBody::DeleteTopics(DeleteTopicsResponse::decode(
            view.body_as_delete_topics_response().ok_or(missing)?,
        )),
        ApiKey::ListTopics => ResponseBody::ListTopics(ListTopicsResponse::decode(
            view.body_as_list_topics_response().ok_or(missing)?,
        )),
        ApiKey::DescribeTopics => ResponseBody::DescribeTopics(DescribeTopicsResponse::decode(
            view.body_as_describe_topics_response().ok_or(missing)?,
        )?),
        ApiKey::Produce => ResponseBody::Produce(ProduceResponse::decode(
            view.body_as_produce_response().ok_or(missing)?,
        )),
        ApiKey::Fetch => ResponseBody::Fetch(FetchResponse::decode(
            view.body_as_fetch_response().ok_or(missing)?,
            payload,
        )?),
        ApiKey::ListOffsets => ResponseBody::ListOffsets(ListOffsetsResponse::decode(
            view.body_as_list_offsets_response().ok_or(missing)?,
        )),
        ApiKey::JoinGroup => ResponseBody::JoinGroup(MembershipResponse::decode_join(
            view.body_as_join_group_response().ok_or(missing)?,
        )),
        ApiKey::Heartbeat => ResponseBody::Heartbeat(MembershipResponse::decode_heartbeat(
            view.body_as_heartbeat_response().ok_or(missing)?,
        )),
        ApiKey::LeaveGroup => ResponseBody::LeaveGroup(LeaveGroupResponse::decode(
            view.body_as_leave_group_response().ok_or(missing)?,
        )),
        ApiKey::OffsetCommit => ResponseBody::OffsetCommit(OffsetCommitResponse::decode(
            view.body_as_offset_commit_response().ok_or(missing)?,
        )),
        ApiKey::OffsetFetch => ResponseBody::OffsetFetch(OffsetFetchResponse::decode(
            view.body_as_offset_fetch_response().ok_or(missing)?,
        )),
        ApiKey::ListGroups => ResponseBody::ListGroups(ListGroupsResponse::decode(
            view.body_as_list_groups_response().ok_or(missing)?,
        )?),
        ApiKey::DescribeGroup => ResponseBody::DescribeGroup(DescribeGroupResponse::decode(
            view.body_as_describe_group_response().ok_or(missing)?,
        )?),
    })
}
