//! Shard-aware routing: which endpoint a partition's requests go to.

use super::metadata_cache::MetadataCache;
use super::Endpoint;

/// Picks the endpoint for each partition: its owning shard's direct address when metadata
/// gives one and routing is shard-aware, otherwise the broker's shared port (which forwards to
/// the owner). Metadata and admin requests always use the shared port.
#[derive(Debug, Clone)]
pub struct Router {
    bootstrap: Endpoint,
    shard_aware: bool,
}

impl Router {
    /// A router for the broker at `bootstrap`.
    pub fn new(bootstrap: Endpoint, shard_aware: bool) -> Self {
        Router { bootstrap, shard_aware }
    }

    /// The broker's shared address.
    pub fn bootstrap(&self) -> &Endpoint {
        &self.bootstrap
    }

    /// Where requests for `partition` of `topic` go.
    pub fn endpoint_for(&self, metadata: &MetadataCache, topic: &str, partition: u32) -> Endpoint {
        if self.shard_aware {
            if let Some(direct) = metadata.route(topic, partition).and_then(|r| r.direct.clone()) {
                return direct;
            }
        }
        self.bootstrap.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::metadata_cache::tests::two_shard_metadata;

    #[test]
    fn given_shard_addresses_when_routing_should_go_straight_to_the_owner() {
        let mut metadata = MetadataCache::new();
        metadata.update(&two_shard_metadata("t", 2));
        let router = Router::new(Endpoint::new("127.0.0.1", 9292), true);
        assert_eq!(router.endpoint_for(&metadata, "t", 1), Endpoint::new("127.0.0.1", 9301));
        assert_eq!(router.endpoint_for(&metadata, "u", 0), Endpoint::new("127.0.0.1", 9292));
    }

    #[test]
    fn given_routing_not_shard_aware_when_routing_should_use_the_shared_port() {
        let mut metadata = MetadataCache::new();
        metadata.update(&two_shard_metadata("t", 2));
        let router = Router::new(Endpoint::new("127.0.0.1", 9292), false);
        assert_eq!(router.endpoint_for(&metadata, "t", 1), Endpoint::new("127.0.0.1", 9292));
    }
}
