//! Wire error codes, shared by the broker and the client.
//!
//! Every response carries a top-level `error_code` and one per partition or item. The numbers
//! are part of the protocol: each variant has an explicit value that is **never changed and
//! never reused**, even after a variant is retired, so an old client never misreads a new
//! broker. New codes go at the end. A peer may send a code this build does not know;
//! [`ErrorCode::from_u16`] returns `None` for it and [`ErrorCode::from_wire`] maps it to
//! [`ErrorCode::UnknownServerError`].

use std::fmt;

/// Declares the enum, its numbers, its descriptions and its retry classes in one table so the
/// four cannot drift apart.
macro_rules! error_codes {
    ($(
        $(#[$attr:meta])*
        $name:ident = $value:literal, retriable: $retriable:literal, $description:literal;
    )*) => {
        /// A wire error code. `None` (0) means success.
        ///
        /// Each variant documents what it means and whether retrying the same request can
        /// succeed ([`ErrorCode::is_retriable`]).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        #[repr(u16)]
        pub enum ErrorCode {
            $(
                $(#[$attr])*
                $name = $value,
            )*
        }

        impl ErrorCode {
            /// Every code, in numeric order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$name),*];

            /// The code with this number, or `None` if this build does not know it.
            pub const fn from_u16(value: u16) -> Option<Self> {
                match value {
                    $($value => Some(ErrorCode::$name),)*
                    _ => None,
                }
            }

            /// Whether sending the same request again (after refreshing metadata, backing off
            /// or waiting for the broker) can succeed. `None` is not retriable: there is
            /// nothing to retry.
            pub const fn is_retriable(self) -> bool {
                match self {
                    $(ErrorCode::$name => $retriable,)*
                }
            }

            /// A one-line, human-readable description.
            pub const fn description(self) -> &'static str {
                match self {
                    $(ErrorCode::$name => $description,)*
                }
            }

            /// The variant's name, as in the code table (`"UnknownTopic"`).
            pub const fn name(self) -> &'static str {
                match self {
                    $(ErrorCode::$name => stringify!($name),)*
                }
            }
        }
    };
}

error_codes! {
    /// Success.
    #[default]
    None = 0, retriable: false, "no error";
    /// The broker hit an unexpected error; details are in its log. Retrying may help if the
    /// cause was transient.
    UnknownServerError = 1, retriable: true, "unexpected server error";
    /// A record batch failed its CRC or structure check. Not retriable: the bytes are bad.
    CorruptMessage = 2, retriable: false, "corrupt record batch";
    /// The topic does not exist (or is not yet known to this broker). Retriable: it may have
    /// just been created; refresh metadata.
    UnknownTopic = 3, retriable: true, "unknown topic";
    /// The topic exists but has no such partition. Retriable: partitions may have been
    /// added; refresh metadata.
    UnknownPartition = 4, retriable: true, "unknown partition";
    /// The requested offset is below the log start or above the log end. Not retriable as
    /// is: reset the position (ListOffsets) first.
    OffsetOutOfRange = 5, retriable: false, "offset out of range";
    /// The partition is not owned by the shard (or broker) that received the request.
    /// Retriable after refreshing metadata.
    NotShardOwner = 6, retriable: true, "partition not owned by this shard";
    /// The topic name is empty, too long or has characters outside `[a-zA-Z0-9._-]`.
    InvalidTopicName = 7, retriable: false, "invalid topic name";
    /// CreateTopics named a topic that already exists.
    TopicAlreadyExists = 8, retriable: false, "topic already exists";
    /// The request is malformed: a bad field value, a payload range outside the payload, a
    /// body that does not match its API key.
    InvalidRequest = 9, retriable: false, "invalid request";
    /// The broker does not support this version of the API; see ApiVersions.
    UnsupportedVersion = 10, retriable: false, "unsupported API version";
    /// The broker does not know this API key.
    UnknownApi = 11, retriable: false, "unknown API";
    /// A batch or a request is larger than the broker accepts.
    MessageTooLarge = 12, retriable: false, "message too large";
    /// The operation did not finish within the request's timeout. Retriable, but a
    /// produce may or may not have been appended.
    RequestTimedOut = 13, retriable: true, "request timed out";
    /// The broker's disk is full. Retriable once retention or an operator frees space.
    StorageFull = 14, retriable: true, "storage full";
    /// The storage layer failed (I/O error, failed fsync). The partition is taken offline;
    /// retrying helps only once it is back.
    StorageError = 15, retriable: true, "storage error";
    /// A topic configuration value is out of range or inconsistent.
    InvalidConfig = 16, retriable: false, "invalid topic configuration";
    /// The partition count is zero or above the broker's limit.
    InvalidPartitionCount = 17, retriable: false, "invalid partition count";
    /// The broker is overloaded (a queue is full). Retriable after a back-off.
    BrokerBusy = 18, retriable: true, "broker busy";
    /// The broker is shutting down. Retriable against another broker or after restart.
    BrokerShuttingDown = 19, retriable: true, "broker shutting down";
    /// This broker is not the group's coordinator. Retriable after refreshing metadata.
    NotCoordinator = 20, retriable: true, "not the group coordinator";
    /// The member id is not (or no longer) in the group. Rejoin with an empty member id.
    UnknownMemberId = 21, retriable: false, "unknown member id";
    /// The member epoch is stale or ahead of the coordinator's. Rejoin with epoch 0.
    FencedMemberEpoch = 22, retriable: false, "fenced member epoch";
    /// The operation needs an empty group (e.g. an admin offset commit) but it has members.
    GroupNotEmpty = 23, retriable: false, "group not empty";
    /// The group does not exist.
    UnknownGroup = 24, retriable: false, "unknown group";
    /// The group id is empty or too long.
    InvalidGroupId = 25, retriable: false, "invalid group id";
    /// A committed offset is negative or beyond the partition's log end.
    InvalidCommitOffset = 26, retriable: false, "invalid commit offset";
    /// The metadata string of an offset commit is longer than the broker allows.
    OffsetMetadataTooLarge = 27, retriable: false, "offset metadata too large";
    /// A batch uses a compression codec the broker does not support.
    UnsupportedCompression = 28, retriable: false, "unsupported compression codec";
    /// A batch is well-formed but not acceptable (e.g. bad offsets or timestamps).
    InvalidRecord = 29, retriable: false, "invalid record";
    /// The partition has no leader right now (election in progress). Retriable after
    /// refreshing metadata.
    LeaderNotAvailable = 30, retriable: true, "leader not available";
    /// The request's leader epoch is older than the partition's. Refresh metadata and retry.
    FencedLeaderEpoch = 31, retriable: true, "fenced leader epoch";
    /// The request's leader epoch is newer than the broker's view. Retry after a back-off.
    UnknownLeaderEpoch = 32, retriable: true, "unknown leader epoch";
    /// Fewer in-sync replicas than acks=All needs. Retriable once replicas catch up.
    NotEnoughReplicas = 33, retriable: true, "not enough in-sync replicas";
    /// The replication factor is zero or above the number of brokers.
    InvalidReplicationFactor = 34, retriable: false, "invalid replication factor";
    /// The assignor named in a JoinGroup request is not one the broker provides.
    UnsupportedAssignor = 35, retriable: false, "unsupported assignor";
    /// The group's coordinator is loading its state. Retry after a back-off.
    CoordinatorLoadInProgress = 36, retriable: true, "coordinator load in progress";
    /// The topic is being deleted.
    TopicDeletionInProgress = 37, retriable: true, "topic deletion in progress";
}

impl ErrorCode {
    /// The wire value.
    pub const fn as_u16(self) -> u16 {
        self as u16
    }

    /// Reads a code from the wire: an unknown code (sent by a newer peer) becomes
    /// [`ErrorCode::UnknownServerError`] so callers always have a variant to match on. Use
    /// [`ErrorCode::from_u16`] to tell unknown codes apart.
    pub const fn from_wire(value: u16) -> Self {
        match Self::from_u16(value) {
            Some(code) => code,
            None => ErrorCode::UnknownServerError,
        }
    }

    /// `true` for [`ErrorCode::None`].
    pub const fn is_ok(self) -> bool {
        matches!(self, ErrorCode::None)
    }

    /// `Ok(())` for [`ErrorCode::None`], the code itself otherwise; for `?` in callers.
    pub const fn into_result(self) -> Result<(), ErrorCode> {
        match self {
            ErrorCode::None => Ok(()),
            code => Err(code),
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.name(), self.as_u16(), self.description())
    }
}

impl std::error::Error for ErrorCode {}

impl From<ErrorCode> for u16 {
    fn from(code: ErrorCode) -> u16 {
        code.as_u16()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_should_round_trip_through_its_number() {
        for &code in ErrorCode::ALL {
            assert_eq!(ErrorCode::from_u16(code.as_u16()), Some(code));
        }
    }

    #[test]
    fn codes_should_be_dense_and_unique() {
        // Dense numbering makes a gap (a deleted code) visible in review; retired codes must
        // stay in the table rather than leave a hole that someone could fill again.
        for (index, &code) in ErrorCode::ALL.iter().enumerate() {
            assert_eq!(usize::from(code.as_u16()), index, "{code:?}");
        }
    }

    #[test]
    fn given_unknown_code_when_reading_from_wire_should_map_to_unknown_server_error() {
        let unknown = ErrorCode::ALL.len() as u16;
        assert_eq!(ErrorCode::from_u16(unknown), None);
        assert_eq!(ErrorCode::from_wire(unknown), ErrorCode::UnknownServerError);
        assert_eq!(ErrorCode::from_wire(u16::MAX), ErrorCode::UnknownServerError);
    }

    #[test]
    fn none_should_be_ok_and_not_retriable() {
        assert!(ErrorCode::None.is_ok());
        assert!(!ErrorCode::None.is_retriable());
        assert_eq!(ErrorCode::None.into_result(), Ok(()));
        assert_eq!(ErrorCode::UnknownTopic.into_result(), Err(ErrorCode::UnknownTopic));
    }
}
