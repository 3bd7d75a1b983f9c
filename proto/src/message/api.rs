//! API keys and the versions this build speaks.

use crate::generated as fb;

/// Declares the API keys once, with their wire numbers and supported version ranges.
macro_rules! api_keys {
    ($($(#[doc = $doc:literal])* $name:ident = $value:literal, versions: $min:literal ..= $max:literal;)*) => {
        /// Which API a request calls. The numbers are part of the protocol and never reused.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u16)]
        pub enum ApiKey {
            $($(#[doc = $doc])* $name = $value,)*
        }

        impl ApiKey {
            /// Every API, in numeric order.
            pub const ALL: &'static [ApiKey] = &[$(ApiKey::$name),*];

            /// The API with this number, or `None` if this build does not know it.
            pub const fn from_u16(value: u16) -> Option<Self> {
                match value {
                    $($value => Some(ApiKey::$name),)*
                    _ => None,
                }
            }

            /// The versions of this API that this build can read and write.
            pub const fn supported_versions(self) -> ApiVersionRange {
                match self {
                    $(ApiKey::$name => ApiVersionRange {
                        api: ApiKey::$name,
                        min_version: $min,
                        max_version: $max,
                    },)*
                }
            }
        }
    };
}

api_keys! {
    /// The handshake: which APIs and versions the broker speaks, and who it is.
    ApiVersions = 0, versions: 0..=0;
    /// Brokers, topics, partition leaders and the shard that owns each partition.
    Metadata = 1, versions: 0..=0;
    /// Create topics.
    CreateTopics = 2, versions: 0..=0;
    /// Delete topics.
    DeleteTopics = 3, versions: 0..=0;
    /// List topic names.
    ListTopics = 4, versions: 0..=0;
    /// Topic configuration and per-partition offsets.
    DescribeTopics = 5, versions: 0..=0;
    /// Append record batches.
    Produce = 6, versions: 0..=0;
    /// Read record batches (long poll).
    Fetch = 7, versions: 0..=0;
    /// Find offsets by time (or earliest / latest).
    ListOffsets = 8, versions: 0..=0;
    /// Join a consumer group.
    JoinGroup = 9, versions: 0..=0;
    /// Stay in a consumer group and receive assignment changes.
    Heartbeat = 10, versions: 0..=0;
    /// Leave a consumer group.
    LeaveGroup = 11, versions: 0..=0;
    /// Commit consumed offsets.
    OffsetCommit = 12, versions: 0..=0;
    /// Read committed offsets.
    OffsetFetch = 13, versions: 0..=0;
    /// List consumer groups.
    ListGroups = 14, versions: 0..=0;
    /// A consumer group's members, assignments and committed offsets.
    DescribeGroup = 15, versions: 0..=0;
}

impl ApiKey {
    /// The wire value.
    pub const fn as_u16(self) -> u16 {
        self as u16
    }

    /// The highest version this build speaks; what a request built with
    /// [`crate::message::Request::new`] uses.
    pub const fn latest_version(self) -> u16 {
        self.supported_versions().max_version
    }

    pub(crate) fn to_wire(self) -> fb::ApiKey {
        fb::ApiKey(self.as_u16())
    }
}

/// The versions of one API a peer speaks, both ends inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ApiVersionRange {
    /// The API.
    pub api: ApiKey,
    /// Oldest supported version.
    pub min_version: u16,
    /// Newest supported version.
    pub max_version: u16,
}

impl ApiVersionRange {
    /// Whether `version` is inside the range.
    pub const fn contains(&self, version: u16) -> bool {
        self.min_version <= version && version <= self.max_version
    }

    /// The highest version both ranges contain, if they overlap: what a client should use.
    pub fn negotiate(&self, other: &ApiVersionRange) -> Option<u16> {
        if self.api != other.api {
            return None;
        }
        let version = self.max_version.min(other.max_version);
        (version >= self.min_version.max(other.min_version)).then_some(version)
    }
}

/// Every API this build speaks, with its version range: what a broker puts in its
/// ApiVersions response.
pub fn supported_api_versions() -> Vec<ApiVersionRange> {
    ApiKey::ALL.iter().map(|api| api.supported_versions()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_keys_should_match_the_schema_numbers() {
        for &api in ApiKey::ALL {
            assert_eq!(ApiKey::from_u16(api.as_u16()), Some(api));
            let name = fb::ApiKey(api.as_u16()).variant_name();
            assert_eq!(name, Some(format!("{api:?}").as_str()), "schema and Rust disagree");
        }
        assert_eq!(fb::ApiKey::ENUM_VALUES.len(), ApiKey::ALL.len());
    }

    #[test]
    fn given_overlapping_ranges_when_negotiating_should_pick_highest_common_version() {
        let ours = ApiVersionRange { api: ApiKey::Fetch, min_version: 0, max_version: 3 };
        let theirs = ApiVersionRange { api: ApiKey::Fetch, min_version: 2, max_version: 5 };
        assert_eq!(ours.negotiate(&theirs), Some(3));
        let disjoint = ApiVersionRange { api: ApiKey::Fetch, min_version: 4, max_version: 5 };
        assert_eq!(ours.negotiate(&disjoint), None);
    }
}
