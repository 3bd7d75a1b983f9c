//! Observability: per-shard counters and latency histograms, published as snapshots and
//! served in the Prometheus text format.
//!
//! Each shard owns its [`ShardMetrics`] outright (plain fields, no atomics, no locks on the
//! data path). A shard task copies them into its [`SnapshotSlot`] a few times a second; the
//! metrics endpoint, on its own thread, only ever reads those slots. A scrape therefore sees
//! values at most [`PUBLISH_INTERVAL`] old and can never slow a shard down.

mod exposition;
mod http_endpoint;
mod shard_metrics;

use std::time::Duration;

pub use exposition::render;
pub use http_endpoint::{MetricsEndpoint, MetricsEndpointError};
pub use shard_metrics::{PartitionGauge, ShardMetrics, ShardSnapshot, SnapshotSlot};

/// How often each shard publishes its snapshot.
pub const PUBLISH_INTERVAL: Duration = Duration::from_millis(200);
