//! One run: set up the topic (blocking `Admin`, main thread), start worker executors (pinned
//! when `--cores` is given), drive producers and consumers (`sluice-client`'s glommio
//! `AsyncProducer` and `AsyncConsumer`), gather per-second intervals on the main thread
//! (progress lines and the interval log), and merge the workers' final histograms.

mod clock;
mod consumer_task;
mod producer_task;
mod topic_layout;
mod worker_stats;

use std::rc::Rc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use glommio::{LocalExecutorBuilder, Placement};
use hdrhistogram::Histogram;
use sluice_client::async_glommio::with_reactor_tick;

pub use clock::RunClock;
pub use topic_layout::{prepare_topic, TopicLayout};
pub use worker_stats::{Counts, WorkerStats};

use crate::config::RunConfig;
use crate::error::LoadgenError;
use crate::measure::{new_latency_histogram, LatencySummary, RunWindow};
use consumer_task::ConsumerTask;
use producer_task::ProducerTask;

/// Time between run set-up and the first scheduled send, for workers to connect.
const START_DELAY: Duration = Duration::from_millis(300);
/// Reporting interval of progress lines and the interval log.
pub const INTERVAL: Duration = Duration::from_secs(1);
/// How long after the scheduled end the main thread waits for workers before giving up.
const WORKER_GRACE: Duration = Duration::from_secs(30);
/// A run "kept up" when it acknowledged at least this fraction of the messages it scheduled.
const KEPT_UP_FRACTION: f64 = 0.99;
/// ... and never fell further behind its schedule than this.
const KEPT_UP_LAG_NS_MAX: u64 = 100_000_000;

/// One reporting interval, merged over all workers.
#[derive(Debug, Clone)]
pub struct IntervalReport {
    /// Interval start, seconds since the run's start.
    pub start_s: f64,
    /// Interval length in seconds.
    pub length_s: f64,
    /// Whether this interval lies in the warm-up.
    pub warmup: bool,
    /// Counts in the interval.
    pub counts: Counts,
    /// Produce acknowledgement latency in the interval (µs).
    pub produce: Histogram<u64>,
    /// End-to-end latency in the interval (µs).
    pub end_to_end: Histogram<u64>,
}

/// Everything a run measured.
#[derive(Debug, Clone)]
pub struct RunResult {
    /// Measured-window produce acknowledgement latency (µs).
    pub produce: Histogram<u64>,
    /// Measured-window end-to-end latency (µs).
    pub end_to_end: Histogram<u64>,
    /// Counts of messages intended in the measured window.
    pub measured: Counts,
    /// Measured window length in seconds.
    pub measured_s: f64,
    /// Per-second intervals over the whole run (warm-up included).
    pub intervals: Vec<IntervalReport>,
    /// Errors counted.
    pub errors: u64,
    /// The first few error messages.
    pub error_samples: Vec<String>,
    /// Largest lag behind the open-loop schedule (ns).
    pub lag_ns_max: u64,
    /// Scheduled messages never sent (the broker held the producers back to the end).
    pub unsent_msgs: u64,
    /// The target rate (open loop) in messages per second.
    pub target_rate_per_s: Option<f64>,
    /// The topic layout used.
    pub layout: TopicLayout,
    /// Wall-clock time the run started (for the interval log).
    pub started_at: std::time::SystemTime,
}

impl RunResult {
    /// Acknowledged messages per second over the measured window.
    pub fn msgs_per_s(&self) -> f64 {
        self.measured.acked_msgs as f64 / self.measured_s
    }

    /// Acknowledged value megabytes (10^6 bytes) per second over the measured window.
    pub fn mb_per_s(&self) -> f64 {
        self.measured.acked_bytes as f64 / self.measured_s / 1e6
    }

    /// Produce acknowledgement percentiles.
    pub fn produce_summary(&self) -> LatencySummary {
        LatencySummary::of(&self.produce)
    }

    /// End-to-end percentiles.
    pub fn end_to_end_summary(&self) -> LatencySummary {
        LatencySummary::of(&self.end_to_end)
    }

    /// Whether an open-loop run achieved its target: nearly every scheduled message acked and
    /// the producers never fell far behind. Closed-loop runs always "keep up".
    pub fn kept_up(&self) -> bool {
        match self.target_rate_per_s {
            None => true,
            Some(rate) => {
                self.msgs_per_s() >= rate * KEPT_UP_FRACTION
                    && self.lag_ns_max <= KEPT_UP_LAG_NS_MAX
            }
        }
    }
}

// Intervals are the common message; the final stats are sent once per worker.
#[allow(clippy::large_enum_variant)]
enum WorkerEvent {
    Interval { index: u64, counts: Counts, produce: Histogram<u64>, end_to_end: Histogram<u64> },
    Finished(WorkerStats),
}

/// Runs the load described by `config` and returns what it measured.
pub fn run(config: &RunConfig) -> Result<RunResult, LoadgenError> {
    config.validate()?;
    let layout = set_up_topic(config)?;
    let executors = if config.cores.is_empty() { 1 } else { config.cores.len() };
    let base = Instant::now();
    let started_at = std::time::SystemTime::now();
    let window = RunWindow::new(
        START_DELAY.as_nanos() as u64,
        config.warmup.as_nanos() as u64,
        config.duration.as_nanos() as u64,
    );
    let clock = RunClock::new(base, window);
    let run_id = random_run_id();
    let producers_running = Arc::new(AtomicU32::new(config.producers));
    let (tx, rx) = mpsc::sync_channel::<WorkerEvent>(1024);
    let mut handles = Vec::with_capacity(executors);
    for worker in 0..executors {
        let placement = match config.cores.get(worker) {
            Some(&cpu) => Placement::Fixed(cpu),
            None => Placement::Unbound,
        };
        let config = config.clone();
        let layout = layout.clone();
        let tx = tx.clone();
        let producers_running = producers_running.clone();
        let handle = LocalExecutorBuilder::new(placement)
            .name(&format!("loadgen-{worker}"))
            // No spin_before_park, unlike the broker's shards: measured open loop at 260 k
            // msgs/s, a 200 us spin made the produce-ack p50 bimodal (0.18 or 1.46 ms against
            // 0.16-0.21 ms without it), while closed-loop throughput did not change. That was
            // measured while the broker's shard could land on this core (fixed since, see
            // broker/src/runtime/shard_cores.rs) and has not been repeated.
            .spawn(move || async move {
                // The tick bounds how long a busy turn (or a missed wake-up) keeps the worker from
                // polling io_uring.
                with_reactor_tick(run_worker(
                    worker,
                    executors,
                    config,
                    layout,
                    clock,
                    run_id,
                    producers_running,
                    tx,
                ))
                .await
            })
            .map_err(|e| LoadgenError::Worker(format!("cannot start worker {worker}: {e}")))?;
        handles.push(handle);
    }
    drop(tx);
    let (intervals, finished) = gather(config, &rx, executors, window)?;
    for handle in handles {
        handle.join().map_err(|e| LoadgenError::Worker(format!("worker failed: {e}")))?;
    }
    let mut result = RunResult {
        produce: new_latency_histogram(),
        end_to_end: new_latency_histogram(),
        measured: Counts::default(),
        measured_s: window.measured_s(),
        intervals,
        errors: 0,
        error_samples: Vec::new(),
        lag_ns_max: 0,
        unsent_msgs: 0,
        target_rate_per_s: config.rate_per_s,
        layout,
        started_at,
    };
    for stats in finished {
        result.produce.add(stats.produce.measured()).expect("same histogram bounds");
        result.end_to_end.add(stats.end_to_end.measured()).expect("same histogram bounds");
        result.measured.add(&stats.measured);
        result.errors += stats.errors;
        result.error_samples.extend(stats.error_samples);
        result.lag_ns_max = result.lag_ns_max.max(stats.lag_ns_max);
        result.unsent_msgs += stats.unsent_msgs;
    }
    Ok(result)
}

fn set_up_topic(config: &RunConfig) -> Result<TopicLayout, LoadgenError> {
    prepare_topic(&config.broker, &config.topic, config.partitions, config.flush)
}

#[allow(clippy::too_many_arguments)] // the run's parts, handed to one thread
async fn run_worker(
    worker: usize,
    workers: usize,
    config: RunConfig,
    layout: TopicLayout,
    clock: RunClock,
    run_id: u64,
    producers_running: Arc<AtomicU32>,
    tx: mpsc::SyncSender<WorkerEvent>,
) {
    let config = Rc::new(config);
    let layout = Rc::new(layout);
    let stats = Rc::new(std::cell::RefCell::new(WorkerStats::new(clock.window)));
    let mut tasks = Vec::new();
    let mut consumer_tasks = Vec::new();
    for index in (0..config.producers).filter(|i| *i as usize % workers == worker) {
        let task = ProducerTask {
            index,
            producers: config.producers,
            config: config.clone(),
            layout: layout.clone(),
            clock,
            stats: stats.clone(),
            run_id,
        };
        let running = producers_running.clone();
        tasks.push(glommio::spawn_local(async move {
            task.run().await;
            running.fetch_sub(1, Ordering::AcqRel);
        }));
    }
    for index in (0..config.consumers).filter(|i| *i as usize % workers == worker) {
        let task = ConsumerTask {
            index,
            consumers: config.consumers,
            broker: config.broker.clone(),
            layout: layout.clone(),
            clock,
            stats: stats.clone(),
            run_id,
            producers_running: producers_running.clone(),
        };
        consumer_tasks.push(glommio::spawn_local(task.run()));
    }
    let all_done = Rc::new(std::cell::Cell::new(false));
    let ticker = {
        let stats = stats.clone();
        let tx = tx.clone();
        let all_done = all_done.clone();
        glommio::spawn_local(async move {
            let mut index = 0u64;
            while !all_done.get() {
                let due = clock.window.start_ns + (index + 1) * INTERVAL.as_nanos() as u64;
                let now = clock.now_ns();
                if due > now {
                    glommio::timer::sleep(Duration::from_nanos(due - now)).await;
                }
                let (counts, produce, end_to_end) = stats.borrow_mut().take_interval();
                // The main thread may have given up on a stuck run; nothing to do then.
                if tx.send(WorkerEvent::Interval { index, counts, produce, end_to_end }).is_err() {
                    return;
                }
                index += 1;
            }
        })
    };
    for task in tasks.into_iter().chain(consumer_tasks) {
        task.await;
    }
    all_done.set(true);
    ticker.cancel().await;
    // Completion callbacks of records still buffered in a dropped producer may hold a
    // reference; then copy the stats out.
    let stats = Rc::try_unwrap(stats)
        .map(std::cell::RefCell::into_inner)
        .unwrap_or_else(|rc| rc.borrow().clone());
    // The main thread only stops listening after every worker finished or it gave up.
    let _ = tx.send(WorkerEvent::Finished(stats));
}

/// Collects intervals (printing a progress line as each completes on every worker) until
/// every worker has finished.
fn gather(
    config: &RunConfig,
    rx: &mpsc::Receiver<WorkerEvent>,
    workers: usize,
    window: RunWindow,
) -> Result<(Vec<IntervalReport>, Vec<WorkerStats>), LoadgenError> {
    let mut pending: std::collections::BTreeMap<u64, (usize, IntervalReport)> = Default::default();
    let mut intervals = Vec::new();
    let mut finished = Vec::new();
    let mut cumulative_produce = new_latency_histogram();
    let mut cumulative_e2e = new_latency_histogram();
    let give_up = Instant::now() + START_DELAY + config.warmup + config.duration + WORKER_GRACE;
    let length_s = INTERVAL.as_secs_f64();
    while finished.len() < workers {
        let event = match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(e) => e,
            Err(RecvTimeoutError::Timeout) if Instant::now() < give_up => continue,
            Err(RecvTimeoutError::Timeout) => {
                return Err(LoadgenError::Worker("workers did not finish in time".into()))
            }
            Err(RecvTimeoutError::Disconnected) => {
                return Err(LoadgenError::Worker("a worker exited without its results".into()))
            }
        };
        match event {
            WorkerEvent::Finished(stats) => finished.push(stats),
            WorkerEvent::Interval { index, counts, produce, end_to_end } => {
                let start_s = index as f64 * length_s;
                let warmup = (start_s * 1e9) < (window.measure_from_ns - window.start_ns) as f64;
                let entry = pending.entry(index).or_insert_with(|| {
                    (
                        0,
                        IntervalReport {
                            start_s,
                            length_s,
                            warmup,
                            counts: Counts::default(),
                            produce: new_latency_histogram(),
                            end_to_end: new_latency_histogram(),
                        },
                    )
                });
                entry.0 += 1;
                entry.1.counts.add(&counts);
                entry.1.produce.add(&produce).expect("same histogram bounds");
                entry.1.end_to_end.add(&end_to_end).expect("same histogram bounds");
                if entry.0 == workers {
                    let (_, report) = pending.remove(&index).expect("entry exists");
                    cumulative_produce.add(&report.produce).expect("same histogram bounds");
                    cumulative_e2e.add(&report.end_to_end).expect("same histogram bounds");
                    if config.progress {
                        println!(
                            "{}",
                            progress_line(
                                &report,
                                &cumulative_produce,
                                &cumulative_e2e,
                                config.consumers > 0
                            )
                        );
                    }
                    intervals.push(report);
                }
            }
        }
    }
    // Workers finish at slightly different times; keep their last partial intervals too.
    intervals.extend(pending.into_values().map(|(_, r)| r));
    Ok((intervals, finished))
}

fn progress_line(
    report: &IntervalReport,
    produce: &Histogram<u64>,
    end_to_end: &Histogram<u64>,
    consumers: bool,
) -> String {
    let msgs = report.counts.acked_msgs as f64 / report.length_s;
    let mb = report.counts.acked_bytes as f64 / report.length_s / 1e6;
    let mut line = format!(
        "[{:>4.0}s{}] {:>10.0} msgs/s {:>8.1} MB/s  produce p99 {:>7} µs",
        report.start_s + report.length_s,
        if report.warmup { " warm-up" } else { "" },
        msgs,
        mb,
        if produce.is_empty() { 0 } else { produce.value_at_quantile(0.99) },
    );
    if consumers {
        line.push_str(&format!(
            "  e2e p99 {:>7} µs  consumed {:>10.0} msgs/s",
            if end_to_end.is_empty() { 0 } else { end_to_end.value_at_quantile(0.99) },
            report.counts.consumed_msgs as f64 / report.length_s
        ));
    }
    line
}

fn random_run_id() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let mut random = crate::workload::SplitMix64::new(nanos ^ u64::from(std::process::id()));
    random.next_u64()
}
