//! # sluice-client
//!
//! The Rust client SDK and the `sluice` command-line tool: a sans-IO core (framing, metadata,
//! shard-aware routing, Kafka's murmur2 partitioner, batching, retries) with an async layer on
//! glommio and a blocking layer for plain Rust programs.
//!
//! Not built yet: it lands with the client issue. It depends only on `sluice-proto`; the broker
//! never depends on it except in tests.
