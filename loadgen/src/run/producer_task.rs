//! One producer: a `sluice-client` [`AsyncProducer`] fed on the open-loop schedule or as fast
//! as it accepts records, with each record's acknowledgement latency recorded by a completion
//! callback the moment the SDK learns it.
//!
//! Open loop: messages are due on the [`RateScheduler`]'s fixed grid; at each wake every due
//! message is handed to `send` with its intended time. When the broker is slow the SDK's
//! buffer fills, `send` waits, the producer falls behind its schedule and the messages still
//! to be sent age: latency counts from the intended time, so that waiting is charged
//! (coordinated omission corrected). Closed loop: records are handed over as fast as `send`
//! accepts them and latency counts from the hand-over: the producer first waits until the SDK
//! has room for a record (`wait_for_room`), then stamps and sends it. Counting from the call
//! to a `send` that then waits for room would charge each record the rest of its
//! predecessor's round trip (with one request in flight, 2-2.5 round trips per record).
//!
//! Batching, partitioning (murmur2 of the key, sticky for unkeyed records), routing to shards
//! and pipelining are the SDK's; what is measured is what an application gets.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use sluice_client::async_glommio::AsyncProducer;
use sluice_client::{Acks, ProducerRecord};

use super::clock::RunClock;
use super::topic_layout::TopicLayout;
use super::worker_stats::WorkerStats;
use crate::config::RunConfig;
use crate::schedule::RateScheduler;
use crate::workload::{KeyChooser, PayloadStamp, SplitMix64};

/// How long a producer waits for its last acknowledgements after the schedule ends.
const FINAL_ACK_TIMEOUT: Duration = Duration::from_secs(10);
/// Due messages sent per wake before the schedule is looked at again, so a long stall never
/// makes one pass unbounded.
const DUE_PER_WAKE_MAX: u64 = 4096;
/// Bytes of one arena chunk that values and keys are cut from: under glibc's mmap threshold,
/// so chunks come from the warm heap rather than fresh pages that fault in on first touch.
const ARENA_CHUNK_BYTES: usize = 64 * 1024;

/// Everything one producer needs.
pub struct ProducerTask {
    /// Index among all producers (staggers phases and seeds).
    pub index: u32,
    /// Total producers in the run.
    pub producers: u32,
    /// The run.
    pub config: Rc<RunConfig>,
    /// The topic.
    pub layout: Rc<TopicLayout>,
    /// Shared time base.
    pub clock: RunClock,
    /// This worker's stats.
    pub stats: Rc<RefCell<WorkerStats>>,
    /// This run's id, stamped into every value.
    pub run_id: u64,
}

/// What every completion callback of one producer shares: one `Rc` per callback keeps each
/// callback's box small.
struct Acknowledgements {
    stats: Rc<RefCell<WorkerStats>>,
    clock: RunClock,
    /// Records handed to the SDK whose callback has not run yet.
    outstanding: Cell<u64>,
    /// Acks::None: the SDK completes a record once its request is written; that is no
    /// acknowledgement latency, only a count.
    with_latency: bool,
}

impl Acknowledgements {
    fn on_outcome(&self, intended_ns: u64, value_bytes: u32, result: sluice_client::Result<()>) {
        let now = self.clock.now_ns();
        self.outstanding.set(self.outstanding.get() - 1);
        let mut stats = self.stats.borrow_mut();
        match result {
            Ok(()) => stats.on_acked(intended_ns, now, u64::from(value_bytes), self.with_latency),
            Err(error) => stats.on_error(format!("produce failed: {error}")),
        }
    }
}

/// Values and keys are cut from shared chunks: one allocation per chunk, not per record.
struct RecordArena {
    chunk: BytesMut,
    filler: Vec<u8>,
}

impl RecordArena {
    fn new(value_bytes_max: usize) -> RecordArena {
        RecordArena {
            chunk: BytesMut::with_capacity(ARENA_CHUNK_BYTES.max(value_bytes_max)),
            filler: vec![0x5Au8; value_bytes_max],
        }
    }

    fn make_room(&mut self, bytes: usize) {
        if self.chunk.capacity() - self.chunk.len() < bytes {
            // Records still in flight keep the old chunk alive until they are acknowledged.
            self.chunk = BytesMut::with_capacity(ARENA_CHUNK_BYTES.max(bytes));
        }
    }

    fn value(&mut self, value_bytes: usize, stamp: PayloadStamp) -> Bytes {
        self.make_room(value_bytes);
        self.chunk.extend_from_slice(&self.filler[..value_bytes]);
        stamp.write(&mut self.chunk[..value_bytes]);
        self.chunk.split().freeze()
    }

    fn key(&mut self, key: &[u8]) -> Bytes {
        self.make_room(key.len());
        self.chunk.extend_from_slice(key);
        self.chunk.split().freeze()
    }
}

impl ProducerTask {
    /// Runs the producer until its schedule (or the run's duration) ends and every record is
    /// acknowledged (or the final wait gives up).
    pub async fn run(self) {
        let producer_config = self.config.producer_config(self.layout.partitions());
        let producer = match AsyncProducer::connect(&self.config.broker, producer_config) {
            Ok(producer) => producer,
            Err(error) => {
                self.stats.borrow_mut().on_error(format!("cannot start a producer: {error}"));
                return;
            }
        };
        let acks = Rc::new(Acknowledgements {
            stats: self.stats.clone(),
            clock: self.clock,
            outstanding: Cell::new(0),
            with_latency: self.config.acks != Acks::None,
        });
        let window = self.clock.window;
        let mut schedule = self.config.rate_per_s.map(|rate| {
            let per_producer = rate / f64::from(self.producers);
            let phase_ns =
                (1e9 / per_producer * f64::from(self.index) / f64::from(self.producers)) as u64;
            RateScheduler::new(window.start_ns, phase_ns, per_producer, window.end_ns)
        });
        let mut sender = RecordSender {
            producer: &producer,
            acks: acks.clone(),
            topic: Arc::from(self.layout.topic.as_str()),
            keys: KeyChooser::new(self.config.keys),
            random: SplitMix64::new(self.config.seed ^ (u64::from(self.index) << 32)),
            arena: RecordArena::new(self.config.sizes.max_bytes() as usize),
            config: &self.config,
            run_id: self.run_id,
            wall_ms: wall_clock_ms(),
        };
        let record_bytes_max = self.config.record_buffered_bytes_max();
        let now = self.clock.now_ns();
        if now < window.start_ns {
            glommio::timer::sleep(Duration::from_nanos(window.start_ns - now)).await;
        }
        // Bounded in time: the schedule ends, or (closed loop) the clock passes the end.
        loop {
            let now = self.clock.now_ns();
            let sent = match schedule.as_mut() {
                Some(schedule) => {
                    {
                        let mut stats = self.stats.borrow_mut();
                        stats.lag_ns_max = stats.lag_ns_max.max(schedule.lag_ns(now));
                    }
                    let Some(next_ns) = schedule.peek_ns() else { break };
                    if next_ns > now {
                        glommio::timer::sleep(Duration::from_nanos(next_ns - now)).await;
                        continue;
                    }
                    let mut sent = Ok(());
                    for _ in 0..schedule.due_count(now, DUE_PER_WAKE_MAX) {
                        let index = schedule.take(1);
                        let intended_ns = schedule.intended_ns(index);
                        sent = sender.send(intended_ns).await;
                        if sent.is_err() {
                            break;
                        }
                    }
                    sent
                }
                None if now >= window.end_ns => break,
                None => {
                    // Closed loop: the record is timed from when the SDK can take it, so the
                    // load generator's own wait for buffer room (it sends as fast as it can)
                    // is not charged to it; nothing awaits between the stamp and the send.
                    match producer.wait_for_room(record_bytes_max).await {
                        Ok(()) => sender.send(self.clock.now_ns()).await,
                        Err(error) => Err(error),
                    }
                }
            };
            if let Err(error) = sent {
                self.stats.borrow_mut().on_error(format!("send refused: {error}"));
                break;
            }
            glommio::yield_if_needed().await;
        }
        if let Some(schedule) = &schedule {
            let left = schedule.total_count() - schedule.taken();
            self.stats.borrow_mut().unsent_msgs += left;
        }
        let flushed = futures_lite::future::or(async { Some(producer.flush().await) }, async {
            glommio::timer::sleep(FINAL_ACK_TIMEOUT).await;
            None
        })
        .await;
        match flushed {
            Some(Ok(())) => {}
            Some(Err(error)) => {
                self.stats.borrow_mut().on_error(format!("flushing the producer: {error}"));
                return;
            }
            None => {
                let lost = acks.outstanding.get();
                self.stats
                    .borrow_mut()
                    .on_error(format!("{lost} records unacknowledged after the run"));
                // Dropping the producer stops waiting for them; their callbacks report `Closed`.
                return;
            }
        }
        // Flushed: nothing is left for close to wait for.
        if let Err(error) = producer.close().await {
            self.stats.borrow_mut().on_error(format!("closing the producer: {error}"));
        }
    }
}

/// Builds records and hands them to the SDK.
struct RecordSender<'a> {
    producer: &'a AsyncProducer,
    acks: Rc<Acknowledgements>,
    topic: Arc<str>,
    keys: KeyChooser,
    random: SplitMix64,
    arena: RecordArena,
    config: &'a RunConfig,
    run_id: u64,
    wall_ms: i64,
}

impl RecordSender<'_> {
    /// Sends one message intended at `intended_ns`, waiting for buffer room if the SDK's buffer
    /// is full.
    async fn send(&mut self, intended_ns: u64) -> sluice_client::Result<()> {
        let value_bytes = self.config.sizes.sample(&mut self.random) as u32;
        let key = self.keys.next_key(&mut self.random).map(KeyChooser::key_bytes);
        let value = self
            .arena
            .value(value_bytes as usize, PayloadStamp { run_id: self.run_id, intended_ns });
        let mut record = ProducerRecord::new(self.topic.clone(), value)
            .with_timestamp_ms(self.wall_ms + (intended_ns / 1_000_000) as i64);
        if let Some(key) = key {
            record.key = Some(self.arena.key(&key));
        }
        self.acks.stats.borrow_mut().on_sent(intended_ns, 1);
        self.acks.outstanding.set(self.acks.outstanding.get() + 1);
        let acks = self.acks.clone();
        let queued = self
            .producer
            .send_with_callback(record, move |result| {
                acks.on_outcome(intended_ns, value_bytes, result.map(|_| ()));
            })
            .await;
        if queued.is_err() {
            // Not queued: the callback was dropped uncalled.
            self.acks.outstanding.set(self.acks.outstanding.get() - 1);
        }
        queued
    }
}

fn wall_clock_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
