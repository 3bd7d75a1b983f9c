//! The `--config` TOML file: the same keys as the flags, all optional.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::ConfigError;

/// Keys a config file may set. Unknown keys are an error, so a typo is never silently ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)] // Each key is documented on the flag of the same name in `Args`.
pub struct FileConfig {
    pub listen: Option<SocketAddr>,
    pub shard_port_base: Option<u16>,
    pub metrics_listen: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
    pub shards: Option<usize>,
    pub cores: Option<String>,
    pub node_id: Option<u32>,
    pub default_partitions: Option<u32>,
    pub segment_bytes: Option<u64>,
    pub segment_ms: Option<u64>,
    pub retention_bytes: Option<i64>,
    pub retention_ms: Option<i64>,
    pub flush_policy: Option<String>,
    pub max_connections: Option<usize>,
    pub connection_inflight_bytes: Option<usize>,
    pub cache_bytes_per_shard: Option<u64>,
    pub shutdown_timeout_ms: Option<u64>,
}

impl FileConfig {
    /// Reads and parses a config file. Called once, before any executor starts, so plain
    /// blocking file I/O is fine here.
    pub fn read(path: &Path) -> Result<FileConfig, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| ConfigError::ReadFile { path: path.to_owned(), source })?;
        toml::from_str(&text)
            .map_err(|e| ConfigError::ParseFile { path: path.to_owned(), message: e.to_string() })
    }
}
