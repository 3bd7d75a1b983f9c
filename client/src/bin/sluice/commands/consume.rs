//! `sluice consume TOPIC`: records to stdout, one per line.

use std::io::{ErrorKind, Write};
use std::time::Duration;

use sluice_client::blocking::{Admin, Consumer, GroupConfig, GroupConsumer};
use sluice_client::{
    ClientError, ConsumerConfig, ConsumerRecord, OffsetReset, SeekTarget, TopicPartition,
};

use crate::{json, signals, ConsumeArgs, Failure, Format};

/// How long one poll waits: also how quickly a signal is noticed.
const POLL_TIMEOUT: Duration = Duration::from_millis(500);

pub fn run(broker: &str, args: ConsumeArgs) -> Result<(), Failure> {
    signals::install();
    if let Some(group) = args.group.clone() {
        return run_in_group(broker, &group, args);
    }
    let count = Admin::connect(broker)?.partition_count(&args.topic)?;
    let partitions: Vec<u32> = match args.partition {
        Some(partition) if partition >= count => {
            return Err(ClientError::UnknownPartition { topic: args.topic, partition }.into());
        }
        Some(partition) => vec![partition],
        None => (0..count).collect(),
    };
    let mut consumer = Consumer::connect(broker, ConsumerConfig::default())?;
    let assignment: Vec<TopicPartition> =
        partitions.iter().map(|p| TopicPartition::new(args.topic.as_str(), *p)).collect();
    consumer.assign(assignment.clone());
    let target = if args.from_beginning {
        SeekTarget::Earliest
    } else if let Some(offset) = args.offset {
        SeekTarget::Offset(offset)
    } else if let Some(ms) = args.from_timestamp {
        SeekTarget::Timestamp(ms)
    } else {
        SeekTarget::Latest
    };
    for partition in &assignment {
        consumer.seek(partition, target)?;
    }
    print_records(&args, || consumer.poll(POLL_TIMEOUT).map_err(Failure::from))
}

/// Consumes as a group member, then commits and leaves on exit (count reached or a signal).
fn run_in_group(broker: &str, group: &str, args: ConsumeArgs) -> Result<(), Failure> {
    let consumer_config = ConsumerConfig {
        offset_reset: if args.from_beginning { OffsetReset::Earliest } else { OffsetReset::Latest },
        ..ConsumerConfig::default()
    };
    let mut consumer = GroupConsumer::subscribe(
        broker,
        group,
        &[args.topic.as_str()],
        consumer_config,
        GroupConfig::default(),
    )?;
    let printed = print_records(&args, || consumer.poll(POLL_TIMEOUT).map_err(Failure::from));
    // Commit what was printed and leave, even when printing stopped on an error.
    let closed = consumer.close().map_err(Failure::from);
    printed.and(closed)
}

/// Prints records from `poll` until `--count` is reached or a signal asks to stop.
fn print_records(
    args: &ConsumeArgs,
    mut poll: impl FnMut() -> Result<Vec<ConsumerRecord>, Failure>,
) -> Result<(), Failure> {
    let mut out = std::io::BufWriter::with_capacity(256 * 1024, std::io::stdout().lock());
    let mut printed: u64 = 0;
    let limit = args.count.unwrap_or(u64::MAX);
    while printed < limit && !signals::stop_requested() {
        for record in poll()? {
            if printed >= limit {
                break;
            }
            let written = match args.format {
                Format::Value => out
                    .write_all(record.value.as_deref().unwrap_or_default())
                    .and_then(|()| out.write_all(b"\n")),
                Format::Json => writeln!(out, "{}", json::record_line(&record)),
            };
            if let Err(error) = written {
                return quiet_on_broken_pipe(error);
            }
            printed += 1;
        }
        if let Err(error) = out.flush() {
            return quiet_on_broken_pipe(error);
        }
    }
    Ok(())
}

/// A reader that went away (`sluice consume ... | head`) is a normal end, not an error.
fn quiet_on_broken_pipe(error: std::io::Error) -> Result<(), Failure> {
    if error.kind() == ErrorKind::BrokenPipe {
        Ok(())
    } else {
        Err(error.into())
    }
}
