//! Records latencies from (intended, completed) timestamp pairs into HdrHistograms: one for the
//! measured window and one per reporting interval (for the progress line and the interval log).

use hdrhistogram::Histogram;

use super::RunWindow;

/// Largest latency the histograms track: an hour, in microseconds. Larger values saturate.
pub const LATENCY_US_MAX: u64 = 3_600_000_000;
/// HdrHistogram precision: three significant digits (0.1% value resolution).
pub const SIGNIFICANT_DIGITS: u8 = 3;

/// An empty latency histogram in microseconds, with the run-wide range and precision.
pub fn new_latency_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, LATENCY_US_MAX, SIGNIFICANT_DIGITS)
        .expect("constant histogram bounds are valid")
}

/// Accumulates one latency kind (produce acknowledgement or end to end).
#[derive(Debug, Clone)]
pub struct LatencyRecorder {
    window: RunWindow,
    measured: Histogram<u64>,
    interval: Histogram<u64>,
}

impl LatencyRecorder {
    /// A recorder whose final histogram keeps only messages intended inside `window`'s
    /// measured part.
    pub fn new(window: RunWindow) -> LatencyRecorder {
        LatencyRecorder {
            window,
            measured: new_latency_histogram(),
            interval: new_latency_histogram(),
        }
    }

    /// Records one message intended at `intended_ns` and completed at `completed_ns`. The
    /// latency counts from the intended time: time spent waiting to be sent is latency too.
    pub fn record(&mut self, intended_ns: u64, completed_ns: u64) {
        self.record_n(intended_ns, completed_ns, 1);
    }

    /// Records `count` messages with the same timestamps (one batch acknowledged at once).
    pub fn record_n(&mut self, intended_ns: u64, completed_ns: u64, count: u64) {
        // A completion before its intent would mean clocks run backwards: a broken invariant.
        assert!(
            completed_ns >= intended_ns,
            "completion at {completed_ns} ns precedes intent at {intended_ns} ns"
        );
        let latency_us = ((completed_ns - intended_ns) / 1_000).clamp(1, LATENCY_US_MAX);
        self.interval.saturating_record_n(latency_us, count);
        if self.window.is_measured(intended_ns) {
            self.measured.saturating_record_n(latency_us, count);
        }
    }

    /// Hands over the interval histogram and starts a fresh one.
    pub fn take_interval(&mut self) -> Histogram<u64> {
        std::mem::replace(&mut self.interval, new_latency_histogram())
    }

    /// The measured-window histogram.
    pub fn measured(&self) -> &Histogram<u64> {
        &self.measured
    }

    /// Consumes the recorder, returning the measured-window histogram.
    pub fn into_measured(self) -> Histogram<u64> {
        self.measured
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    #[test]
    fn given_a_stalled_broker_when_recording_from_intended_times_should_charge_the_stall_to_every_message(
    ) {
        // Open loop at 1000 msg/s; the broker stalls for 100 ms then acknowledges everything.
        // Messages intended during the stall waited 100 ms, 99 ms, ... 1 ms: that is their
        // latency. Measured from the actual send (coordinated omission) only the first one
        // would look slow.
        let window = RunWindow::new(0, 0, 1_000 * MS);
        let mut recorder = LatencyRecorder::new(window);
        let ack_ns = 100 * MS;
        for i in 0..100 {
            recorder.record(i * MS, ack_ns);
        }
        let h = recorder.measured();
        assert_eq!(h.len(), 100);
        assert!(h.value_at_quantile(0.5).abs_diff(50_000) <= 1_000, "{}", h.value_at_quantile(0.5));
        assert!(h.max().abs_diff(100_000) <= 100);
        assert!(h.min() <= 1_001);
    }

    #[test]
    fn given_warmup_when_recording_should_keep_warmup_samples_out_of_the_final_histogram() {
        let window = RunWindow::new(0, 10 * MS, 10 * MS);
        let mut recorder = LatencyRecorder::new(window);
        recorder.record(5 * MS, 6 * MS); // warm-up
        recorder.record(15 * MS, 16 * MS); // measured
        recorder.record(25 * MS, 26 * MS); // after the end (drain)
        assert_eq!(recorder.measured().len(), 1);
        assert_eq!(recorder.take_interval().len(), 3);
        assert_eq!(recorder.take_interval().len(), 0);
    }

    #[test]
    fn given_sub_microsecond_latency_when_recording_should_count_it_as_one_microsecond() {
        let mut recorder = LatencyRecorder::new(RunWindow::new(0, 0, MS));
        recorder.record(10, 20);
        assert_eq!(recorder.measured().min(), 1);
    }
}
