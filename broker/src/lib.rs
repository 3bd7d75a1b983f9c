//! # sluice-broker
//!
//! The `sluice-broker` binary: one glommio executor per shard pinned to its core, the client
//! and shard-direct listeners, cross-shard routing over a bounded channel mesh, topic metadata
//! and the persisted shard table, request handlers and (later) the consumer-group coordinator.
//!
//! Not built yet: it lands with the broker issue and builds on `sluice-proto` (wire protocol)
//! and `sluice-storage` (the partition log). Until then this crate deliberately contains no
//! binary and no handlers, so nothing here pretends to serve requests.

pub mod config;
pub mod metadata;
pub mod metrics;
pub mod runtime;
