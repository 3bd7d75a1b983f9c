//! Broker configuration: command-line flags, `SLUICE_*` environment variables and an optional
//! TOML file, merged into one validated [`BrokerConfig`].
//!
//! Precedence, highest first: flag, environment variable, `--config` file, built-in default.
//! Every key of the file has the same name as its flag with `-` spelled `_`.

mod core_list;
mod file;
mod flush_policy_setting;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

use core_list::parse_core_list;
pub use file::FileConfig;
pub use flush_policy_setting::FlushPolicySetting;

/// Why the configuration could not be loaded. Each message names the offending key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The `--config` file could not be read.
    #[error("cannot read config file {path}: {source}")]
    ReadFile {
        /// The file named by `--config`.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The `--config` file is not valid TOML for our keys.
    #[error("invalid config file {path}: {message}")]
    ParseFile {
        /// The file named by `--config`.
        path: PathBuf,
        /// The TOML parser's explanation, with line and column.
        message: String,
    },
    /// A value is out of its allowed range.
    #[error("invalid value for {key}: {reason}")]
    Invalid {
        /// The key (flag name without dashes).
        key: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}

/// `sluice-broker`: a thread-per-core message broker.
///
/// With no arguments it starts a single-node broker on 127.0.0.1:9292 storing data in ./data,
/// with one shard per available core.
#[derive(Debug, Parser)]
#[command(name = "sluice-broker", version, about, long_about = None)]
pub struct Args {
    /// Client listen address, shared by every shard (SO_REUSEPORT). Port 0 picks a free port.
    /// [default: 127.0.0.1:9292]
    #[arg(long, env = "SLUICE_LISTEN", value_name = "ADDR")]
    pub listen: Option<SocketAddr>,

    /// First shard-direct port: shard N listens on this port + N on the listen host. 0 gives
    /// every shard a free port of its own. [default: 9300]
    #[arg(long, env = "SLUICE_SHARD_PORT_BASE", value_name = "PORT")]
    pub shard_port_base: Option<u16>,

    /// Prometheus metrics address (path /metrics). [default: 127.0.0.1:9293]
    #[arg(long, env = "SLUICE_METRICS_LISTEN", value_name = "ADDR")]
    pub metrics_listen: Option<SocketAddr>,

    /// Directory holding topics, partitions and broker metadata. [default: ./data]
    #[arg(long, env = "SLUICE_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Number of shards (one executor pinned per core). [default: the number of --cores, or
    /// of available cores]
    #[arg(long, env = "SLUICE_SHARDS", value_name = "N")]
    pub shards: Option<usize>,

    /// CPUs to pin the shards to, e.g. `1` or `0,2-3`: shard i runs on the i-th listed CPU
    /// (wrapping when there are more shards). Keep them off the cores that take the network's
    /// or the disk's interrupts when other work runs there. [default: the lowest online CPUs,
    /// in order]
    #[arg(long, env = "SLUICE_CORES", value_name = "LIST")]
    pub cores: Option<String>,

    /// TOML file with any of these options (same names, `_` for `-`).
    #[arg(long, env = "SLUICE_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// This broker's node id in the cluster. [default: 0]
    #[arg(long, env = "SLUICE_NODE_ID", value_name = "ID")]
    pub node_id: Option<u32>,

    /// Partitions of a topic created without an explicit count. [default: 1]
    #[arg(long, env = "SLUICE_DEFAULT_PARTITIONS", value_name = "N")]
    pub default_partitions: Option<u32>,

    /// Segment size at which the active segment rolls. [default: 134217728 (128 MiB)]
    #[arg(long, env = "SLUICE_SEGMENT_BYTES", value_name = "BYTES")]
    pub segment_bytes: Option<u64>,

    /// Segment age at which the active segment rolls. [default: 604800000 (7 days)]
    #[arg(long, env = "SLUICE_SEGMENT_MS", value_name = "MS")]
    pub segment_ms: Option<u64>,

    /// Per-partition size above which the oldest segments are deleted; -1 keeps all.
    /// [default: -1]
    #[arg(
        long,
        env = "SLUICE_RETENTION_BYTES",
        value_name = "BYTES",
        allow_negative_numbers = true
    )]
    pub retention_bytes: Option<i64>,

    /// Age above which closed segments are deleted; -1 keeps all. [default: 604800000 (7 days)]
    #[arg(long, env = "SLUICE_RETENTION_MS", value_name = "MS", allow_negative_numbers = true)]
    pub retention_ms: Option<i64>,

    /// Default flush policy: `always` (acknowledged = fdatasynced), `interval=MS`, or `never`.
    /// [default: always]
    #[arg(long, env = "SLUICE_FLUSH_POLICY", value_name = "POLICY")]
    pub flush_policy: Option<FlushPolicySetting>,

    /// Most client connections open at once (across all shards); more are refused.
    /// [default: 10000]
    #[arg(long, env = "SLUICE_MAX_CONNECTIONS", value_name = "N")]
    pub max_connections: Option<usize>,

    /// Bytes of requests one connection may have in flight before the broker stops reading
    /// its socket. [default: 67108864 (64 MiB)]
    #[arg(long, env = "SLUICE_CONNECTION_INFLIGHT_BYTES", value_name = "BYTES")]
    pub connection_inflight_bytes: Option<usize>,

    /// Bytes of recent batches each shard keeps in memory for tailing consumers.
    /// [default: 268435456 (256 MiB)]
    #[arg(long, env = "SLUICE_CACHE_BYTES_PER_SHARD", value_name = "BYTES")]
    pub cache_bytes_per_shard: Option<u64>,

    /// How long SIGINT/SIGTERM waits for in-flight requests before closing logs.
    /// [default: 10000]
    #[arg(long, env = "SLUICE_SHUTDOWN_TIMEOUT_MS", value_name = "MS")]
    pub shutdown_timeout_ms: Option<u64>,
}

/// Per-topic settings used when a create request leaves them unset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicDefaults {
    /// Partitions of a new topic.
    pub partitions: u32,
    /// Segment roll size.
    pub segment_bytes: u64,
    /// Segment roll age.
    pub segment_ms: u64,
    /// Retention by size per partition; `None` keeps everything.
    pub retention_bytes: Option<u64>,
    /// Retention by age; `None` keeps everything.
    pub retention_ms: Option<u64>,
    /// Flush policy.
    pub flush_policy: FlushPolicySetting,
}

/// The validated configuration the broker runs with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerConfig {
    /// Client address shared by all shards.
    pub listen: SocketAddr,
    /// First shard-direct port (0 = each shard picks a free port).
    pub shard_port_base: u16,
    /// Metrics endpoint address.
    pub metrics_listen: SocketAddr,
    /// Data directory.
    pub data_dir: PathBuf,
    /// Number of shards.
    pub shards: usize,
    /// CPUs the shards are pinned to, in shard order; `None` pins them to the lowest online
    /// CPUs.
    pub cores: Option<Vec<usize>>,
    /// Node id.
    pub node_id: u32,
    /// Defaults for new topics.
    pub topic_defaults: TopicDefaults,
    /// Connection limit across shards.
    pub max_connections: usize,
    /// In-flight request bytes per connection before reads pause.
    pub connection_inflight_bytes: usize,
    /// Batch cache size per shard.
    pub cache_bytes_per_shard: u64,
    /// Drain deadline on shutdown.
    pub shutdown_timeout: Duration,
}

/// Most shards a broker runs; far above any core count we target, it bounds per-shard tables.
pub const SHARDS_MAX: usize = 256;
/// Most partitions per topic.
pub const TOPIC_PARTITIONS_MAX: u32 = 10_000;
/// Smallest segment: a segment must hold at least one maximal batch.
pub const SEGMENT_BYTES_MIN: u64 = 1024 * 1024;

impl BrokerConfig {
    /// Merges flags/environment (already in `args`) over the config file over the defaults.
    pub fn load(args: Args) -> Result<BrokerConfig, ConfigError> {
        let file = match &args.config {
            Some(path) => FileConfig::read(path)?,
            None => FileConfig::default(),
        };
        Self::merge(args, file)
    }

    /// Merges without touching the file system (the file is already parsed).
    pub fn merge(args: Args, file: FileConfig) -> Result<BrokerConfig, ConfigError> {
        let cores = args
            .cores
            .or(file.cores)
            .map(|text| parse_core_list(&text).map_err(|reason| invalid("cores", reason)))
            .transpose()?;
        let shards_default = match &cores {
            Some(cores) => cores.len(),
            None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        };
        let shards = args.shards.or(file.shards).unwrap_or(shards_default);
        if shards == 0 || shards > SHARDS_MAX {
            return Err(invalid("shards", format!("must be 1..={SHARDS_MAX}, got {shards}")));
        }
        let partitions = args.default_partitions.or(file.default_partitions).unwrap_or(1);
        if partitions == 0 || partitions > TOPIC_PARTITIONS_MAX {
            return Err(invalid(
                "default_partitions",
                format!("must be 1..={TOPIC_PARTITIONS_MAX}, got {partitions}"),
            ));
        }
        let segment_bytes = args.segment_bytes.or(file.segment_bytes).unwrap_or(128 << 20);
        if segment_bytes < SEGMENT_BYTES_MIN {
            return Err(invalid(
                "segment_bytes",
                format!("must be at least {SEGMENT_BYTES_MIN}, got {segment_bytes}"),
            ));
        }
        let segment_ms = args.segment_ms.or(file.segment_ms).unwrap_or(7 * 24 * 3600 * 1000);
        if segment_ms == 0 {
            return Err(invalid("segment_ms", "must be positive".into()));
        }
        let retention_bytes = optional_limit(
            "retention_bytes",
            args.retention_bytes.or(file.retention_bytes).unwrap_or(-1),
        )?;
        let retention_ms = optional_limit(
            "retention_ms",
            args.retention_ms.or(file.retention_ms).unwrap_or(7 * 24 * 3600 * 1000),
        )?;
        let flush_policy = match (args.flush_policy, file.flush_policy) {
            (Some(policy), _) => policy,
            (None, Some(text)) => text.parse().map_err(|reason| invalid("flush_policy", reason))?,
            (None, None) => FlushPolicySetting::Always,
        };
        let max_connections = args.max_connections.or(file.max_connections).unwrap_or(10_000);
        if max_connections == 0 {
            return Err(invalid("max_connections", "must be positive".into()));
        }
        let connection_inflight_bytes =
            args.connection_inflight_bytes.or(file.connection_inflight_bytes).unwrap_or(64 << 20);
        if connection_inflight_bytes < sluice_proto::limits::FRAME_BYTES_MAX {
            return Err(invalid(
                "connection_inflight_bytes",
                format!(
                    "must be at least the maximum frame size ({}), got {connection_inflight_bytes}",
                    sluice_proto::limits::FRAME_BYTES_MAX
                ),
            ));
        }
        Ok(BrokerConfig {
            listen: args.listen.or(file.listen).unwrap_or(([127, 0, 0, 1], 9292).into()),
            shard_port_base: args.shard_port_base.or(file.shard_port_base).unwrap_or(9300),
            metrics_listen: args
                .metrics_listen
                .or(file.metrics_listen)
                .unwrap_or(([127, 0, 0, 1], 9293).into()),
            data_dir: args.data_dir.or(file.data_dir).unwrap_or_else(|| "data".into()),
            shards,
            cores,
            node_id: args.node_id.or(file.node_id).unwrap_or(0),
            topic_defaults: TopicDefaults {
                partitions,
                segment_bytes,
                segment_ms,
                retention_bytes,
                retention_ms,
                flush_policy,
            },
            max_connections,
            connection_inflight_bytes,
            cache_bytes_per_shard: args
                .cache_bytes_per_shard
                .or(file.cache_bytes_per_shard)
                .unwrap_or(256 << 20),
            shutdown_timeout: Duration::from_millis(
                args.shutdown_timeout_ms.or(file.shutdown_timeout_ms).unwrap_or(10_000),
            ),
        })
    }
}

fn optional_limit(key: &'static str, value: i64) -> Result<Option<u64>, ConfigError> {
    match value {
        -1 => Ok(None),
        v if v > 0 => Ok(Some(v as u64)),
        v => Err(invalid(key, format!("must be positive or -1 (unlimited), got {v}"))),
    }
}

fn invalid(key: &'static str, reason: String) -> ConfigError {
    ConfigError::Invalid { key, reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Args {
        let mut full = vec!["sluice-broker"];
        full.extend_from_slice(list);
        Args::try_parse_from(full).expect("valid flags")
    }

    #[test]
    fn given_no_arguments_should_use_documented_defaults() {
        let config = BrokerConfig::merge(args(&[]), FileConfig::default()).unwrap();
        assert_eq!(config.listen, "127.0.0.1:9292".parse::<SocketAddr>().unwrap());
        assert_eq!(config.metrics_listen, "127.0.0.1:9293".parse::<SocketAddr>().unwrap());
        assert_eq!(config.data_dir, PathBuf::from("data"));
        assert!(config.shards >= 1);
        assert_eq!(config.topic_defaults.flush_policy, FlushPolicySetting::Always);
        assert_eq!(config.topic_defaults.retention_bytes, None);
    }

    #[test]
    fn given_flag_and_file_should_prefer_flag() {
        let file: FileConfig = toml::from_str("shards = 3\nnode_id = 7\nflush_policy = \"never\"")
            .expect("valid toml");
        let config = BrokerConfig::merge(args(&["--shards", "2"]), file).unwrap();
        assert_eq!(config.shards, 2);
        assert_eq!(config.node_id, 7);
        assert_eq!(config.topic_defaults.flush_policy, FlushPolicySetting::Never);
    }

    #[test]
    fn given_cores_should_run_one_shard_per_listed_core_unless_shards_says_otherwise() {
        let config = BrokerConfig::merge(args(&["--cores", "1,3"]), FileConfig::default()).unwrap();
        assert_eq!(config.cores, Some(vec![1, 3]));
        assert_eq!(config.shards, 2);
        let file: FileConfig = toml::from_str("cores = \"2-4\"").expect("valid toml");
        let config = BrokerConfig::merge(args(&["--shards", "1"]), file).unwrap();
        assert_eq!((config.cores, config.shards), (Some(vec![2, 3, 4]), 1));
        let err =
            BrokerConfig::merge(args(&["--cores", "1,1"]), FileConfig::default()).unwrap_err();
        assert!(err.to_string().contains("cores"), "{err}");
    }

    #[test]
    fn given_zero_shards_should_name_the_key() {
        let err = BrokerConfig::merge(args(&["--shards", "0"]), FileConfig::default()).unwrap_err();
        assert!(err.to_string().contains("shards"), "{err}");
    }

    #[test]
    fn given_bad_retention_should_reject() {
        let err = BrokerConfig::merge(args(&["--retention-ms", "-5"]), FileConfig::default())
            .unwrap_err();
        assert!(err.to_string().contains("retention_ms"), "{err}");
    }

    #[test]
    fn given_unknown_file_key_should_reject() {
        let err = toml::from_str::<FileConfig>("shard = 3").unwrap_err();
        assert!(err.to_string().contains("shard"), "{err}");
    }
}
