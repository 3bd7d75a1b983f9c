//! Server-side partition assignors: given the members' subscriptions, the topics' partition
//! counts and the current assignment, compute the target assignment.
//!
//! Assignors are pure functions over ordered maps, so the same input always yields the same
//! output on every broker (determinism is property-tested).

pub mod range;
pub mod sticky;

use std::collections::{BTreeMap, BTreeSet};

use sluice_proto::message::{TopicPartitions, ASSIGNOR_RANGE, ASSIGNOR_STICKY};

/// One partition of one topic.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TopicPartition {
    /// Topic name.
    pub topic: String,
    /// Partition index.
    pub partition: u32,
}

impl TopicPartition {
    /// A partition of `topic`.
    pub fn new(topic: impl Into<String>, partition: u32) -> Self {
        Self { topic: topic.into(), partition }
    }
}

/// Partitions per member id.
pub type Assignment = BTreeMap<String, BTreeSet<TopicPartition>>;

/// What an assignor works from.
#[derive(Debug, Clone, Copy)]
pub struct AssignmentSpec<'a> {
    /// Each member's subscribed topics.
    pub subscriptions: &'a BTreeMap<String, BTreeSet<String>>,
    /// Partition count of every subscribed topic that exists (absent topics get nothing).
    pub partition_counts: &'a BTreeMap<String, u32>,
    /// The assignment in force before this computation (the previous target).
    pub current: &'a Assignment,
}

impl AssignmentSpec<'_> {
    /// Every partition some member subscribes to, in order.
    pub fn subscribed_partitions(&self) -> BTreeSet<TopicPartition> {
        let topics: BTreeSet<&String> = self.subscriptions.values().flatten().collect();
        topics
            .into_iter()
            .filter_map(|topic| self.partition_counts.get(topic).map(|count| (topic, *count)))
            .flat_map(|(topic, count)| (0..count).map(move |p| TopicPartition::new(topic, p)))
            .collect()
    }
}

/// The assignors a group can select.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AssignorKind {
    /// Keeps existing ownership, moves the fewest partitions, balances counts within one.
    #[default]
    Sticky,
    /// Contiguous partition ranges per member, topic by topic (Kafka's range assignor).
    Range,
}

impl AssignorKind {
    /// The assignor called `name` on the wire, if there is one.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            ASSIGNOR_STICKY => Some(Self::Sticky),
            ASSIGNOR_RANGE => Some(Self::Range),
            _ => None,
        }
    }

    /// Its wire name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sticky => ASSIGNOR_STICKY,
            Self::Range => ASSIGNOR_RANGE,
        }
    }

    /// Computes the target assignment. Every member of `spec` gets an entry (maybe empty).
    pub fn assign(self, spec: &AssignmentSpec<'_>) -> Assignment {
        let assignment = match self {
            Self::Sticky => sticky::assign(spec),
            Self::Range => range::assign(spec),
        };
        debug_assert!(is_valid(spec, &assignment));
        assignment
    }
}

/// Whether `assignment` gives every subscribed partition to exactly one member subscribed to
/// its topic, and nothing else.
pub fn is_valid(spec: &AssignmentSpec<'_>, assignment: &Assignment) -> bool {
    let mut seen = BTreeSet::new();
    for (member, partitions) in assignment {
        let Some(topics) = spec.subscriptions.get(member) else { return false };
        for tp in partitions {
            if !topics.contains(&tp.topic) || !seen.insert(tp.clone()) {
                return false;
            }
        }
    }
    seen == spec.subscribed_partitions() && assignment.len() == spec.subscriptions.len()
}

/// Groups a set of partitions by topic, in the wire form.
pub fn to_wire(partitions: &BTreeSet<TopicPartition>) -> Vec<TopicPartitions> {
    let mut out: Vec<TopicPartitions> = Vec::new();
    for tp in partitions {
        match out.last_mut() {
            Some(last) if last.topic == tp.topic => last.partitions.push(tp.partition),
            _ => out
                .push(TopicPartitions { topic: tp.topic.clone(), partitions: vec![tp.partition] }),
        }
    }
    out
}

/// The set of partitions in a wire list (duplicates collapse).
pub fn from_wire(partitions: &[TopicPartitions]) -> BTreeSet<TopicPartition> {
    partitions
        .iter()
        .flat_map(|tp| tp.partitions.iter().map(|p| TopicPartition::new(tp.topic.clone(), *p)))
        .collect()
}
