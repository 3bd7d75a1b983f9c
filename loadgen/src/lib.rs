//! # sluice-loadgen
//!
//! The `sluice-loadgen` binary: closed-loop peak-throughput runs and open-loop fixed-rate runs
//! whose latency is measured from the intended send time (no coordinated omission), reported as
//! HdrHistogram percentiles, a table, JSON, HdrHistogram interval logs and SVG plots, plus
//! rate sweeps that draw the latency-versus-throughput curve.
//!
//! Producers and consumers are `sluice-client`'s glommio [`AsyncProducer`] and
//! [`AsyncConsumer`]: the load generator measures what applications run, batching, murmur2 and
//! sticky partitioning, shard routing and pipelining included. Acknowledgement latency is taken
//! in the SDK's per-record completion callback (`send_with_callback`), so records of different
//! partitions are timed as their acknowledgements arrive. Topic set-up uses the blocking
//! `Admin` before the workers start. The dependency arrow is loadgen → client → proto; the
//! load generator has no wire code of its own.
//!
//! [`AsyncProducer`]: sluice_client::async_glommio::AsyncProducer
//! [`AsyncConsumer`]: sluice_client::async_glommio::AsyncConsumer
//!
//! - [`schedule`]: the sans-IO open-loop rate scheduler.
//! - [`measure`]: sans-IO latency recording and percentile summaries.
//! - [`workload`]: message sizes, keys, and the timestamp stamp in every value.
//! - [`mod@run`]: topic set-up, worker executors, producer and consumer tasks, interval
//!   gathering.
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
pub mod workload;

pub use config::RunConfig;
pub use error::{ConfigError, LoadgenError};
pub use run::{run, RunResult};
