//! Latency and throughput accounting, sans-IO: recorders take timestamps (nanoseconds since
//! the run's base instant), never read a clock.

pub mod latency_recorder;
pub mod latency_summary;
pub mod run_window;

pub use latency_recorder::{new_latency_histogram, LatencyRecorder};
pub use latency_summary::LatencySummary;
pub use run_window::RunWindow;
