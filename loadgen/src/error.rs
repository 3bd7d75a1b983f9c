//! Errors a user of the load generator can cause: bad flags, an unreachable or refusing broker,
//! an unwritable output file.

use std::io;
use std::path::PathBuf;

use sluice_client::ClientError;

/// A flag value that does not parse or is out of range.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// `--message-size` is not `B` or `MIN-MAX` within the allowed range.
    #[error("--message-size {0:?}: expected BYTES or MIN-MAX, each from 16 to 1048576")]
    MessageSize(String),
    /// `--keys` is not `none`, `uniform:K` or `zipf:K:S`.
    #[error("--keys {0:?}: expected none, uniform:K or zipf:K:S (1 <= K <= 10000000, S > 0)")]
    Keys(String),
    /// `--acks` is not `none`, `leader` or `all`.
    #[error("--acks {0:?}: expected none, leader or all")]
    Acks(String),
    /// `--flush-policy` is not `always`, `never` or `interval=MS`.
    #[error("--flush-policy {0:?}: expected always, never or interval=MS")]
    FlushPolicy(String),
    /// `--cores` is not a list of CPU numbers and ranges.
    #[error("--cores {0:?}: expected a list like 1 or 0,2-3")]
    Cores(String),
    /// `--sweep` is not a list of rates, percentages of peak, or START:STOP:STEP.
    #[error("--sweep {0:?}: expected RATE,RATE,..., PCT%,PCT%,... or START:STOP:STEP")]
    Sweep(String),
    /// Any other inconsistent combination of flags.
    #[error("{0}")]
    Invalid(String),
}

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub enum LoadgenError {
    /// A flag was wrong.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Setting up the topic failed: the broker is unreachable or refused.
    #[error("{what}: {source}")]
    Client {
        /// What was being done.
        what: String,
        /// What the SDK reported.
        source: ClientError,
    },
    /// A topic created for the run did not appear in time.
    #[error("topic {0} was created but did not appear in time")]
    TopicNotReady(String),
    /// A worker thread could not start or died.
    #[error("worker: {0}")]
    Worker(String),
    /// An output file could not be written.
    #[error("cannot write {path}: {source}")]
    Output {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: io::Error,
    },
}
