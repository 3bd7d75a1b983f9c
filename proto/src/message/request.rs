//! The request envelope: correlation id, API version and body.

use super::payload::{PayloadReader, PayloadWriter};
use super::*;
use crate::frame::Frame;
use crate::generated as fb;

/// A client-to-broker message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Chosen by the client, echoed in the response; lets a connection pipeline requests.
    pub correlation_id: u32,
    /// The version of the body's API the client speaks (see [`ApiKey::supported_versions`]).
    pub api_version: u16,
    /// The API call.
    pub body: RequestBody,
}

impl Request {
    /// A request at the newest version of its API this build speaks.
    pub fn new(correlation_id: u32, body: impl Into<RequestBody>) -> Self {
        let body = body.into();
        Self { correlation_id, api_version: body.api_key().latest_version(), body }
    }

    /// The API called.
    pub fn api_key(&self) -> ApiKey {
        self.body.api_key()
    }

    /// The response to this request: same correlation id and version.
    pub fn respond(&self, body: impl Into<ResponseBody>) -> Response {
        Response {
            correlation_id: self.correlation_id,
            api_version: self.api_version,
            body: body.into(),
        }
    }
}

/// Declares the request body enum, its `From` impls, and its API-key mapping in one place.
macro_rules! request_bodies {
    ($($variant:ident($type:ident),)*) => {
        /// The body of a request: one variant per API.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum RequestBody {
            $(
                #[doc = concat!("A [`", stringify!($type), "`].")]
                $variant($type),
            )*
        }

        impl RequestBody {
            /// The API this body calls.
            pub fn api_key(&self) -> ApiKey {
                match self {
                    $(RequestBody::$variant(_) => ApiKey::$variant,)*
                }
            }
        }

        $(
            impl From<$type> for RequestBody {
                fn from(body: $type) -> Self {
                    RequestBody::$variant(body)
                }
            }
        )*

        /// The API a wire body tag belongs to, and the tag's table name.
        fn wire_body_api(body_type: fb::RequestBody) -> Option<(ApiKey, &'static str)> {
            match body_type {
                $(fb::RequestBody::$type => Some((ApiKey::$variant, stringify!($type))),)*
                _ => None,
            }
        }
    };
}

request_bodies! {
    ApiVersions(ApiVersionsRequest),
    Metadata(MetadataRequest),
    CreateTopics(CreateTopicsRequest),
    DeleteTopics(DeleteTopicsRequest),
    ListTopics(ListTopicsRequest),
    DescribeTopics(DescribeTopicsRequest),
    Produce(ProduceRequest),
    Fetch(FetchRequest),
    ListOffsets(ListOffsetsRequest),
    JoinGroup(JoinGroupRequest),
    Heartbeat(HeartbeatRequest),
    LeaveGroup(LeaveGroupRequest),
    OffsetCommit(OffsetCommitRequest),
    OffsetFetch(OffsetFetchRequest),
    ListGroups(ListGroupsRequest),
    DescribeGroup(DescribeGroupRequest),
}

impl Request {
    pub(crate) fn encode<'b>(
        &self,
        fbb: &mut flatbuffers::FlatBufferBuilder<'b>,
        payload: &mut PayloadWriter,
    ) -> flatbuffers::WIPOffset<fb::Request<'b>> {
        use fb::RequestBody as Tag;
        let (body_type, body) = match &self.body {
            RequestBody::ApiVersions(body) => {
                (Tag::ApiVersionsRequest, body.encode(fbb).as_union_value())
            }
            RequestBody::Metadata(body) => {
                (Tag::MetadataRequest, body.encode(fbb).as_union_value())
            }
            RequestBody::CreateTopics(body) => {
                (Tag::CreateTopicsRequest, body.encode(fbb).as_union_value())
            }
            RequestBody::DeleteTopics(body) => {
                (Tag::DeleteTopicsRequest, body.encode(fbb).as_union_value())
            }
            RequestBody::ListTopics(body) => {
                (Tag::ListTopicsRequest, body.encode(fbb).as_union_value())
            }
            RequestBody::DescribeTopics(body) => {
                (Tag::DescribeTopicsRequest, body.encode(fbb).as_union_value())
            }
            RequestBody::Produce(body) => {
                (Tag::ProduceRequest, body.encode(fbb, payload).as_union_value())
            }
            RequestBody::Fetch(body) => (Tag::FetchRequest, body.encode(fbb).as_union_value()),
            RequestBody::ListOffsets(body) => {
                (Tag::ListOffsetsRequest, body.encode(fbb).as_union_value())
            }
            RequestBody::JoinGroup(body) => {
                (Tag::JoinGroupRequest, body.encode(fbb).as_union_value())
            }
            RequestBody::Heartbeat(body) => {
                (Tag::HeartbeatRequest, body.encode(fbb).as_union_value())
            }
            RequestBody::LeaveGroup(body) => {
                (Tag::LeaveGroupRequest, body.encode(fbb).as_union_value())
            }
            RequestBody::OffsetCommit(body) => {
                (Tag::OffsetCommitRequest, body.encode(fbb).as_union_value())
            }
            RequestBody::OffsetFetch(body) => {
                (Tag::OffsetFetchRequest, body.encode(fbb).as_union_value())
            }
            RequestBody::ListGroups(body) => {
                (Tag::ListGroupsRequest, body.encode(fbb).as_union_value())
            }
            RequestBody::DescribeGroup(body) => {
                (Tag::DescribeGroupRequest, body.encode(fbb).as_union_value())
            }
        };
        fb::Request::create(
            fbb,
            &fb::RequestArgs {
                correlation_id: self.correlation_id,
                api: self.api_key().to_wire(),
                api_version: self.api_version,
                body_type,
                body: Some(body),
            },
        )
    }
}

/// Verifies a request header and returns a view of it, without checking the API or version.
/// For callers that want to peek (the correlation id, the API) before a full decode.
pub fn verify_request_header(header: &[u8]) -> Result<fb::Request<'_>, DecodeError> {
    if !has_identifier(header, REQUEST_IDENTIFIER) {
        let kind = DecodeErrorKind::WrongIdentifier { expected: REQUEST_IDENTIFIER };
        return Err(DecodeError::new(kind, None));
    }
    flatbuffers::root_with_opts::<fb::Request<'_>>(&verifier_options(), header)
        .map_err(|error| DecodeError::new(DecodeErrorKind::Verification(error), None))
}

/// Verifies and decodes a request frame.
///
/// Errors carry the header fields when the header itself verified
/// ([`DecodeError::error_response`] then builds the answer); otherwise the connection must be
/// closed ([`DecodeError::is_connection_fatal`]).
pub fn decode_request(frame: &Frame) -> Result<Request, DecodeError> {
    let view = verify_request_header(&frame.header)?;
    let header = HeaderInfo {
        correlation_id: view.correlation_id(),
        api_key: view.api().0,
        api_version: view.api_version(),
    };
    decode_body(view, header, PayloadReader::new(&frame.payload))
        .map(|body| Request {
            correlation_id: header.correlation_id,
            api_version: header.api_version,
            body,
        })
        .map_err(|kind| DecodeError::new(kind, Some(header)))
}

pub(crate) fn check_api_version(header: &HeaderInfo) -> Result<ApiKey, DecodeErrorKind> {
    let api =
        ApiKey::from_u16(header.api_key).ok_or(DecodeErrorKind::UnknownApi(header.api_key))?;
    let range = api.supported_versions();
    if !range.contains(header.api_version) {
        return Err(DecodeErrorKind::UnsupportedVersion {
            api,
            version: header.api_version,
            min: range.min_version,
            max: range.max_version,
        });
    }
    Ok(api)
}

fn decode_body(
    view: fb::Request<'_>,
    header: HeaderInfo,
    payload: PayloadReader<'_>,
) -> Result<RequestBody, DecodeErrorKind> {
    let api = check_api_version(&header)?;
    let body_type = view.body_type();
    let missing = DecodeErrorKind::MissingBody { body_type: body_type.0 };
    let (body_api, body_name) = wire_body_api(body_type).ok_or(missing.clone())?;
    if body_api != api {
        return Err(DecodeErrorKind::BodyMismatch { api_key: header.api_key, body: body_name });
    }
    Ok(match api {
        ApiKey::ApiVersions => RequestBody::ApiVersions(ApiVersionsRequest::decode(
            view.body_as_api_versions_request().ok_or(missing)?,
        )),
        ApiKey::Metadata => RequestBody::Metadata(MetadataRequest::decode(
            view.body_as_metadata_request().ok_or(missing)?,
        )),
        ApiKey::CreateTopics => RequestBody::CreateTopics(CreateTopicsRequest::decode(
            view.body_as_create_topics_request().ok_or(missing)?,
        )?),
        ApiKey::DeleteTopics => RequestBody::DeleteTopics(DeleteTopicsRequest::decode(
            view.body_as_delete_topics_request().ok_or(missing)?,
        )),
        ApiKey::ListTopics => RequestBody::ListTopics(ListTopicsRequest::decode(
            view.body_as_list_topics_request().ok_or(missing)?,
        )),
        ApiKey::DescribeTopics => RequestBody::DescribeTopics(DescribeTopicsRequest::decode(
            view.body_as_describe_topics_request().ok_or(missing)?,
        )),
        ApiKey::Produce => RequestBody::Produce(ProduceRequest::decode(
            view.body_as_produce_request().ok_or(missing)?,
            payload,
        )?),
        ApiKey::Fetch => {
            RequestBody::Fetch(FetchRequest::decode(view.body_as_fetch_request().ok_or(missing)?))
        }
        ApiKey::ListOffsets => RequestBody::ListOffsets(ListOffsetsRequest::decode(
            view.body_as_list_offsets_request().ok_or(missing)?,
        )?),
        ApiKey::JoinGroup => RequestBody::JoinGroup(JoinGroupRequest::decode(
            view.body_as_join_group_request().ok_or(missing)?,
        )),
        ApiKey::Heartbeat => RequestBody::Heartbeat(HeartbeatRequest::decode(
            view.body_as_heartbeat_request().ok_or(missing)?,
        )),
        ApiKey::LeaveGroup => RequestBody::LeaveGroup(LeaveGroupRequest::decode(
            view.body_as_leave_group_request().ok_or(missing)?,
        )),
        ApiKey::OffsetCommit => RequestBody::OffsetCommit(OffsetCommitRequest::decode(
            view.body_as_offset_commit_request().ok_or(missing)?,
        )),
        ApiKey::OffsetFetch => RequestBody::OffsetFetch(OffsetFetchRequest::decode(
            view.body_as_offset_fetch_request().ok_or(missing)?,
        )),
        ApiKey::ListGroups => RequestBody::ListGroups(ListGroupsRequest::decode(
            view.body_as_list_groups_request().ok_or(missing)?,
        )),
        ApiKey::DescribeGroup => RequestBody::DescribeGroup(DescribeGroupRequest::decode(
            view.body_as_describe_group_request().ok_or(missing)?,
        )),
    })
}
