//! # sluice-loadgen
//!
//! The `sluice-loadgen` binary: closed-loop peak-throughput runs and open-loop fixed-rate runs
//! whose latency is measured from the intended send time (no coordinated omission), reported as
//! HdrHistogram percentiles, a table, JSON, HdrHistogram interval logs and SVG plots, plus
//! rate sweeps that draw the latency-versus-throughput curve.
//!
//! - [`schedule`]: sans-IO rate scheduler and batching decision.
//! - [`measure`]: sans-IO latency recording and percentile summaries.
//! - [`workload`]: message sizes, keys, and the timestamp stamp in every value.
//! - [`wire`]: glommio TCP connections speaking `sluice-proto` frames.
//! - [`mod@run`]: worker executors, producer and consumer tasks, interval gathering.
//! - [`report`]: table, JSON, interval log, SVG plots, machine description.
//! - [`sweep`]: open-loop runs over a list of rates.

pub mod cli;
pub mod config;
pub mod error;
pub mod measure;
pub mod report;
pub mod run;
pub mod schedule;
pub mod sweep;
pub mod wire;
pub mod workload;

pub use config::RunConfig;
pub use error::{ConfigError, LoadgenError};
pub use run::{run, RunResult};
