//! Consumer groups: the coordinator state machine ([`coordinator`]), one group's state and
//! reconciliation ([`group_state`]), the server-side assignors ([`assignor`]) and the durable
//! committed-offset snapshot ([`offset_snapshot`]).
//!
//! Architecture invariant: everything here is sans-IO (time comes in as `now_ms`, topic
//! partition counts through [`group_state::TopicCatalog`]) except [`offset_snapshot`]'s
//! load/store functions, which the shard runtime calls.

pub mod assignor;
pub mod coordinator;
pub mod group_state;

pub use assignor::{AssignorKind, TopicPartition};
pub use coordinator::{Coordinator, CoordinatorConfig};
pub use group_state::TopicCatalog;
