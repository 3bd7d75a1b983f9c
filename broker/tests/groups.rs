//! Consumer groups against the real broker binary: assignment, failover on session timeout,
//! incremental rebalance, fencing and durable committed offsets. The consumers here speak the
//! group APIs directly (no SDK) and process every assignment change the way a client must:
//! commit what it gives up, then report it released.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use sluice_proto::message::*;
use sluice_proto::ErrorCode;
use support::*;

const TOPIC: &str = "orders";
const SESSION_MS: u32 = 1000;

struct Consumer {
    client: TestClient,
    group: String,
    member_id: String,
    epoch: i32,
    first_epoch: i32,
    owned: BTreeSet<u32>,
    positions: BTreeMap<u32, i64>,
    /// Every (partition, offset) this consumer processed, in order.
    consumed: Vec<(u32, i64)>,
    /// The last offset committed per partition.
    committed: BTreeMap<u32, i64>,
}

impl Consumer {
    fn join(broker: &TestBroker, group: &str) -> Consumer {
        let mut client = broker.client();
        let request = JoinGroupRequest {
            group_id: group.into(),
            subscribed_topics: vec![TOPIC.into()],
            session_timeout_ms: SESSION_MS,
            rebalance_timeout_ms: 5000,
            ..Default::default()
        };
        let reply = match client.call(request) {
            ResponseBody::JoinGroup(r) => r,
            other => panic!("unexpected {other:?}"),
        };
        assert_eq!(reply.error_code, ErrorCode::None);
        let mut consumer = Consumer {
            client,
            group: group.into(),
            member_id: reply.member_id.clone(),
            epoch: reply.member_epoch,
            first_epoch: reply.member_epoch,
            owned: BTreeSet::new(),
            positions: BTreeMap::new(),
            consumed: Vec::new(),
            committed: BTreeMap::new(),
        };
        consumer.apply(reply);
        consumer
    }

    fn owned_wire(&self) -> Vec<TopicPartitions> {
        vec![TopicPartitions {
            topic: TOPIC.into(),
            partitions: self.owned.iter().copied().collect(),
        }]
    }

    fn heartbeat(&mut self) {
        let request = HeartbeatRequest {
            group_id: self.group.clone(),
            member_id: self.member_id.clone(),
            member_epoch: self.epoch,
            subscribed_topics: None,
            owned_partitions: Some(self.owned_wire()),
        };
        let reply = match self.client.call(request) {
            ResponseBody::Heartbeat(r) => r,
            other => panic!("unexpected {other:?}"),
        };
        assert_eq!(reply.error_code, ErrorCode::None, "heartbeat of {}", self.member_id);
        self.apply(reply);
    }

    /// Revoked partitions: commit, then forget. Added ones: resume from the committed offset.
    fn apply(&mut self, reply: MembershipResponse) {
        self.epoch = reply.member_epoch;
        let Some(assignment) = reply.assignment else { return };
        let next: BTreeSet<u32> = assignment
            .iter()
            .filter(|tp| tp.topic == TOPIC)
            .flat_map(|tp| tp.partitions.iter().copied())
            .collect();
        let revoked: Vec<u32> = self.owned.difference(&next).copied().collect();
        if !revoked.is_empty() {
            assert_eq!(self.commit(&revoked, self.epoch), ErrorCode::None);
            for p in &revoked {
                self.positions.remove(p);
            }
        }
        let added: Vec<u32> = next.difference(&self.owned).copied().collect();
        if !added.is_empty() {
            let request = OffsetFetchRequest {
                group_id: self.group.clone(),
                topics: Some(vec![TopicPartitions {
                    topic: TOPIC.into(),
                    partitions: added.clone(),
                }]),
            };
            let fetched = match self.client.call(request) {
                ResponseBody::OffsetFetch(r) => r,
                other => panic!("unexpected {other:?}"),
            };
            for p in &fetched.topics[0].partitions {
                // Nothing committed: start at the earliest offset.
                self.positions.insert(p.partition, p.offset.max(0));
            }
        }
        self.owned = next;
    }

    fn commit(&mut self, partitions: &[u32], epoch: i32) -> ErrorCode {
        let offsets: Vec<OffsetCommitPartition> = partitions
            .iter()
            .filter_map(|p| self.positions.get(p).map(|offset| (p, offset)))
            .map(|(p, offset)| OffsetCommitPartition {
                partition: *p,
                offset: *offset,
                leader_epoch: -1,
                metadata: Some(format!("by {}", self.member_id)),
            })
            .collect();
        let request = OffsetCommitRequest {
            group_id: self.group.clone(),
            member_id: self.member_id.clone(),
            member_epoch: epoch,
            topics: vec![OffsetCommitTopic { name: TOPIC.into(), partitions: offsets.clone() }],
        };
        let response = match self.client.call(request) {
            ResponseBody::OffsetCommit(r) => r,
            other => panic!("unexpected {other:?}"),
        };
        if response.error_code == ErrorCode::None {
            for p in &response.topics[0].partitions {
                assert_eq!(p.error_code, ErrorCode::None);
            }
            for o in offsets {
                self.committed.insert(o.partition, o.offset);
            }
        }
        response.error_code
    }

    fn commit_all(&mut self) -> ErrorCode {
        let owned: Vec<u32> = self.owned.iter().copied().collect();
        self.commit(&owned, self.epoch)
    }

    fn poll(&mut self) {
        for p in self.owned.clone() {
            let position = self.positions[&p];
            let result = self.client.fetch(TOPIC, p, position, 0, 1);
            assert_eq!(result.error_code, ErrorCode::None);
            for (offset, _) in values(&result.records) {
                if offset >= position {
                    self.consumed.push((p, offset));
                    self.positions.insert(p, offset + 1);
                }
            }
        }
    }
}

fn settle(consumers: &mut [&mut Consumer], done: impl Fn(&[&mut Consumer]) -> bool) {
    let start = Instant::now();
    loop {
        for c in consumers.iter_mut() {
            c.heartbeat();
            c.poll();
        }
        let mut seen = BTreeSet::new();
        for c in consumers.iter() {
            for p in &c.owned {
                assert!(seen.insert(*p), "partition {p} owned by two members at once");
            }
        }
        if done(consumers) {
            return;
        }
        assert!(start.elapsed() < DEADLINE, "group did not settle");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn describe(client: &mut TestClient, group: &str) -> DescribeGroupResponse {
    match client.call(DescribeGroupRequest { group_id: group.into() }) {
        ResponseBody::DescribeGroup(r) => r,
        other => panic!("unexpected {other:?}"),
    }
}

fn fetch_committed(client: &mut TestClient, group: &str) -> BTreeMap<u32, (i64, Option<String>)> {
    let response = match client.call(OffsetFetchRequest { group_id: group.into(), topics: None }) {
        ResponseBody::OffsetFetch(r) => r,
        other => panic!("unexpected {other:?}"),
    };
    assert_eq!(response.error_code, ErrorCode::None);
    response
        .topics
        .iter()
        .filter(|t| t.name == TOPIC)
        .flat_map(|t| t.partitions.iter())
        .map(|p| (p.partition, (p.offset, p.metadata.clone())))
        .collect()
}

#[test]
fn given_three_consumers_on_six_partitions_when_one_dies_a_fourth_joins_and_the_broker_restarts_should_reassign_fence_and_keep_offsets(
) {
    let mut broker = TestBroker::start(2);
    let mut admin = broker.client();
    admin.create_topic(TOPIC, 6);
    for p in 0..6 {
        admin.produce(TOPIC, p, batch(&format!("first-{p}"), 10));
    }

    let group = "billing";
    let (mut a, mut b, mut c) = (
        Consumer::join(&broker, group),
        Consumer::join(&broker, group),
        Consumer::join(&broker, group),
    );
    settle(&mut [&mut a, &mut b, &mut c], |cs| cs.iter().all(|c| c.owned.len() == 2));
    settle(&mut [&mut a, &mut b, &mut c], |cs| {
        cs.iter().all(|c| c.owned.iter().all(|p| c.positions[p] == 10))
    });
    for consumer in [&mut a, &mut b, &mut c] {
        assert_eq!(consumer.commit_all(), ErrorCode::None);
    }

    // More records; c reads its share but dies before committing them.
    for p in 0..6 {
        admin.produce(TOPIC, p, batch(&format!("second-{p}"), 10));
    }
    c.poll();
    let c_partitions = c.owned.clone();
    let c_uncommitted: BTreeSet<(u32, i64)> =
        c.consumed.iter().filter(|(p, o)| *o >= c.committed[p]).copied().collect();
    assert_eq!(c_uncommitted.len(), 20);
    let died = Instant::now();
    settle(&mut [&mut a, &mut b], |cs| cs.iter().all(|c| c.owned.len() == 3));
    let failover = died.elapsed();
    eprintln!("failover after {failover:?} (session timeout {SESSION_MS} ms)");
    assert!(
        failover < Duration::from_millis(u64::from(SESSION_MS) + 1000),
        "failover took {failover:?}"
    );
    settle(&mut [&mut a, &mut b], |cs| {
        cs.iter().all(|c| c.owned.iter().all(|p| c.positions[p] == 20))
    });

    // No record skipped; the only duplicates are what c read after its last commit.
    let mut seen: BTreeMap<(u32, i64), usize> = BTreeMap::new();
    for record in a.consumed.iter().chain(&b.consumed).chain(&c.consumed) {
        *seen.entry(*record).or_default() += 1;
    }
    for p in 0..6u32 {
        for offset in 0..20 {
            assert!(seen.contains_key(&(p, offset)), "record {p}/{offset} was skipped");
        }
    }
    let duplicates: BTreeSet<(u32, i64)> =
        seen.iter().filter(|(_, n)| **n > 1).map(|(r, _)| *r).collect();
    assert!(duplicates.iter().all(|(p, _)| c_partitions.contains(p)));
    assert_eq!(duplicates, c_uncommitted, "duplicates are exactly c's uncommitted records");

    // The dead member is gone: its commits are refused.
    assert_eq!(c.commit_all(), ErrorCode::UnknownMemberId);

    // A fourth member: only the minimum (one from each of a and b) moves.
    let before: BTreeMap<u32, &str> = [(&a, "a"), (&b, "b")]
        .iter()
        .flat_map(|(c, name)| c.owned.iter().map(move |p| (*p, *name)))
        .collect();
    let mut d = Consumer::join(&broker, group);
    settle(&mut [&mut a, &mut b, &mut d], |cs| cs.iter().all(|c| c.owned.len() == 2));
    let moved = before
        .iter()
        .filter(|(p, name)| !(if **name == "a" { &a } else { &b }).owned.contains(p))
        .count();
    assert_eq!(moved, 2, "only the minimum number of partitions moved");
    assert_eq!(describe(&mut admin, group).state, GroupState::Stable);

    // A stale epoch is fenced.
    assert!(a.epoch >= a.first_epoch + 2);
    let owned: Vec<u32> = a.owned.iter().copied().collect();
    assert_eq!(a.commit(&owned, a.first_epoch), ErrorCode::FencedMemberEpoch);

    // Commit everything, restart, and find the offsets again.
    for consumer in [&mut a, &mut b, &mut d] {
        assert_eq!(consumer.commit_all(), ErrorCode::None);
    }
    let committed = fetch_committed(&mut admin, group);
    assert_eq!(committed.len(), 6);
    assert!(committed.values().all(|(offset, _)| *offset == 20), "{committed:?}");
    drop((a, b, c, d, admin));
    assert_eq!(broker.stop(), Some(0));
    broker.restart();
    let mut admin = broker.client();
    assert_eq!(fetch_committed(&mut admin, group), committed);
    let described = describe(&mut admin, group);
    assert_eq!(described.state, GroupState::Empty);
}

#[test]
fn given_groups_on_every_shard_when_listed_described_and_reset_should_answer_from_their_coordinators(
) {
    let mut broker = TestBroker::start(2);
    let mut admin = broker.client();
    admin.create_topic(TOPIC, 2);
    let groups: Vec<String> = (0..6).map(|i| format!("g{i}")).collect();
    let mut members: Vec<Consumer> = groups.iter().map(|g| Consumer::join(&broker, g)).collect();
    let listed = match admin.call(ListGroupsRequest {}) {
        ResponseBody::ListGroups(r) => r,
        other => panic!("unexpected {other:?}"),
    };
    let names: Vec<&str> = listed.groups.iter().map(|g| g.group_id.as_str()).collect();
    assert_eq!(names, groups.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(listed.groups.iter().all(|g| g.member_count == 1));

    // A reset (admin commit) is refused while the group has members.
    let reset = OffsetCommitRequest::admin(
        "g0",
        vec![OffsetCommitTopic {
            name: TOPIC.into(),
            partitions: vec![OffsetCommitPartition {
                partition: 1,
                offset: 7,
                leader_epoch: -1,
                metadata: None,
            }],
        }],
    );
    match admin.call(reset.clone()) {
        ResponseBody::OffsetCommit(r) => assert_eq!(r.error_code, ErrorCode::GroupNotEmpty),
        other => panic!("unexpected {other:?}"),
    }
    let m = &mut members[0];
    let leave = LeaveGroupRequest {
        group_id: "g0".into(),
        member_id: m.member_id.clone(),
        member_epoch: m.epoch,
    };
    match m.client.call(leave) {
        ResponseBody::LeaveGroup(r) => assert_eq!(r.error_code, ErrorCode::None),
        other => panic!("unexpected {other:?}"),
    }
    match admin.call(reset) {
        ResponseBody::OffsetCommit(r) => assert_eq!(r.error_code, ErrorCode::None),
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(fetch_committed(&mut admin, "g0").get(&1).map(|c| c.0), Some(7));
    let described = describe(&mut admin, "g1");
    assert_eq!(described.members.len(), 1);
    assert_eq!(described.assignor.as_deref(), Some(ASSIGNOR_STICKY));
    assert_eq!(describe(&mut admin, "nope").error_code, ErrorCode::UnknownGroup);
    drop(members);
    drop(admin);
    broker.stop();
}
