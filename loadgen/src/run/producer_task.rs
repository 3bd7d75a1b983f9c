//! One producer: builds record batches, pipelines produce requests (up to `max_in_flight`), and
//! records each message's acknowledgement latency from its intended send time.
//!
//! Open loop: messages are due on the [`RateScheduler`]'s fixed grid; the [`BatchPlanner`]
//! decides when a batch leaves. When the broker is slow, in-flight slots run out, the producer
//! falls behind its schedule and the messages waiting to be sent age: that waiting is counted.
//! Closed loop: a full batch leaves whenever a slot is free; its intended time is its send time.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;
use std::time::Duration;

use glommio::sync::Semaphore;
use sluice_proto::message::{
    Acks, ProducePartition, ProduceRequest, ProduceTopic, Request, ResponseBody,
};
use sluice_proto::partitioner::partition_for_key;
use sluice_proto::record_batch::BatchBuilder;
use sluice_proto::ErrorCode;

use super::clock::RunClock;
use super::worker_stats::WorkerStats;
use crate::config::RunConfig;
use crate::schedule::{BatchPlanner, RateScheduler, SendDecision};
use crate::wire::{connect, ResponseReader, TopicLayout};
use crate::workload::{KeyChooser, PayloadStamp, SplitMix64};

/// How long a producer waits for its last acknowledgements after the schedule ends.
const FINAL_ACK_TIMEOUT: Duration = Duration::from_secs(10);
/// Produce timeout sent to the broker.
const PRODUCE_TIMEOUT_MS: u32 = 30_000;

/// Everything one producer needs.
pub struct ProducerTask {
    /// Index among all producers (staggers phases and partitions).
    pub index: u32,
    /// Total producers in the run.
    pub producers: u32,
    /// The run.
    pub config: Rc<RunConfig>,
    /// Partition → shard address.
    pub layout: Rc<TopicLayout>,
    /// Shared time base.
    pub clock: RunClock,
    /// This worker's stats.
    pub stats: Rc<RefCell<WorkerStats>>,
    /// This run's id, stamped into every value.
    pub run_id: u64,
}

/// Messages of one in-flight request: their intended times and value sizes.
struct InFlight {
    intended_ns: Vec<u64>,
    value_bytes: Vec<u32>,
}

type PendingMap = Rc<RefCell<HashMap<u32, InFlight>>>;

impl ProducerTask {
    /// Runs the producer until its schedule (or the run's duration) ends and every request is
    /// answered.
    pub async fn run(self) {
        let addrs = distinct_addrs(&self.layout);
        let slots = Rc::new(Semaphore::new(u64::from(self.config.max_in_flight)));
        let mut writers = Vec::new();
        let mut pendings = Vec::new();
        let mut readers = Vec::new();
        for addr in &addrs {
            match connect(addr).await {
                Ok((writer, reader)) => {
                    let pending: PendingMap = Rc::new(RefCell::new(HashMap::new()));
                    readers.push(glommio::spawn_local(read_acks(
                        reader,
                        pending.clone(),
                        slots.clone(),
                        self.stats.clone(),
                        self.clock,
                    )));
                    writers.push(writer);
                    pendings.push(pending);
                }
                Err(e) => {
                    self.stats.borrow_mut().on_error(e.to_string());
                    return;
                }
            }
        }
        let window = self.clock.window;
        let message_bytes_max = self.config.sizes.max_bytes();
        let planner = BatchPlanner::new(self.config.batch, message_bytes_max);
        let mut schedule = self.config.rate_per_s.map(|rate| {
            let per_producer = rate / f64::from(self.producers);
            let phase_ns =
                (1e9 / per_producer * f64::from(self.index) / f64::from(self.producers)) as u64;
            RateScheduler::new(window.start_ns, phase_ns, per_producer, window.end_ns)
        });
        let keys = KeyChooser::new(self.config.keys);
        let mut random = SplitMix64::new(self.config.seed ^ (u64::from(self.index) << 32));
        let mut value = vec![0x5Au8; message_bytes_max as usize];
        let partitions = self.layout.partition_addrs.len() as u32;
        let mut builders: BTreeMap<u32, BatchBuilder> = BTreeMap::new();
        let mut batch_no: u64 = u64::from(self.index);
        let acks = self.config.acks;
        let wall_ms = wall_clock_ms();
        // Wait for the start of the run (connections are made before it).
        let now = self.clock.now_ns();
        if now < window.start_ns {
            glommio::timer::sleep(Duration::from_nanos(window.start_ns - now)).await;
        }
        loop {
            let now = self.clock.now_ns();
            // How many messages this batch holds and when each was meant to leave.
            let intended: Vec<u64> = match schedule.as_mut() {
                Some(schedule) => {
                    {
                        let mut stats = self.stats.borrow_mut();
                        stats.lag_ns_max = stats.lag_ns_max.max(schedule.lag_ns(now));
                    }
                    match planner.decide(schedule, now) {
                        SendDecision::Done => break,
                        SendDecision::WaitUntil(t) => {
                            glommio::timer::sleep(Duration::from_nanos(t.saturating_sub(now)))
                                .await;
                            continue;
                        }
                        SendDecision::Send(n) => {
                            let first = schedule.take(n);
                            (first..first + n).map(|i| schedule.intended_ns(i)).collect()
                        }
                    }
                }
                None if now >= window.end_ns => break,
                None => vec![now; planner.batch_messages() as usize],
            };
            // A slot per request; in the open loop, waiting here is what puts the producer
            // behind schedule, and that wait is charged to the messages' latency.
            if acks != Acks::None && slots.acquire(1).await.is_err() {
                break;
            }
            // Group the messages by partition, then by shard connection.
            let mut value_bytes = Vec::with_capacity(intended.len());
            let sticky_partition = (batch_no % u64::from(partitions)) as u32;
            batch_no += u64::from(self.producers);
            let mut per_partition_messages: BTreeMap<u32, (Vec<u64>, Vec<u32>)> = BTreeMap::new();
            for &intended_ns in &intended {
                let size = self.config.sizes.sample(&mut random) as usize;
                let key = keys.next_key(&mut random).map(KeyChooser::key_bytes);
                let partition = match &key {
                    Some(k) => partition_for_key(k, partitions),
                    None => sticky_partition,
                };
                PayloadStamp { run_id: self.run_id, intended_ns }.write(&mut value[..size]);
                let builder = builders.entry(partition).or_default();
                if let Err(e) = builder.append(
                    wall_ms + (intended_ns / 1_000_000) as i64,
                    key.as_ref().map(|k| &k[..]),
                    Some(&value[..size]),
                ) {
                    self.stats.borrow_mut().on_error(format!("cannot build a batch: {e}"));
                    continue;
                }
                let entry = per_partition_messages.entry(partition).or_default();
                entry.0.push(intended_ns);
                entry.1.push(size as u32);
                value_bytes.push(size as u32);
            }
            let mut per_connection: BTreeMap<usize, (Vec<ProducePartition>, InFlight)> =
                BTreeMap::new();
            for (partition, (times, sizes)) in per_partition_messages {
                let builder = builders.get_mut(&partition).expect("builder was used above");
                let records = builder.finish();
                let conn = addrs
                    .iter()
                    .position(|a| *a == self.layout.partition_addrs[partition as usize])
                    .expect("every partition address is among the connections");
                let entry = per_connection.entry(conn).or_insert_with(|| {
                    (Vec::new(), InFlight { intended_ns: Vec::new(), value_bytes: Vec::new() })
                });
                entry.0.push(ProducePartition { partition, records: records.into() });
                entry.1.intended_ns.extend(times);
                entry.1.value_bytes.extend(sizes);
            }
            if per_connection.is_empty() && acks != Acks::None {
                slots.signal(1); // every message failed to build: give the slot back
            }
            let mut broken = false;
            for (request_index, (conn, (partitions_payload, in_flight))) in
                per_connection.into_iter().enumerate()
            {
                // The first request uses the slot taken above; each further one (keys spread
                // over several shards) takes its own just before it leaves, after the previous
                // one is out, so a single slot can never deadlock.
                if request_index > 0 && acks != Acks::None && slots.acquire(1).await.is_err() {
                    broken = true;
                    break;
                }
                let sent_msgs = in_flight.intended_ns.len() as u64;
                let first_intended = in_flight.intended_ns.first().copied().unwrap_or(now);
                let request = Request::new(
                    0,
                    ProduceRequest {
                        acks,
                        timeout_ms: PRODUCE_TIMEOUT_MS,
                        topics: vec![ProduceTopic {
                            name: self.layout.topic.clone(),
                            partitions: partitions_payload,
                        }],
                    },
                );
                // The correlation id is only known once sent, but the reader may see the
                // answer before `send` returns; register under the id the writer will use.
                let correlation_id = writers[conn].next_correlation_id();
                let unacknowledged = if acks == Acks::None {
                    Some(in_flight)
                } else {
                    pendings[conn].borrow_mut().insert(correlation_id, in_flight);
                    None
                };
                match writers[conn].send(request).await {
                    Ok(sent_id) => {
                        assert_eq!(
                            sent_id, correlation_id,
                            "correlation ids are assigned in order"
                        );
                        let mut stats = self.stats.borrow_mut();
                        stats.on_sent(first_intended, sent_msgs);
                        if let Some(in_flight) = unacknowledged {
                            let sent_ns = self.clock.now_ns();
                            for (t, b) in in_flight.intended_ns.iter().zip(&in_flight.value_bytes) {
                                stats.on_acked(*t, sent_ns, u64::from(*b), false);
                            }
                        }
                    }
                    Err(e) => {
                        pendings[conn].borrow_mut().remove(&correlation_id);
                        self.stats.borrow_mut().on_error(e.to_string());
                        broken = true;
                    }
                }
            }
            if broken {
                break;
            }
            glommio::yield_if_needed().await;
        }
        if let Some(schedule) = &schedule {
            let left = schedule.total_count() - schedule.taken();
            self.stats.borrow_mut().unsent_msgs += left;
        }
        // Wait for the last acknowledgements: every slot back means nothing is in flight.
        if acks != Acks::None {
            let all = u64::from(self.config.max_in_flight);
            let drained = glommio::timer::timeout(FINAL_ACK_TIMEOUT, slots.acquire(all)).await;
            if drained.is_err() {
                let lost: usize = pendings.iter().map(|p| p.borrow().len()).sum();
                self.stats
                    .borrow_mut()
                    .on_error(format!("{lost} produce requests unanswered after the run"));
            }
        }
        drop(readers);
    }
}

/// Reads produce responses on one connection and records their messages' latency.
async fn read_acks(
    mut reader: ResponseReader,
    pending: PendingMap,
    slots: Rc<Semaphore>,
    stats: Rc<RefCell<WorkerStats>>,
    clock: RunClock,
) {
    loop {
        let response = match reader.next().await {
            Ok(Some(r)) => r,
            Ok(None) => break,
            Err(e) => {
                stats.borrow_mut().on_error(e.to_string());
                break;
            }
        };
        let acked_ns = clock.now_ns();
        let Some(in_flight) = pending.borrow_mut().remove(&response.correlation_id) else {
            stats
                .borrow_mut()
                .on_error(format!("response to unknown request {}", response.correlation_id));
            continue;
        };
        let failure = match &response.body {
            ResponseBody::Produce(p) if p.error_code != ErrorCode::None => Some(p.error_code),
            ResponseBody::Produce(p) => p
                .topics
                .iter()
                .flat_map(|t| &t.partitions)
                .map(|r| r.error_code)
                .find(|c| *c != ErrorCode::None),
            ResponseBody::Error(e) => Some(e.error_code),
            _ => Some(ErrorCode::InvalidRequest),
        };
        {
            let mut stats = stats.borrow_mut();
            match failure {
                None => {
                    for (t, b) in in_flight.intended_ns.iter().zip(&in_flight.value_bytes) {
                        stats.on_acked(*t, acked_ns, u64::from(*b), true);
                    }
                }
                Some(code) => stats.on_error(format!(
                    "produce of {} messages failed: {code:?} ({})",
                    in_flight.intended_ns.len(),
                    code.description()
                )),
            }
        }
        slots.signal(1);
    }
    // The connection is gone: whatever is still pending will never be answered.
    let lost: Vec<u32> = pending.borrow().keys().copied().collect();
    if !lost.is_empty() {
        stats
            .borrow_mut()
            .on_error(format!("{} produce requests lost with the connection", lost.len()));
        pending.borrow_mut().clear();
        slots.signal(lost.len() as u64);
    }
}

fn distinct_addrs(layout: &TopicLayout) -> Vec<String> {
    let mut addrs: Vec<String> = layout.partition_addrs.clone();
    addrs.sort();
    addrs.dedup();
    addrs
}

fn wall_clock_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
