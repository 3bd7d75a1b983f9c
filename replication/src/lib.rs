//! # sluice-replication
//!
//! Sans-IO replication and cluster-metadata state machines: leader/follower per partition with
//! followers fetching over the ordinary fetch API, a high watermark, an in-sync replica set and
//! leader epochs (Kafka's KIP-101 truncation rule), plus cluster metadata (topics, assignments,
//! leaders, ISR, broker liveness) kept in a Raft-replicated metadata log.
//!
//! Nothing lives here yet: replication comes after the single-node broker. The crate exists so
//! the workspace has its final shape and the dependency arrows (proto, storage → replication →
//! broker) are fixed from the start. When it lands it does no I/O of its own: it is fed events
//! (messages, ticks, persisted offsets) and returns actions, like raft-rs's `RawNode`.
