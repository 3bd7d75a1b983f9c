//! The run's shared time base: one `Instant` every worker thread measures from.

use std::time::Instant;

use crate::measure::RunWindow;

/// Nanoseconds since a base instant shared by all workers, plus the run's phases on that clock.
#[derive(Debug, Clone, Copy)]
pub struct RunClock {
    base: Instant,
    /// The run's phases.
    pub window: RunWindow,
}

impl RunClock {
    /// A clock from `base` with `window`'s phases.
    pub fn new(base: Instant, window: RunWindow) -> RunClock {
        RunClock { base, window }
    }

    /// Nanoseconds since the base instant.
    pub fn now_ns(&self) -> u64 {
        self.base.elapsed().as_nanos() as u64
    }
}
