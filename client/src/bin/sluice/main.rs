//! `sluice`: the Sluice command-line tool. Manage topics, produce lines from stdin, consume
//! records to stdout.
//!
//! Exit codes: 0 success; 1 any other error; 2 bad command line; 3 the topic or partition does
//! not exist; 4 the broker could not be reached or did not answer in time; 5 some records
//! could not be produced.

mod commands;
mod json;
mod signals;

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use sluice_client::ClientError;

/// Exit code for an error not covered by a more specific one.
const EXIT_ERROR: u8 = 1;
/// Exit code when the topic or partition does not exist.
const EXIT_NOT_FOUND: u8 = 3;
/// Exit code when the broker cannot be reached.
const EXIT_UNREACHABLE: u8 = 4;
/// Exit code when some records could not be produced.
const EXIT_PRODUCE_FAILED: u8 = 5;

#[derive(Debug, Parser)]
#[command(name = "sluice", version, about = "Sluice command-line client")]
#[command(after_help = "Exit codes: 0 success, 1 error, 2 bad usage, 3 topic or partition not \
found, 4 broker unreachable, 5 some records not produced.")]
struct Cli {
    /// Broker address.
    #[arg(long, global = true, env = "SLUICE_BROKER", default_value = sluice_client::config::DEFAULT_BROKER)]
    broker: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create, delete, list and describe topics.
    #[command(subcommand)]
    Topic(TopicCommand),
    /// Produce records read from stdin, one per line.
    Produce(ProduceArgs),
    /// Print records to stdout, one per line.
    Consume(ConsumeArgs),
    /// List and describe consumer groups, reset their offsets.
    #[command(subcommand)]
    Group(commands::group::GroupCommand),
}

#[derive(Debug, Subcommand)]
enum TopicCommand {
    /// Create a topic.
    Create(CreateArgs),
    /// Delete a topic and its data.
    Delete {
        /// Topic name.
        name: String,
    },
    /// List topics with their partition counts.
    List,
    /// Show a topic's configuration and per-partition shard and offsets.
    Describe {
        /// Topic name.
        name: String,
    },
}

#[derive(Debug, Args)]
struct CreateArgs {
    /// Topic name.
    name: String,
    /// Number of partitions (broker default if unset).
    #[arg(long)]
    partitions: Option<u32>,
    /// Delete old segments while a partition holds more than this; -1 = unlimited.
    #[arg(long, allow_negative_numbers = true)]
    retention_bytes: Option<i64>,
    /// Delete segments older than this; -1 = forever.
    #[arg(long, allow_negative_numbers = true)]
    retention_ms: Option<i64>,
    /// When appends reach the disk: `always`, `interval=MS` or `never`.
    #[arg(long, value_parser = commands::topic::parse_flush_policy)]
    flush_policy: Option<commands::topic::FlushSetting>,
}

#[derive(Debug, Args)]
struct ProduceArgs {
    /// Topic name.
    topic: String,
    /// Split each line at the first occurrence of this character into key and value.
    #[arg(long)]
    key_separator: Option<char>,
    /// Send every record to this partition.
    #[arg(long)]
    partition: Option<u32>,
    /// Print the partition and offset of each record.
    #[arg(short, long)]
    verbose: bool,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("start").multiple(false))]
struct ConsumeArgs {
    /// Topic name.
    topic: String,
    /// Start at the oldest record kept (default: only new records).
    #[arg(long, group = "start")]
    from_beginning: bool,
    /// Start at this offset (in every partition read).
    #[arg(long, group = "start")]
    offset: Option<i64>,
    /// Start at the first record with a timestamp at or after this (ms since the Unix epoch).
    #[arg(long, group = "start")]
    from_timestamp: Option<u64>,
    /// Read only this partition.
    #[arg(long)]
    partition: Option<u32>,
    /// Exit after this many records.
    #[arg(long)]
    count: Option<u64>,
    /// Consume as a member of this consumer group: the broker assigns the partitions, positions
    /// are committed (on an interval and on exit), and a group with no committed offset starts
    /// at the newest records, or the oldest with --from-beginning. Ctrl-C commits and leaves.
    #[arg(long, conflicts_with_all = ["partition", "offset", "from_timestamp"])]
    group: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Value)]
    format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// The value bytes, then a newline.
    Value,
    /// One JSON object per record.
    Json,
}

/// A command's failure: what to print and how to exit.
#[derive(Debug)]
struct Failure {
    message: String,
    code: u8,
}

impl From<ClientError> for Failure {
    fn from(error: ClientError) -> Self {
        let code = match &error {
            ClientError::UnknownTopic(_) | ClientError::UnknownPartition { .. } => EXIT_NOT_FOUND,
            ClientError::Connection { .. } | ClientError::Timeout { .. } => EXIT_UNREACHABLE,
            ClientError::DeliveryFailed { last_error, .. } => match **last_error {
                ClientError::Connection { .. } | ClientError::Timeout { .. } => EXIT_UNREACHABLE,
                _ => EXIT_PRODUCE_FAILED,
            },
            _ => EXIT_ERROR,
        };
        Failure { message: error.to_string(), code }
    }
}

impl From<std::io::Error> for Failure {
    fn from(error: std::io::Error) -> Self {
        Failure { message: error.to_string(), code: EXIT_ERROR }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Topic(command) => commands::topic::run(&cli.broker, command),
        Command::Produce(args) => commands::produce::run(&cli.broker, args),
        Command::Consume(args) => commands::consume::run(&cli.broker, args),
        Command::Group(command) => commands::group::run(&cli.broker, command),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("error: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}
