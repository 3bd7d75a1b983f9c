//! Consumer groups: the coordinator state machine ([`coordinator`]), one group's state and
//! reconciliation ([`group_state`]), the server-side assignors ([`assignor`]) and the durable
//! committed-offset snapshot ([`offset_snapshot`]).
//!
//! Architecture invariant: the assignors, [`group_state`] and [`coordinator`] are sans-IO (time
//! comes in as `now_ms`, partition counts through [`group_state::TopicCatalog`]); only
//! [`offset_snapshot`] (the files) and [`coordinator_host`] (the clock, the shard, the mesh)
//! do I/O.

pub mod assignor;
pub mod coordinator;
pub mod coordinator_host;
pub mod group_state;
pub mod offset_snapshot;

pub use assignor::{AssignorKind, TopicPartition};
pub use coordinator::{Coordinator, CoordinatorConfig, TickOutcome};
pub use group_state::TopicCatalog;
