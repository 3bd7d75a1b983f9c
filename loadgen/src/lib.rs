//! # sluice-loadgen
//!
//! The `sluice-loadgen` binary: closed-loop peak-throughput runs and open-loop fixed-rate runs
//! whose latency is measured from the intended send time (no coordinated omission), reported as
//! HdrHistogram percentiles, JSON, interval logs and plots.
//!
//! Not built yet: it lands with the load-generator issue and builds on `sluice-client`.
