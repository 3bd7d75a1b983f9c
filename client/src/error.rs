//! The client's error type: one enum for every failure a caller can see, each saying whether
//! retrying the operation could help.

use sluice_proto::ErrorCode;

/// Everything that can go wrong in a client call.
///
/// Errors are `Clone` because one failure (a lost connection, a rejected batch) completes many
/// records at once, and each record's handle gets its own copy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The topic does not exist.
    #[error("topic \"{0}\" does not exist")]
    UnknownTopic(String),
    /// The topic exists but has no such partition.
    #[error("topic \"{topic}\" has no partition {partition}")]
    UnknownPartition {
        /// Topic name.
        topic: String,
        /// The partition asked for.
        partition: u32,
    },
    /// CreateTopics named a topic that already exists.
    #[error("topic \"{0}\" already exists")]
    TopicAlreadyExists(String),
    /// The broker answered with an error code.
    #[error("{}{}", code.description(), message.as_deref().map(|m| format!(": {m}")).unwrap_or_default())]
    Broker {
        /// The wire error code.
        code: ErrorCode,
        /// The broker's explanation, if it gave one.
        message: Option<String>,
    },
    /// A connection could not be opened, or broke.
    #[error("connection to {endpoint} failed: {reason}")]
    Connection {
        /// `host:port` of the broker or shard.
        endpoint: String,
        /// What the operating system said.
        reason: String,
    },
    /// The broker sent something this client cannot read; the connection was closed.
    #[error("protocol error: {0}")]
    Protocol(String),
    /// The producer's buffer stayed full for longer than the configured wait.
    #[error("producer buffer full: {bytes_max} bytes buffered for longer than {waited_ms} ms")]
    BufferFull {
        /// The configured buffer size.
        bytes_max: usize,
        /// How long the send waited for room.
        waited_ms: u64,
    },
    /// A record alone is larger than a batch or the whole buffer may be.
    #[error("record of {bytes} bytes exceeds the limit of {bytes_max} bytes")]
    RecordTooLarge {
        /// The record's encoded size.
        bytes: usize,
        /// The limit it broke.
        bytes_max: usize,
    },
    /// A record was not acknowledged within the delivery timeout or the retry budget.
    #[error("delivery failed after {attempts} attempts: {last_error}")]
    DeliveryFailed {
        /// Attempts made.
        attempts: u32,
        /// The error of the last attempt.
        last_error: Box<ClientError>,
    },
    /// An admin or metadata call got no answer in time.
    #[error("request timed out after {timeout_ms} ms")]
    Timeout {
        /// The timeout that passed.
        timeout_ms: u64,
    },
    /// The producer or consumer was closed (or its I/O thread ended).
    #[error("the client is closed")]
    Closed,
    /// A partition was used that is not assigned to this consumer.
    #[error("partition {partition} of topic \"{topic}\" is not assigned to this consumer")]
    NotAssigned {
        /// Topic name.
        topic: String,
        /// Partition index.
        partition: u32,
    },
    /// A configuration value is out of range.
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
}

impl ClientError {
    /// Whether repeating the operation later could succeed.
    pub fn is_retriable(&self) -> bool {
        match self {
            ClientError::Broker { code, .. } => code.is_retriable(),
            ClientError::Connection { .. }
            | ClientError::Timeout { .. }
            | ClientError::BufferFull { .. } => true,
            ClientError::DeliveryFailed { last_error, .. } => last_error.is_retriable(),
            ClientError::UnknownTopic(_)
            | ClientError::UnknownPartition { .. }
            | ClientError::TopicAlreadyExists(_)
            | ClientError::Protocol(_)
            | ClientError::RecordTooLarge { .. }
            | ClientError::Closed
            | ClientError::NotAssigned { .. }
            | ClientError::InvalidConfig(_) => false,
        }
    }

    /// The error for a wire code about one topic, naming the topic where that reads better.
    pub fn from_code(code: ErrorCode, topic: &str, message: Option<String>) -> ClientError {
        match code {
            ErrorCode::UnknownTopic => ClientError::UnknownTopic(topic.to_owned()),
            ErrorCode::TopicAlreadyExists => ClientError::TopicAlreadyExists(topic.to_owned()),
            code => ClientError::Broker { code, message },
        }
    }
}

/// Shorthand for results of client calls.
pub type Result<T, E = ClientError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_topic_reads_as_one_sentence() {
        assert_eq!(ClientError::UnknownTopic("x".into()).to_string(), "topic \"x\" does not exist");
    }

    #[test]
    fn broker_errors_follow_the_wire_code_retriability() {
        let busy = ClientError::Broker { code: ErrorCode::BrokerBusy, message: None };
        let corrupt = ClientError::Broker { code: ErrorCode::CorruptMessage, message: None };
        assert!(busy.is_retriable());
        assert!(!corrupt.is_retriable());
    }
}
