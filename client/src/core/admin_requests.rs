//! Admin requests and how their responses become results, shared by every I/O layer.

use std::time::Duration;

use sluice_proto::message::{
    CreatableTopic, CreateTopicsRequest, DeleteTopicsRequest, DescribeTopicsRequest,
    ListTopicsRequest, MetadataRequest, MetadataResponse, RequestBody, ResponseBody, TopicConfig,
    TopicDescription, TopicListing, TopicResult,
};
use sluice_proto::ErrorCode;

use crate::error::{ClientError, Result};

/// The request creating one topic.
pub fn create_topic(name: &str, config: TopicConfig, timeout: Duration) -> RequestBody {
    CreateTopicsRequest {
        topics: vec![CreatableTopic { name: name.to_owned(), config }],
        timeout_ms: millis(timeout),
        validate_only: false,
    }
    .into()
}

/// The request deleting one topic.
pub fn delete_topic(name: &str, timeout: Duration) -> RequestBody {
    DeleteTopicsRequest { names: vec![name.to_owned()], timeout_ms: millis(timeout) }.into()
}

/// The request listing every topic.
pub fn list_topics() -> RequestBody {
    ListTopicsRequest {}.into()
}

/// The request describing topics (all of them when `names` is empty).
pub fn describe_topics(names: &[&str]) -> RequestBody {
    DescribeTopicsRequest { names: names.iter().map(|n| (*n).to_owned()).collect() }.into()
}

/// The request for topics' metadata (all of them when `names` is empty).
pub fn metadata(names: &[&str]) -> RequestBody {
    MetadataRequest { topics: names.iter().map(|n| (*n).to_owned()).collect() }.into()
}

/// The outcome of a create or delete request for the topic `name`.
pub fn topic_result(name: &str, body: ResponseBody) -> Result<()> {
    let results: Vec<TopicResult> = match body {
        ResponseBody::CreateTopics(response) => top_level(response.error_code, response.topics)?,
        ResponseBody::DeleteTopics(response) => top_level(response.error_code, response.topics)?,
        other => return Err(unexpected(other)),
    };
    let result = results
        .into_iter()
        .find(|r| r.name == name)
        .ok_or_else(|| ClientError::Protocol(format!("no result for topic \"{name}\"")))?;
    match result.error_code {
        ErrorCode::None => Ok(()),
        code => Err(ClientError::from_code(code, name, result.error_message)),
    }
}

/// The topics of a list response.
pub fn topic_listings(body: ResponseBody) -> Result<Vec<TopicListing>> {
    match body {
        ResponseBody::ListTopics(response) => top_level(response.error_code, response.topics),
        other => Err(unexpected(other)),
    }
}

/// The description of topic `name` from a describe response.
pub fn topic_description(name: &str, body: ResponseBody) -> Result<TopicDescription> {
    let topics = match body {
        ResponseBody::DescribeTopics(response) => top_level(response.error_code, response.topics)?,
        other => return Err(unexpected(other)),
    };
    let topic = topics
        .into_iter()
        .find(|t| t.name == name)
        .ok_or_else(|| ClientError::UnknownTopic(name.to_owned()))?;
    match topic.error_code {
        ErrorCode::None => Ok(topic),
        code => Err(ClientError::from_code(code, name, None)),
    }
}

/// The metadata of a metadata response.
pub fn metadata_result(body: ResponseBody) -> Result<MetadataResponse> {
    match body {
        ResponseBody::Metadata(response) => {
            let error_code = response.error_code;
            top_level(error_code, ())?;
            Ok(response)
        }
        other => Err(unexpected(other)),
    }
}

fn top_level<T>(code: ErrorCode, value: T) -> Result<T> {
    match code {
        ErrorCode::None => Ok(value),
        code => Err(ClientError::Broker { code, message: None }),
    }
}

fn unexpected(body: ResponseBody) -> ClientError {
    match body {
        ResponseBody::Error(error) => {
            ClientError::Broker { code: error.error_code, message: error.message }
        }
        other => {
            ClientError::Protocol(format!("unexpected response to api {}", other.api_key_raw()))
        }
    }
}

fn millis(duration: Duration) -> u32 {
    u32::try_from(duration.as_millis()).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use sluice_proto::message::CreateTopicsResponse;

    use super::*;

    #[test]
    fn given_topic_exists_when_reading_create_result_should_name_the_topic() {
        let body = ResponseBody::CreateTopics(CreateTopicsResponse {
            error_code: ErrorCode::None,
            topics: vec![TopicResult {
                name: "t".into(),
                error_code: ErrorCode::TopicAlreadyExists,
                error_message: None,
            }],
        });
        assert_eq!(topic_result("t", body), Err(ClientError::TopicAlreadyExists("t".into())));
    }
}
