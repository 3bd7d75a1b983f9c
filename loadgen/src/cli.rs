//! The command line of `sluice-loadgen`.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

use crate::config::{parse_acks, parse_cores, parse_flush_policy, BatchLimits, RunConfig};
use crate::error::ConfigError;
use crate::sweep::SweepSpec;
use crate::workload::{KeyDistribution, MessageSizes};

/// `sluice-loadgen`: load a Sluice broker and measure throughput and latency honestly.
///
/// With `--rate` the run is open loop: sends are scheduled at fixed intervals and latency is
/// counted from each message's intended send time, so a broker stall is charged to every
/// message it delayed (no coordinated omission). Without `--rate` it is closed loop: every
/// producer hands records to the SDK as fast as it accepts them, measuring peak throughput.
///
/// Producers and consumers are `sluice-client`'s glommio `AsyncProducer` and `AsyncConsumer`:
/// the batching, routing and pipelining measured are what applications get.
#[derive(Debug, Parser)]
#[command(name = "sluice-loadgen", version, about, long_about = None)]
pub struct Args {
    /// Broker client address.
    #[arg(long, default_value = "127.0.0.1:9292", value_name = "ADDR")]
    pub broker: String,
    /// Topic to produce to and consume from; created if missing.
    #[arg(long, default_value = "loadgen", value_name = "T")]
    pub topic: String,
    /// Partitions of the topic if it has to be created.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub partitions: u32,
    /// Flush policy of the topic if it has to be created: always, never or interval=MS
    /// (default: the broker's default).
    #[arg(long, value_name = "POLICY")]
    pub flush_policy: Option<String>,
    /// Producer tasks.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub producers: u32,
    /// Consumer tasks; they measure end-to-end latency (intended send → consumed).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub consumers: u32,
    /// Value size in bytes, or MIN-MAX for a uniform distribution (at least 16: the stamp).
    #[arg(long, default_value = "1024", value_name = "B")]
    pub message_size: String,
    /// Keys: none, uniform:K or zipf:K:S.
    #[arg(long, default_value = "none", value_name = "DIST")]
    pub keys: String,
    /// Most bytes per batch, record framing and batch header included (the SDK's
    /// batch_bytes_max).
    #[arg(long, default_value_t = 64 * 1024, value_name = "BYTES")]
    pub batch_bytes: u64,
    /// Most messages per batch: the SDK batches by bytes, so this sets its batch_bytes_max to
    /// the bytes N messages of the largest --message-size take (key, per-record framing and
    /// the 61-byte batch header included), if that is below --batch-bytes. Smaller messages
    /// then fit more than N. Default: as many as --batch-bytes allows.
    #[arg(long, value_name = "N")]
    pub batch_messages: Option<u64>,
    /// How long a partition's batch may wait to fill before it is sent (the SDK's linger).
    #[arg(long, default_value_t = 0.0, value_name = "MS")]
    pub linger_ms: f64,
    /// Produce requests in flight per producer connection, and batches in flight per
    /// partition (the SDK's in_flight_per_connection_max and in_flight_per_partition_max; the
    /// latter above 1 lets a retried batch land after a later one, as in Kafka).
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub max_in_flight: u32,
    /// Bytes of records one producer may hold unacknowledged before `send` waits (the SDK's
    /// buffer_bytes_max). Default: (--max-in-flight + 1) batches per partition.
    #[arg(long, value_name = "BYTES")]
    pub buffer_bytes: Option<u64>,
    /// Acknowledgement level: none, leader or all.
    #[arg(long, default_value = "all", value_name = "ACKS")]
    pub acks: String,
    /// Open-loop target rate in messages per second over all producers; omit for closed loop.
    #[arg(long, value_name = "MSGS_PER_S")]
    pub rate: Option<f64>,
    /// Measured seconds.
    #[arg(long, default_value_t = 10.0, value_name = "S")]
    pub duration: f64,
    /// Warm-up seconds before the measured window (not counted).
    #[arg(long, default_value_t = 2.0, value_name = "S")]
    pub warmup: f64,
    /// CPUs to pin worker threads to, one executor each (e.g. 1 or 2-3).
    #[arg(long, value_name = "LIST")]
    pub cores: Option<String>,
    /// Seed for keys and sizes.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub seed: u64,
    /// Open-loop sweep: RATE,RATE,..., PCT%,PCT%,... (of a closed-loop peak measured first), or
    /// START:STOP:STEP.
    #[arg(long, value_name = "SPEC")]
    pub sweep: Option<String>,
    /// Write every figure, the config, git commit and machine as JSON.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write an HdrHistogram interval log (sweeps: one per rate, suffixed with the rate).
    #[arg(long, value_name = "FILE")]
    pub hdr: Option<PathBuf>,
    /// Write an SVG plot: latency spectrum and throughput over time. Sweeps write the latency
    /// vs throughput curve here and each point's plot beside it, suffixed with its rate.
    #[arg(long, value_name = "FILE")]
    pub plot: Option<PathBuf>,
    /// No per-second progress lines.
    #[arg(long)]
    pub quiet: bool,
}

impl Args {
    /// The run configuration these flags describe.
    pub fn run_config(&self) -> Result<RunConfig, ConfigError> {
        let seconds = |name: &str, s: f64| {
            if (0.0..=86_400.0).contains(&s) {
                Ok(Duration::from_secs_f64(s))
            } else {
                Err(ConfigError::Invalid(format!("{name} must be between 0 and 86400 seconds")))
            }
        };
        let linger = seconds("--linger-ms", self.linger_ms / 1e3)?;
        let config = RunConfig {
            broker: self.broker.clone(),
            topic: self.topic.clone(),
            partitions: self.partitions,
            flush: self.flush_policy.as_deref().map(parse_flush_policy).transpose()?,
            producers: self.producers,
            consumers: self.consumers,
            sizes: self.message_size.parse::<MessageSizes>()?,
            keys: self.keys.parse::<KeyDistribution>()?,
            batch: BatchLimits {
                messages_max: self.batch_messages.unwrap_or(u64::MAX),
                bytes_max: self.batch_bytes,
                linger_ns: linger.as_nanos() as u64,
            },
            max_in_flight: self.max_in_flight,
            buffer_bytes: self.buffer_bytes,
            acks: parse_acks(&self.acks)?,
            rate_per_s: self.rate,
            duration: seconds("--duration", self.duration)?,
            warmup: seconds("--warmup", self.warmup)?,
            cores: self.cores.as_deref().map(parse_cores).transpose()?.unwrap_or_default(),
            seed: self.seed,
            progress: !self.quiet,
        };
        config.validate()?;
        Ok(config)
    }

    /// The sweep, if one was asked for.
    pub fn sweep_spec(&self) -> Result<Option<SweepSpec>, ConfigError> {
        self.sweep.as_deref().map(str::parse).transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_defaults_when_building_the_config_should_be_a_valid_closed_loop_run() {
        let args = Args::parse_from(["sluice-loadgen"]);
        let config = args.run_config().unwrap();
        assert!(!config.is_open_loop());
        assert_eq!(config.producers, 1);
        assert_eq!(config.sizes, MessageSizes::Fixed(1024));
    }

    #[test]
    fn given_bad_flags_when_building_the_config_should_say_which() {
        let bad = |extra: &[&str]| {
            let mut argv = vec!["sluice-loadgen"];
            argv.extend_from_slice(extra);
            Args::parse_from(argv).run_config().unwrap_err().to_string()
        };
        assert!(bad(&["--producers", "0"]).contains("--producers"));
        assert!(bad(&["--rate", "0"]).contains("--rate"));
        assert!(bad(&["--keys", "hot"]).contains("--keys"));
        assert!(bad(&["--duration", "0"]).contains("--duration"));
    }
}
