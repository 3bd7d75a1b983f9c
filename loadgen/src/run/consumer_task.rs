//! One consumer: long-polls its partitions from the log end at the start of the run and records
//! end-to-end latency (intended send time → record received) for every record of this run.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sluice_proto::message::{FetchPartition, FetchRequest, FetchTopic, Request, ResponseBody};
use sluice_proto::record_batch::BatchReader;
use sluice_proto::ErrorCode;

use super::clock::RunClock;
use super::worker_stats::WorkerStats;
use crate::wire::connection::call;
use crate::wire::{connect, TopicLayout};
use crate::workload::PayloadStamp;

/// Long-poll wait per fetch.
const FETCH_WAIT_MS: u32 = 100;
/// Bytes per partition per fetch.
const PARTITION_FETCH_BYTES: u32 = 4 << 20;
/// Bytes per fetch.
const FETCH_BYTES: u32 = 16 << 20;
/// After producers stop, how long consumers may keep draining.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// Everything one consumer needs.
pub struct ConsumerTask {
    /// Index among all consumers; it reads partitions `p` with `p % consumers == index`.
    pub index: u32,
    /// Total consumers.
    pub consumers: u32,
    /// Partition → shard address and start offsets.
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
        let mut by_addr: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        for (partition, addr) in self.layout.partition_addrs.iter().enumerate() {
            if partition as u32 % self.consumers == self.index {
                by_addr.entry(addr.clone()).or_default().push(partition as u32);
            }
        }
        let this = Rc::new(self);
        let tasks: Vec<_> = by_addr
            .into_iter()
            .map(|(addr, partitions)| {
                glommio::spawn_local(this.clone().fetch_loop(addr, partitions))
            })
            .collect();
        for task in tasks {
            task.await;
        }
    }

    async fn fetch_loop(self: Rc<Self>, addr: String, partitions: Vec<u32>) {
        let (mut writer, mut reader) = match connect(&addr).await {
            Ok(c) => c,
            Err(e) => {
                self.stats.borrow_mut().on_error(e.to_string());
                return;
            }
        };
        let mut offsets: BTreeMap<u32, i64> =
            partitions.iter().map(|&p| (p, self.layout.start_offsets[p as usize])).collect();
        let drain_deadline_ns = self.clock.window.end_ns + DRAIN_TIMEOUT.as_nanos() as u64;
        loop {
            let request = Request::new(
                0,
                FetchRequest {
                    max_wait_ms: FETCH_WAIT_MS,
                    min_bytes: 1,
                    max_bytes: FETCH_BYTES,
                    topics: vec![FetchTopic {
                        name: self.layout.topic.clone(),
                        partitions: offsets
                            .iter()
                            .map(|(&partition, &fetch_offset)| FetchPartition {
                                partition,
                                fetch_offset,
                                partition_max_bytes: PARTITION_FETCH_BYTES,
                                current_leader_epoch: -1,
                            })
                            .collect(),
                    }],
                },
            );
            let response = match call(&mut writer, &mut reader, request).await {
                Ok(r) => r,
                Err(e) => {
                    self.stats.borrow_mut().on_error(e.to_string());
                    return;
                }
            };
            let received_ns = self.clock.now_ns();
            let fetch = match response.body {
                ResponseBody::Fetch(f) => f,
                ResponseBody::Error(e) => {
                    self.stats.borrow_mut().on_error(format!("fetch refused: {:?}", e.error_code));
                    return;
                }
                _ => {
                    self.stats.borrow_mut().on_error("fetch: unexpected response".into());
                    return;
                }
            };
            let mut records_seen = 0u64;
            for partition in fetch.topics.into_iter().flat_map(|t| t.partitions) {
                if partition.error_code != ErrorCode::None {
                    self.stats.borrow_mut().on_error(format!(
                        "fetch of partition {}: {:?}",
                        partition.partition, partition.error_code
                    ));
                    continue;
                }
                let Some(offset) = offsets.get_mut(&partition.partition) else { continue };
                let mut stats = self.stats.borrow_mut();
                for batch in BatchReader::new(partition.records.to_bytes()) {
                    let batch = match batch {
                        Ok(b) => b,
                        Err(e) => {
                            stats.on_error(format!("bad batch in fetch: {e}"));
                            break;
                        }
                    };
                    let last = batch.header().last_offset();
                    for record in batch.records() {
                        let Ok(record) = record else {
                            stats.on_error("bad record in fetch".into());
                            break;
                        };
                        if record.offset < *offset {
                            continue; // a batch can start before the offset asked for
                        }
                        records_seen += 1;
                        let value = record.value.as_deref().unwrap_or_default();
                        if let Some(stamp) = PayloadStamp::read(value) {
                            if stamp.run_id == self.run_id {
                                stats.on_consumed(
                                    stamp.intended_ns,
                                    received_ns,
                                    value.len() as u64,
                                );
                            }
                        }
                    }
                    *offset = (*offset).max(last + 1);
                }
            }
            let producers_done = self.producers_running.load(Ordering::Acquire) == 0;
            if (producers_done && records_seen == 0) || received_ns >= drain_deadline_ns {
                return;
            }
            glommio::yield_if_needed().await;
        }
    }
}
