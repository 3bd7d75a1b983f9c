//! What one worker executor has measured so far, shared by its tasks (single-threaded: an
//! `Rc<RefCell<_>>` borrowed only between awaits).

use hdrhistogram::Histogram;

use crate::measure::{LatencyRecorder, RunWindow};

/// Error messages kept verbatim for the report; the rest are only counted.
const ERROR_SAMPLES_MAX: usize = 8;

/// Counters of messages and bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Messages sent.
    pub sent_msgs: u64,
    /// Messages acknowledged.
    pub acked_msgs: u64,
    /// Value bytes acknowledged.
    pub acked_bytes: u64,
    /// Messages consumed (records of this run only).
    pub consumed_msgs: u64,
    /// Value bytes consumed.
    pub consumed_bytes: u64,
}

impl Counts {
    /// Adds `other` into `self`.
    pub fn add(&mut self, other: &Counts) {
        self.sent_msgs += other.sent_msgs;
        self.acked_msgs += other.acked_msgs;
        self.acked_bytes += other.acked_bytes;
        self.consumed_msgs += other.consumed_msgs;
        self.consumed_bytes += other.consumed_bytes;
    }
}

/// One worker's measurements.
#[derive(Debug, Clone)]
pub struct WorkerStats {
    window: RunWindow,
    /// Produce acknowledgement latency.
    pub produce: LatencyRecorder,
    /// End-to-end latency (intended send → consumed).
    pub end_to_end: LatencyRecorder,
    /// Counts since the last interval report.
    pub interval: Counts,
    /// Counts of messages intended inside the measured window.
    pub measured: Counts,
    /// Errors (failed produces, fetch errors, broken connections).
    pub errors: u64,
    /// The first few error messages.
    pub error_samples: Vec<String>,
    /// Largest open-loop schedule lag seen (how far a producer fell behind its schedule).
    pub lag_ns_max: u64,
    /// Schedule lag at the end of the run, summed over producers: messages never sent.
    pub unsent_msgs: u64,
}

impl WorkerStats {
    /// Empty stats for a run with `window`.
    pub fn new(window: RunWindow) -> WorkerStats {
        WorkerStats {
            window,
            produce: LatencyRecorder::new(window),
            end_to_end: LatencyRecorder::new(window),
            interval: Counts::default(),
            measured: Counts::default(),
            errors: 0,
            error_samples: Vec::new(),
            lag_ns_max: 0,
            unsent_msgs: 0,
        }
    }

    /// Counts `msgs` messages sent, intended at `intended_ns`.
    pub fn on_sent(&mut self, intended_ns: u64, msgs: u64) {
        self.interval.sent_msgs += msgs;
        if self.window.is_measured(intended_ns) {
            self.measured.sent_msgs += msgs;
        }
    }

    /// Counts one acknowledged message of `bytes` value bytes.
    pub fn on_acked(&mut self, intended_ns: u64, acked_ns: u64, bytes: u64, with_latency: bool) {
        if with_latency {
            self.produce.record(intended_ns, acked_ns);
        }
        self.interval.acked_msgs += 1;
        self.interval.acked_bytes += bytes;
        if self.window.is_measured(intended_ns) {
            self.measured.acked_msgs += 1;
            self.measured.acked_bytes += bytes;
        }
    }

    /// Counts one consumed message.
    pub fn on_consumed(&mut self, intended_ns: u64, consumed_ns: u64, bytes: u64) {
        self.end_to_end.record(intended_ns, consumed_ns);
        self.interval.consumed_msgs += 1;
        self.interval.consumed_bytes += bytes;
        if self.window.is_measured(intended_ns) {
            self.measured.consumed_msgs += 1;
            self.measured.consumed_bytes += bytes;
        }
    }

    /// Counts an error, keeping its message if it is among the first few.
    pub fn on_error(&mut self, message: String) {
        self.errors += 1;
        if self.error_samples.len() < ERROR_SAMPLES_MAX {
            self.error_samples.push(message);
        }
    }

    /// Takes this interval's figures and starts the next interval.
    pub fn take_interval(&mut self) -> (Counts, Histogram<u64>, Histogram<u64>) {
        (
            std::mem::take(&mut self.interval),
            self.produce.take_interval(),
            self.end_to_end.take_interval(),
        )
    }
}
