//! The shard runtime: binding listeners, starting one pinned glommio executor per shard,
//! connecting the cross-shard mesh, and shutting down cleanly.

mod listeners;
mod shutdown;

pub use listeners::{BindError, BoundListeners, ShardSockets};
pub use shutdown::{install_signal_handler, ShardShutdown, FORCED_EXIT_CODE};
