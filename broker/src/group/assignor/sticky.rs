//! The sticky assignor: every member keeps what it owns in the current assignment as long as
//! it is still subscribed and balance allows; partitions without an owner go to the least
//! loaded subscriber; then partitions move one at a time from the most loaded member to a less
//! loaded subscriber until no move can narrow the gap.
//!
//! When every member subscribes to the same topics this ends with counts within one of each
//! other and moves the minimum number of partitions (both property-tested below). With mixed
//! subscriptions it ends where no single move improves the balance.

use std::collections::{BTreeMap, BTreeSet};

use super::{Assignment, AssignmentSpec, TopicPartition};

/// Computes the sticky assignment.
pub fn assign(spec: &AssignmentSpec<'_>) -> Assignment {
    let all = spec.subscribed_partitions();
    let mut assignment: Assignment =
        spec.subscriptions.keys().map(|member| (member.clone(), BTreeSet::new())).collect();
    let mut subscribers: BTreeMap<&str, Vec<&String>> = BTreeMap::new();
    for (member, topics) in spec.subscriptions {
        for topic in topics {
            subscribers.entry(topic.as_str()).or_default().push(member);
        }
    }

    // Keep: a partition stays with its current owner if the owner is still a subscriber.
    let mut owned = BTreeSet::new();
    for (member, partitions) in spec.current {
        let Some(topics) = spec.subscriptions.get(member) else { continue };
        for tp in partitions {
            if topics.contains(&tp.topic) && all.contains(tp) && owned.insert(tp.clone()) {
                assignment.get_mut(member).expect("member has an entry").insert(tp.clone());
            }
        }
    }

    // Place the partitions nobody kept on the least loaded subscriber.
    for tp in all.iter().filter(|tp| !owned.contains(*tp)) {
        let member = least_loaded(&assignment, &subscribers[tp.topic.as_str()])
            .expect("a subscribed partition has a subscriber")
            .clone();
        assignment.get_mut(&member).expect("member has an entry").insert(tp.clone());
    }

    // Balance: each move takes from a member more than one above the receiver, so the sum of
    // squared counts strictly falls and the loop ends; the bound is a backstop.
    let moves_max = all.len() * spec.subscriptions.len() + 1;
    for _ in 0..moves_max {
        let Some((from, tp, to)) = find_move(&assignment, &subscribers) else {
            return assignment;
        };
        assignment.get_mut(&from).expect("member has an entry").remove(&tp);
        assignment.get_mut(&to).expect("member has an entry").insert(tp);
    }
    panic!("sticky assignor did not converge within {moves_max} moves");
}

fn least_loaded<'m>(assignment: &Assignment, candidates: &[&'m String]) -> Option<&'m String> {
    candidates.iter().copied().min_by_key(|member| (assignment[*member].len(), *member))
}

/// The first move (from the most loaded members down) that narrows a gap of two or more.
fn find_move(
    assignment: &Assignment,
    subscribers: &BTreeMap<&str, Vec<&String>>,
) -> Option<(String, TopicPartition, String)> {
    let mut by_load: Vec<(&String, usize)> =
        assignment.iter().map(|(member, parts)| (member, parts.len())).collect();
    by_load.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    for (from, load) in by_load {
        if load < 2 {
            return None;
        }
        // Give away the highest partitions first: deterministic, keeps low ones stable.
        for tp in assignment[from].iter().rev() {
            let to = least_loaded(assignment, &subscribers[tp.topic.as_str()])
                .expect("an owned partition has a subscriber");
            if assignment[to].len() + 1 < load {
                return Some((from.clone(), tp.clone(), to.clone()));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::group::assignor::is_valid;

    fn subscriptions(members: &[(&str, &[&str])]) -> BTreeMap<String, BTreeSet<String>> {
        members
            .iter()
            .map(|(m, topics)| (m.to_string(), topics.iter().map(|t| t.to_string()).collect()))
            .collect()
    }

    fn moved(before: &Assignment, after: &Assignment) -> usize {
        before
            .iter()
            .flat_map(|(member, parts)| parts.iter().map(move |tp| (member, tp)))
            .filter(|(member, tp)| after.get(*member).is_some_and(|now| !now.contains(*tp)))
            .count()
    }

    #[test]
    fn given_three_members_on_six_partitions_when_a_fourth_joins_should_move_only_one_each_from_two(
    ) {
        let counts = BTreeMap::from([("t".to_string(), 6)]);
        let three = subscriptions(&[("a", &["t"]), ("b", &["t"]), ("c", &["t"])]);
        let empty = Assignment::new();
        let first = assign(&AssignmentSpec {
            subscriptions: &three,
            partition_counts: &counts,
            current: &empty,
        });
        assert!(first.values().all(|parts| parts.len() == 2));
        let four = subscriptions(&[("a", &["t"]), ("b", &["t"]), ("c", &["t"]), ("d", &["t"])]);
        let second = assign(&AssignmentSpec {
            subscriptions: &four,
            partition_counts: &counts,
            current: &first,
        });
        assert_eq!(moved(&first, &second), 1);
        assert_eq!(second["d"].len(), 1);
    }

    /// The fewest moves any balanced assignment needs, for uniform subscriptions: the members
    /// that keep the most get the `extra` larger quotas.
    fn minimal_moves(kept: &mut [usize], partitions: usize) -> usize {
        let members = kept.len();
        let (base, extra) = (partitions / members, partitions % members);
        kept.sort_unstable_by(|a, b| b.cmp(a));
        kept.iter().enumerate().map(|(i, &k)| k.saturating_sub(base + usize::from(i < extra))).sum()
    }

    #[derive(Debug, Clone)]
    enum Change {
        Join,
        Leave(usize),
        Resize(u32),
    }

    fn change() -> impl Strategy<Value = Change> {
        prop_oneof![
            3 => Just(Change::Join),
            2 => (0usize..16).prop_map(Change::Leave),
            1 => (1u32..24).prop_map(Change::Resize),
        ]
    }

    proptest! {
        #[test]
        fn given_uniform_subscriptions_when_membership_changes_should_stay_balanced_and_move_the_minimum(
            changes in proptest::collection::vec(change(), 1..40),
            topics in 1usize..4,
        ) {
            let names: Vec<String> = (0..topics).map(|t| format!("t{t}")).collect();
            let mut counts: BTreeMap<String, u32> =
                names.iter().map(|n| (n.clone(), 3)).collect();
            let mut subs: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
            let mut current = Assignment::new();
            let mut next_member = 0;
            for change in changes {
                match change {
                    Change::Join => {
                        subs.insert(format!("m{next_member:02}"), names.iter().cloned().collect());
                        next_member += 1;
                    }
                    Change::Leave(i) => {
                        if let Some(member) = subs.keys().nth(i % subs.len().max(1)).cloned() {
                            subs.remove(&member);
                        }
                    }
                    Change::Resize(n) => {
                        counts.insert(names[0].clone(), n);
                    }
                }
                let spec = AssignmentSpec { subscriptions: &subs, partition_counts: &counts, current: &current };
                let next = assign(&spec);
                prop_assert!(is_valid(&spec, &next));
                prop_assert_eq!(&next, &assign(&spec), "deterministic");
                if subs.is_empty() {
                    current = next;
                    continue;
                }
                let loads: Vec<usize> = next.values().map(BTreeSet::len).collect();
                let (min, max) = (loads.iter().min().unwrap(), loads.iter().max().unwrap());
                prop_assert!(max - min <= 1, "balanced within one: {:?}", loads);
                let all = spec.subscribed_partitions();
                let mut kept: Vec<usize> = subs
                    .keys()
                    .map(|m| current.get(m).map_or(0, |p| p.iter().filter(|tp| all.contains(*tp)).count()))
                    .collect();
                let valid_before: Assignment = current
                    .iter()
                    .filter(|(m, _)| subs.contains_key(*m))
                    .map(|(m, p)| (m.clone(), p.iter().filter(|tp| all.contains(*tp)).cloned().collect()))
                    .collect();
                prop_assert_eq!(moved(&valid_before, &next), minimal_moves(&mut kept, all.len()));
                current = next;
            }
        }

        #[test]
        fn given_mixed_subscriptions_when_assigning_should_be_valid_and_leave_no_improving_move(
            members in proptest::collection::vec(proptest::collection::btree_set(0usize..3, 1..=3), 1..8),
            counts in proptest::collection::vec(1u32..10, 3),
            seed_rounds in 1usize..4,
        ) {
            let partition_counts: BTreeMap<String, u32> =
                counts.iter().enumerate().map(|(i, c)| (format!("t{i}"), *c)).collect();
            let mut current = Assignment::new();
            for round in 0..seed_rounds {
                let subs: BTreeMap<String, BTreeSet<String>> = members
                    .iter()
                    .enumerate()
                    .skip(round % members.len())
                    .map(|(i, topics)| (format!("m{i}"), topics.iter().map(|t| format!("t{t}")).collect()))
                    .collect();
                let spec = AssignmentSpec { subscriptions: &subs, partition_counts: &partition_counts, current: &current };
                let next = assign(&spec);
                prop_assert!(is_valid(&spec, &next));
                let mut subscribers: BTreeMap<&str, Vec<&String>> = BTreeMap::new();
                for (member, topics) in &subs {
                    for topic in topics {
                        subscribers.entry(topic.as_str()).or_default().push(member);
                    }
                }
                prop_assert!(find_move(&next, &subscribers).is_none());
                current = next;
            }
        }
    }
}
