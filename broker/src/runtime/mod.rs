//! The shard runtime: binding listeners, starting one pinned glommio executor per shard,
//! connecting the cross-shard mesh, and shutting down cleanly.

mod broker_main;
mod listeners;
mod shard_cores;
mod shard_main;
mod shutdown;
mod standalone;

pub use broker_main::{run, BrokerError};
pub use listeners::{BindError, BoundListeners, ShardSockets};
pub use shard_main::RETENTION_CHECK_INTERVAL;
pub use shutdown::{install_signal_handler, ShardShutdown, FORCED_EXIT_CODE};
pub use standalone::standalone_shard;
