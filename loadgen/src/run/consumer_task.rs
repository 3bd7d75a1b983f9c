//! One consumer: a `sluice-client` [`AsyncConsumer`] assigned its share of the partitions,
//! starting at each partition's log end as of the run's start, recording end-to-end latency
//! (intended send time → record received) for every record of this run.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sluice_client::async_glommio::AsyncConsumer;
use sluice_client::{ConsumerConfig, OffsetReset, SeekTarget, TopicPartition};

use super::clock::RunClock;
use super::topic_layout::TopicLayout;
use super::worker_stats::WorkerStats;
use crate::workload::PayloadStamp;

/// Longest one poll waits for records (also the broker's long-poll wait).
const POLL_WAIT: Duration = Duration::from_millis(100);
/// Bytes per partition per fetch.
const PARTITION_FETCH_BYTES: u32 = 4 << 20;
/// After producers stop, how long consumers may keep draining.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// Everything one consumer needs.
pub struct ConsumerTask {
    /// Index among all consumers; it reads partitions `p` with `p % consumers == index`.
    pub index: u32,
    /// Total consumers.
    pub consumers: u32,
    /// Broker address.
    pub broker: String,
    /// The topic and its start offsets.
    pub layout: Rc<TopicLayout>,
    /// Shared time base.
    pub clock: RunClock,
    /// This worker's stats.
    pub stats: Rc<RefCell<WorkerStats>>,
    /// This run's id: records with another id are skipped.
    pub run_id: u64,
    /// Producers still running, over all workers.
    pub producers_running: Arc<AtomicU32>,
}

impl ConsumerTask {
    /// Consumes until producers are done and the partitions are drained (bounded in time).
    pub async fn run(self) {
        let partitions: Vec<TopicPartition> = (0..self.layout.partitions())
            .filter(|p| p % self.consumers == self.index)
            .map(|p| TopicPartition::new(self.layout.topic.as_str(), p))
            .collect();
        if partitions.is_empty() {
            return;
        }
        let config = ConsumerConfig {
            offset_reset: OffsetReset::Latest,
            fetch_wait_max: POLL_WAIT,
            partition_fetch_bytes_max: PARTITION_FETCH_BYTES,
            ..ConsumerConfig::default()
        };
        let mut consumer = match AsyncConsumer::connect(&self.broker, config) {
            Ok(consumer) => consumer,
            Err(error) => {
                self.stats.borrow_mut().on_error(format!("cannot start a consumer: {error}"));
                return;
            }
        };
        consumer.assign(partitions.iter().cloned());
        for partition in &partitions {
            let start = self.layout.start_offsets[partition.partition as usize];
            if let Err(error) = consumer.seek(partition, SeekTarget::Offset(start)) {
                self.stats.borrow_mut().on_error(format!("seeking {partition}: {error}"));
                return;
            }
        }
        let drain_deadline_ns = self.clock.window.end_ns + DRAIN_TIMEOUT.as_nanos() as u64;
        // Bounded in time by the drain deadline.
        loop {
            let records = match consumer.poll(POLL_WAIT).await {
                Ok(records) => records,
                Err(error) => {
                    self.stats.borrow_mut().on_error(format!("poll failed: {error}"));
                    return;
                }
            };
            let received_ns = self.clock.now_ns();
            {
                let mut stats = self.stats.borrow_mut();
                for record in &records {
                    let value = record.value.as_deref().unwrap_or_default();
                    if let Some(stamp) = PayloadStamp::read(value) {
                        if stamp.run_id == self.run_id {
                            stats.on_consumed(stamp.intended_ns, received_ns, value.len() as u64);
                        }
                    }
                }
            }
            let producers_done = self.producers_running.load(Ordering::Acquire) == 0;
            if (producers_done && records.is_empty()) || received_ns >= drain_deadline_ns {
                return;
            }
            glommio::yield_if_needed().await;
        }
    }
}
