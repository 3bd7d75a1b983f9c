//! The one place where internal errors become wire error codes.
//!
//! Storage and metadata errors stay typed inside the broker; a response only ever carries an
//! [`ErrorCode`], chosen here, so the mapping cannot drift between handlers.

use sluice_proto::ErrorCode;
use sluice_storage::StorageError;

use crate::metadata::{TopicNameError, TopicTableError};

/// The wire code for a storage failure, logging what the client will not see.
pub fn storage_error_code(error: &StorageError) -> ErrorCode {
    match error {
        StorageError::DiskFull { .. } => ErrorCode::StorageFull,
        StorageError::OffsetOutOfRange { .. } => ErrorCode::OffsetOutOfRange,
        StorageError::InvalidBatch(_) | StorageError::TrailingBytes { .. } => {
            ErrorCode::CorruptMessage
        }
        StorageError::Closed(_) => ErrorCode::BrokerShuttingDown,
        StorageError::InvalidConfig(_) => ErrorCode::InvalidConfig,
        StorageError::TruncatedBeforeDurable { .. } => ErrorCode::StorageError,
        StorageError::PermissionDenied { .. }
        | StorageError::NotFound { .. }
        | StorageError::Io { .. }
        | StorageError::LogFailed { .. }
        | StorageError::Corrupt { .. }
        | StorageError::CorruptMetadata { .. } => {
            tracing::error!(%error, "storage error");
            ErrorCode::StorageError
        }
    }
}

/// The wire code for a refused metadata change.
pub fn topic_table_error_code(error: &TopicTableError) -> ErrorCode {
    match error {
        TopicTableError::InvalidName(TopicNameError::TooLong(_))
        | TopicTableError::InvalidName(_) => ErrorCode::InvalidTopicName,
        TopicTableError::AlreadyExists(_) => ErrorCode::TopicAlreadyExists,
        TopicTableError::UnknownTopic(_) => ErrorCode::UnknownTopic,
    }
}
