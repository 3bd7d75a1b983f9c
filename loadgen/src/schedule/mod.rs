//! When to send: the open-loop rate schedule and the batching decision, both sans-IO.
//!
//! Time is passed in as nanoseconds since the run's base instant, so every decision is a pure
//! function of its inputs and the unit tests drive them with synthetic clocks.

pub mod batch_planner;
pub mod rate_scheduler;

pub use batch_planner::{BatchLimits, BatchPlanner, SendDecision};
pub use rate_scheduler::RateScheduler;
