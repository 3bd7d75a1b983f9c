//! The phases of a run on the shared clock: warm-up, then the measured window.

/// Nanosecond bounds of a run, relative to the run's base instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunWindow {
    /// When producers start (the schedule's time zero).
    pub start_ns: u64,
    /// When the measured window opens; samples intended before this are warm-up.
    pub measure_from_ns: u64,
    /// When producers stop; the measured window closes here.
    pub end_ns: u64,
}

impl RunWindow {
    /// A window starting at `start_ns` with `warmup_ns` of warm-up then `measured_ns` measured.
    pub fn new(start_ns: u64, warmup_ns: u64, measured_ns: u64) -> RunWindow {
        assert!(measured_ns > 0, "a run measures something");
        RunWindow {
            start_ns,
            measure_from_ns: start_ns + warmup_ns,
            end_ns: start_ns + warmup_ns + measured_ns,
        }
    }

    /// Whether a message intended at `intended_ns` counts towards the final figures.
    pub fn is_measured(&self, intended_ns: u64) -> bool {
        intended_ns >= self.measure_from_ns && intended_ns < self.end_ns
    }

    /// Length of the measured window in seconds.
    pub fn measured_s(&self) -> f64 {
        (self.end_ns - self.measure_from_ns) as f64 / 1e9
    }
}
