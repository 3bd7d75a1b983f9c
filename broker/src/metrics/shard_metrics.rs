//! What one shard counts, and the snapshot it publishes.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use hdrhistogram::Histogram;
use sluice_storage::DiskOp;

/// Highest latency the histograms track exactly; slower requests are clamped to it.
const LATENCY_US_MAX: u64 = 60_000_000;

/// Counters and histograms owned by one shard. Mutated only on that shard.
#[derive(Debug, Clone)]
pub struct ShardMetrics {
    /// Shard id, used as the `shard` label.
    pub shard: usize,
    /// Client connections accepted since start.
    pub connections_accepted_total: u64,
    /// Client connections currently open.
    pub connections_open: u64,
    /// Connections refused because the broker-wide limit was reached.
    pub connections_refused_total: u64,
    /// Requests decoded, of any API.
    pub requests_total: u64,
    /// Requests answered with a non-zero top-level error code, or whose frame was broken.
    pub request_errors_total: u64,
    /// Partition operations that arrived on this shard for a partition another shard owns.
    pub forwarded_requests_total: u64,
    /// Record-batch bytes accepted by produce.
    pub bytes_in_total: u64,
    /// Record-batch bytes returned by fetch.
    pub bytes_out_total: u64,
    /// Produce requests handled (each may cover several partitions).
    pub produce_requests_total: u64,
    /// Fetch requests handled.
    pub fetch_requests_total: u64,
    /// Time from a produce request's decode to its response being queued.
    pub produce_latency_us: Histogram<u64>,
    /// Time from a fetch request's decode to its response being queued (includes long poll).
    pub fetch_latency_us: Histogram<u64>,
    /// Latency of each direct write of log data by this shard's partitions: the disk's share
    /// of the produce path (under `always`, of every acknowledgement).
    pub log_write_latency_us: Histogram<u64>,
    /// Latency of each fdatasync of a log segment by this shard's partitions.
    pub log_fdatasync_latency_us: Histogram<u64>,
    /// How late a periodic timer on the shard fired: how long ready work (an arrived request)
    /// can wait for the shard to look. Zero lateness is recorded as 1 µs.
    pub timer_lag_us: Histogram<u64>,
    /// Per-partition offsets of the partitions this shard owns.
    pub partitions: Vec<PartitionGauge>,
}

/// Offsets of one partition, as exported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionGauge {
    /// Topic name.
    pub topic: String,
    /// Partition index.
    pub partition: u32,
    /// First offset still stored.
    pub log_start_offset: i64,
    /// Offset the next append will get.
    pub log_end_offset: i64,
}

impl ShardMetrics {
    /// Zeroed metrics for a shard.
    pub fn new(shard: usize) -> ShardMetrics {
        let histogram =
            || Histogram::new_with_bounds(1, LATENCY_US_MAX, 3).expect("static histogram bounds");
        ShardMetrics {
            shard,
            connections_accepted_total: 0,
            connections_open: 0,
            connections_refused_total: 0,
            requests_total: 0,
            request_errors_total: 0,
            forwarded_requests_total: 0,
            bytes_in_total: 0,
            bytes_out_total: 0,
            produce_requests_total: 0,
            fetch_requests_total: 0,
            produce_latency_us: histogram(),
            fetch_latency_us: histogram(),
            log_write_latency_us: histogram(),
            log_fdatasync_latency_us: histogram(),
            timer_lag_us: histogram(),
            partitions: Vec::new(),
        }
    }

    /// Records one produce request's latency.
    pub fn record_produce(&mut self, latency: Duration) {
        self.produce_requests_total += 1;
        self.produce_latency_us.saturating_record(clamp_us(latency));
    }

    /// Records one fetch request's latency.
    pub fn record_fetch(&mut self, latency: Duration) {
        self.fetch_requests_total += 1;
        self.fetch_latency_us.saturating_record(clamp_us(latency));
    }

    /// Records how late one probe timer fired.
    pub fn record_timer_lag(&mut self, lag: Duration) {
        self.timer_lag_us.saturating_record(clamp_us(lag));
    }

    /// Records one log write's or fdatasync's latency.
    pub fn record_disk(&mut self, op: DiskOp, latency: Duration) {
        let histogram = match op {
            DiskOp::Write => &mut self.log_write_latency_us,
            DiskOp::Fdatasync => &mut self.log_fdatasync_latency_us,
        };
        histogram.saturating_record(clamp_us(latency));
    }
}

fn clamp_us(latency: Duration) -> u64 {
    (latency.as_micros() as u64).clamp(1, LATENCY_US_MAX)
}

/// A published copy of a shard's metrics.
pub type ShardSnapshot = ShardMetrics;

/// Where a shard publishes its snapshot for the metrics endpoint to read. The lock is taken
/// once per publish interval by the shard and once per scrape by the endpoint: never on the
/// request path.
#[derive(Debug, Clone, Default)]
pub struct SnapshotSlot(Arc<Mutex<Option<ShardSnapshot>>>);

impl SnapshotSlot {
    /// Replaces the published snapshot.
    pub fn publish(&self, metrics: &ShardMetrics) {
        let copy = metrics.clone();
        // A poisoned lock only means a reader panicked mid-read; the data is still whole.
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(copy);
    }

    /// The latest snapshot, if the shard has published one.
    pub fn latest(&self) -> Option<ShardSnapshot> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}
