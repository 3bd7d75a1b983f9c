//! # sluice-broker
//!
//! The `sluice-broker` binary's library: one glommio executor per shard pinned to its core,
//! the client and shard-direct listeners, cross-shard routing over a bounded channel mesh,
//! topic metadata with the persisted shard table, and the request handlers.
//!
//! Where to look:
//! - [`runtime`]: start-up, shards, listeners, shutdown.
//! - [`connection`]: one client connection — framing, pipelining, backpressure.
//! - [`handlers`]: one module per API.
//! - [`shard`]: per-shard state and the routing of partition operations to their owner.
//! - [`admin`]: topic creation and deletion on shard 0.
//! - [`metadata`]: topics, configs, shard table.
//! - [`error_mapping`]: the one place internal errors become wire error codes.
//! - [`metrics`], [`config`].

pub mod admin;
pub mod config;
pub mod connection;
pub mod error_mapping;
pub mod group;
pub mod handlers;
pub mod metadata;
pub mod metrics;
pub mod runtime;
pub mod shard;
