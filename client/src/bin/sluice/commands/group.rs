//! `sluice group list|describe|reset-offsets`.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

use clap::{Args, Subcommand};
use sluice_client::blocking::{Admin, OffsetResetTarget};
use sluice_proto::message::{GroupState, TopicPartitions};

use crate::Failure;

/// `sluice group ...`.
#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// List consumer groups with their state and member count.
    List,
    /// Show a group's members and assignments, and per partition its committed offset, log
    /// end offset and lag.
    Describe {
        /// Group id.
        group: String,
    },
    /// Move a group's committed offsets of one topic (only while the group has no members).
    ResetOffsets(ResetArgs),
}

/// Arguments of `group reset-offsets`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["to_earliest", "to_latest", "to_offset"])))]
pub struct ResetArgs {
    /// Group id.
    group: String,
    /// The topic whose offsets move.
    #[arg(long)]
    topic: String,
    /// To each partition's log start offset.
    #[arg(long)]
    to_earliest: bool,
    /// To each partition's log end offset.
    #[arg(long)]
    to_latest: bool,
    /// To this offset on every partition.
    #[arg(long, value_parser = clap::value_parser!(i64).range(0..))]
    to_offset: Option<i64>,
}

fn state_name(state: GroupState) -> &'static str {
    match state {
        GroupState::Empty => "Empty",
        GroupState::Assigning => "Assigning",
        GroupState::Reconciling => "Reconciling",
        GroupState::Stable => "Stable",
        GroupState::Dead => "Dead",
    }
}

fn partitions_text(partitions: &[TopicPartitions]) -> String {
    if partitions.is_empty() {
        return "-".into();
    }
    partitions
        .iter()
        .map(|tp| {
            let list: Vec<String> = tp.partitions.iter().map(u32::to_string).collect();
            format!("{}:{}", tp.topic, list.join(","))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs a group command.
pub fn run(broker: &str, command: GroupCommand) -> Result<(), Failure> {
    let admin = Admin::connect(broker)?;
    let mut out = std::io::stdout().lock();
    match command {
        GroupCommand::List => {
            for group in admin.list_groups()? {
                writeln!(
                    out,
                    "{}\t{}\t{}",
                    group.group_id,
                    state_name(group.state),
                    group.member_count
                )?;
            }
            Ok(())
        }
        GroupCommand::Describe { group } => {
            let described = admin.describe_group(&group)?;
            writeln!(
                out,
                "group {} state {} epoch {} assignor {} members {}",
                described.group_id,
                state_name(described.state),
                described.group_epoch,
                described.assignor.as_deref().unwrap_or("-"),
                described.members.len()
            )?;
            let mut owners: BTreeMap<(String, u32), String> = BTreeMap::new();
            let mut topics: BTreeSet<String> = BTreeSet::new();
            for member in &described.members {
                writeln!(
                    out,
                    "member {} epoch {} topics {} owned {} target {}",
                    member.member_id,
                    member.member_epoch,
                    member.subscribed_topics.join(","),
                    partitions_text(&member.owned_partitions),
                    partitions_text(&member.target_assignment)
                )?;
                topics.extend(member.subscribed_topics.iter().cloned());
                for tp in &member.owned_partitions {
                    for p in &tp.partitions {
                        owners.insert((tp.topic.clone(), *p), member.member_id.clone());
                    }
                }
            }
            let committed: BTreeMap<(String, u32), i64> = described
                .committed_offsets
                .iter()
                .flat_map(|t| {
                    t.partitions.iter().map(move |p| ((t.name.clone(), p.partition), p.offset))
                })
                .collect();
            topics.extend(committed.keys().map(|(topic, _)| topic.clone()));
            writeln!(out, "topic\tpartition\tcommitted\tlog-end\tlag\towner")?;
            for topic in topics {
                // A subscribed topic that does not exist (yet) has no partitions to show.
                let Ok(description) = admin.describe_topic(&topic) else { continue };
                for partition in &description.partitions {
                    let key = (topic.clone(), partition.partition);
                    let offset = committed.get(&key).copied().filter(|o| *o >= 0);
                    let show = |v: Option<i64>| v.map_or("-".to_owned(), |v| v.to_string());
                    let lag = offset.map(|o| (partition.log_end_offset - o).max(0));
                    writeln!(
                        out,
                        "{}\t{}\t{}\t{}\t{}\t{}",
                        topic,
                        partition.partition,
                        show(offset),
                        partition.log_end_offset,
                        show(lag),
                        owners.get(&key).map_or("-", String::as_str)
                    )?;
                }
            }
            Ok(())
        }
        GroupCommand::ResetOffsets(args) => {
            let target = match (args.to_earliest, args.to_latest, args.to_offset) {
                (true, _, _) => OffsetResetTarget::Earliest,
                (_, true, _) => OffsetResetTarget::Latest,
                (_, _, Some(offset)) => OffsetResetTarget::Offset(offset),
                _ => {
                    return Err(Failure {
                        message: "one of --to-earliest, --to-latest, --to-offset is needed".into(),
                        code: 2,
                    })
                }
            };
            for (partition, offset) in
                admin.reset_group_offsets(&args.group, &args.topic, target)?
            {
                writeln!(out, "{}\t{}\t{}", args.topic, partition, offset)?;
            }
            Ok(())
        }
    }
}
