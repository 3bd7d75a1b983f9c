//! The blocking I/O layer: plain threads and `std::net` sockets around the sans-IO core.
//!
//! - [`Producer`]: a background I/O thread owns the connections and drives
//!   [`ProducerCore`](crate::core::producer_core::ProducerCore); `send` returns a
//!   [`DeliveryHandle`] to wait on.
//! - [`Consumer`]: driven on the caller's thread inside `poll`.
//! - [`GroupConsumer`]: a [`Consumer`] whose partitions a consumer group's coordinator
//!   assigns, with rebalance callbacks and auto/manual commit.
//! - [`Admin`]: one request at a time against the broker's shared port.
//!
//! Each connection has a reader thread that decodes responses and posts them to the owner.

mod admin;
mod buffer_gate;
mod consumer;
mod group_admin;
mod group_consumer;
mod producer;
mod transport;

pub use admin::Admin;
pub use consumer::Consumer;
pub use group_admin::OffsetResetTarget;
pub use group_consumer::{GroupConfig, GroupConsumer, NoRebalanceListener, RebalanceListener};
pub use producer::{DeliveryHandle, Producer};

/// Milliseconds since the Unix epoch, for record timestamps.
pub(crate) fn wall_clock_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
