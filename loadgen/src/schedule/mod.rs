//! When to send: the open-loop rate schedule, sans-IO. Batching is the SDK's job (its
//! accumulator seals a partition's batch by size or linger).
//!
//! Time is passed in as nanoseconds since the run's base instant, so every decision is a pure
//! function of its inputs and the unit tests drive them with synthetic clocks.

pub mod rate_scheduler;

pub use rate_scheduler::RateScheduler;
