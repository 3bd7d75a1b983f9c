//! The range assignor: for each topic, its subscribers in member-id order each take a
//! contiguous run of partitions; the first `partitions % subscribers` take one extra.
//!
//! It ignores the current assignment, so membership changes can move many partitions; it
//! exists for applications that want co-partitioned topics to line up member by member.

use std::collections::BTreeSet;

use super::{Assignment, AssignmentSpec, TopicPartition};

/// Computes the range assignment.
pub fn assign(spec: &AssignmentSpec<'_>) -> Assignment {
    let mut assignment: Assignment =
        spec.subscriptions.keys().map(|member| (member.clone(), BTreeSet::new())).collect();
    let topics: BTreeSet<&String> = spec.subscriptions.values().flatten().collect();
    for topic in topics {
        let Some(&count) = spec.partition_counts.get(topic) else { continue };
        let subscribers: Vec<&String> = spec
            .subscriptions
            .iter()
            .filter(|(_, topics)| topics.contains(topic))
            .map(|(member, _)| member)
            .collect();
        let members = subscribers.len() as u32;
        let (per_member, extra) = (count / members, count % members);
        let mut next = 0u32;
        for (index, member) in subscribers.into_iter().enumerate() {
            let take = per_member + u32::from((index as u32) < extra);
            let owned = assignment.get_mut(member).expect("every member has an entry");
            owned.extend((next..next + take).map(|p| TopicPartition::new(topic.clone(), p)));
            next += take;
        }
        assert_eq!(next, count, "range assignment must cover every partition");
    }
    assignment
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn given_seven_partitions_and_three_members_when_assigning_should_give_3_2_2_in_ranges() {
        let subscriptions: BTreeMap<String, BTreeSet<String>> = ["a", "b", "c"]
            .iter()
            .map(|m| (m.to_string(), BTreeSet::from(["t".to_string()])))
            .collect();
        let counts = BTreeMap::from([("t".to_string(), 7)]);
        let current = Assignment::new();
        let spec = AssignmentSpec {
            subscriptions: &subscriptions,
            partition_counts: &counts,
            current: &current,
        };
        let out = assign(&spec);
        let parts = |m: &str| out[m].iter().map(|tp| tp.partition).collect::<Vec<_>>();
        assert_eq!(parts("a"), vec![0, 1, 2]);
        assert_eq!(parts("b"), vec![3, 4]);
        assert_eq!(parts("c"), vec![5, 6]);
    }
}
