//! Consumer groups through the SDK and the `sluice group` commands against a real broker:
//! three members split six partitions, a silent member's partitions move to the others within
//! the session timeout without skipping a record, committed offsets drive the CLI's lag, and
//! offsets reset only while the group is empty.

mod support;

use std::collections::BTreeMap;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sluice_client::blocking::{Admin, GroupConfig, GroupConsumer, Producer, RebalanceListener};
use sluice_client::{ConsumerConfig, OffsetReset, ProducerConfig, ProducerRecord, TopicPartition};
use support::Broker;

const TOPIC: &str = "payments";
const GROUP: &str = "ledger";
const DEADLINE: Duration = Duration::from_secs(30);

fn sluice(broker: &Broker, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(args)
        .env("SLUICE_BROKER", &broker.address)
        .output()
        .expect("run sluice")
}

fn stdout(output: &Output) -> String {
    assert!(output.status.success(), "sluice failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn produce(broker: &Broker, round: &str) {
    let producer = Producer::connect(&broker.address, ProducerConfig::default()).unwrap();
    let handles: Vec<_> = (0..6u32)
        .flat_map(|p| (0..10).map(move |i| (p, i)))
        .map(|(p, i)| {
            producer
                .send(ProducerRecord::new(TOPIC, format!("{round}-{p}-{i}")).with_partition(p))
                .unwrap()
        })
        .collect();
    producer.flush().unwrap();
    for handle in handles {
        handle.wait().unwrap();
    }
    producer.close().unwrap();
}

#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<String>>>);

impl RebalanceListener for Recorder {
    fn on_revoked(&mut self, partitions: &[TopicPartition]) {
        self.0.lock().unwrap().push(format!("revoked {}", partitions.len()));
    }
    fn on_assigned(&mut self, partitions: &[TopicPartition]) {
        self.0.lock().unwrap().push(format!("assigned {}", partitions.len()));
    }
}

fn member(broker: &Broker, listener: Recorder) -> GroupConsumer {
    let consumer_config = ConsumerConfig {
        offset_reset: OffsetReset::Earliest,
        fetch_wait_max: Duration::from_millis(50),
        ..ConsumerConfig::default()
    };
    let config = GroupConfig {
        session_timeout: Duration::from_millis(1000),
        auto_commit_interval: None,
        ..GroupConfig::default()
    };
    GroupConsumer::subscribe_with_listener(
        &broker.address,
        GROUP,
        &[TOPIC],
        consumer_config,
        config,
        listener,
    )
    .unwrap()
}

/// Polls every member in turn until `done`, collecting (partition, offset) per member.
fn drive(
    members: &mut [&mut GroupConsumer],
    seen: &mut [Vec<(u32, i64)>],
    done: impl Fn(&[&mut GroupConsumer], &[Vec<(u32, i64)>]) -> bool,
) {
    let start = Instant::now();
    while !done(members, seen) {
        assert!(start.elapsed() < DEADLINE, "group did not get there in time");
        for (m, seen) in members.iter_mut().zip(seen.iter_mut()) {
            for record in m.poll(Duration::from_millis(20)).unwrap() {
                seen.push((record.partition, record.offset));
            }
        }
    }
}

fn distinct(seen: &[Vec<(u32, i64)>]) -> usize {
    seen.iter().flatten().collect::<std::collections::BTreeSet<_>>().len()
}

#[test]
fn given_three_group_consumers_when_one_goes_silent_should_move_its_partitions_and_cli_should_show_lag(
) {
    let broker = Broker::start();
    Admin::connect(&broker.address).unwrap().create_topic(TOPIC, 6).unwrap();
    produce(&broker, "first");

    let recorders: Vec<Recorder> = (0..3).map(|_| Recorder::default()).collect();
    let mut a = member(&broker, recorders[0].clone());
    let mut b = member(&broker, recorders[1].clone());
    let mut c = member(&broker, recorders[2].clone());
    let mut seen = vec![Vec::new(); 3];
    drive(&mut [&mut a, &mut b, &mut c], &mut seen, |ms, seen| {
        ms.iter().all(|m| m.assignment().len() == 2) && distinct(seen) == 60
    });
    for m in [&mut a, &mut b, &mut c] {
        m.commit_sync().unwrap();
    }
    assert!(recorders.iter().all(|r| r
        .0
        .lock()
        .unwrap()
        .iter()
        .any(|e| e.starts_with("assigned"))));

    let described = stdout(&sluice(&broker, &["group", "describe", GROUP]));
    assert!(described.contains("state Stable"), "{described}");
    let lags: Vec<&str> = described.lines().filter(|l| l.starts_with(TOPIC)).collect();
    assert_eq!(lags.len(), 6, "{described}");
    for line in &lags {
        let fields: Vec<&str> = line.split('\t').collect();
        assert_eq!(&fields[2..5], &["10", "10", "0"], "committed, log end, lag: {line}");
    }
    assert!(
        stdout(&sluice(&broker, &["group", "list"])).starts_with(&format!("{GROUP}\tStable\t3"))
    );

    // c goes silent (no heartbeats, no leave); a and b take its partitions and read on from
    // c's committed offsets.
    produce(&broker, "second");
    let silent = Instant::now();
    let mut survivors = vec![seen[0].clone(), seen[1].clone()];
    drive(&mut [&mut a, &mut b], &mut survivors, |ms, seen| {
        ms.iter().all(|m| m.assignment().len() == 3) && distinct(seen) == 120
    });
    assert!(silent.elapsed() < Duration::from_secs(5), "failover took {:?}", silent.elapsed());
    let mut counts: BTreeMap<(u32, i64), usize> = BTreeMap::new();
    for record in survivors.iter().flatten() {
        *counts.entry(*record).or_default() += 1;
    }
    for p in 0..6 {
        for offset in 0..20 {
            assert!(counts.contains_key(&(p, offset)), "record {p}/{offset} skipped");
        }
    }
    assert!(counts.values().all(|n| *n == 1), "c committed everything it read: no duplicates");
    for m in [&mut a, &mut b] {
        m.commit_sync().unwrap();
    }

    // A reset is refused while members remain, allowed once they have left.
    let refused =
        sluice(&broker, &["group", "reset-offsets", GROUP, "--topic", TOPIC, "--to-earliest"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("group not empty"));
    a.close().unwrap();
    b.close().unwrap();
    drop(c);
    let reset = stdout(&sluice(
        &broker,
        &["group", "reset-offsets", GROUP, "--topic", TOPIC, "--to-offset", "5"],
    ));
    assert_eq!(reset.lines().count(), 6);
    let described = stdout(&sluice(&broker, &["group", "describe", GROUP]));
    assert!(described.contains("state Empty"), "{described}");
    for line in described.lines().filter(|l| l.starts_with(TOPIC)) {
        let fields: Vec<&str> = line.split('\t').collect();
        assert_eq!(&fields[2..5], &["5", "20", "15"], "committed, log end, lag: {line}");
    }

    // A new member resumes from the reset offsets.
    let mut d = member(&broker, Recorder::default());
    let mut seen = vec![Vec::new()];
    drive(&mut [&mut d], &mut seen, |_, seen| distinct(seen) == 90);
    assert!(seen[0].iter().all(|(_, offset)| *offset >= 5));
    d.close().unwrap();
}

#[test]
fn given_auto_commit_and_async_commits_when_a_member_closes_should_leave_its_positions_committed() {
    let broker = Broker::start();
    Admin::connect(&broker.address).unwrap().create_topic(TOPIC, 6).unwrap();
    produce(&broker, "only");
    let consumer_config = ConsumerConfig {
        offset_reset: OffsetReset::Earliest,
        fetch_wait_max: Duration::from_millis(50),
        ..ConsumerConfig::default()
    };
    let config = GroupConfig {
        session_timeout: Duration::from_millis(1000),
        auto_commit_interval: Some(Duration::from_millis(100)),
        ..GroupConfig::default()
    };
    let mut auto = GroupConsumer::subscribe(
        &broker.address,
        "auto",
        &[TOPIC],
        consumer_config.clone(),
        config.clone(),
    )
    .unwrap();
    let mut seen = vec![Vec::new()];
    drive(&mut [&mut auto], &mut seen, |_, seen| distinct(seen) == 60);
    let admin = Admin::connect(&broker.address).unwrap();
    // The interval commit lands without any explicit call.
    let start = Instant::now();
    loop {
        auto.poll(Duration::from_millis(20)).unwrap();
        let offsets = admin.group_offsets("auto").unwrap();
        if offsets.len() == 6 && offsets.values().all(|o| *o == 10) {
            break;
        }
        assert!(start.elapsed() < DEADLINE, "auto commit never landed: {offsets:?}");
    }
    auto.close().unwrap();

    let manual = GroupConfig { auto_commit_interval: None, ..config };
    let mut explicit =
        GroupConsumer::subscribe(&broker.address, "async", &[TOPIC], consumer_config, manual)
            .unwrap();
    let mut seen = vec![Vec::new()];
    drive(&mut [&mut explicit], &mut seen, |_, seen| distinct(seen) == 60);
    assert!(admin.group_offsets("async").unwrap().is_empty(), "nothing committed yet");
    explicit.commit_async().unwrap();
    let start = Instant::now();
    while admin.group_offsets("async").unwrap().len() < 6 {
        explicit.poll(Duration::from_millis(20)).unwrap();
        assert!(start.elapsed() < DEADLINE, "async commit never landed");
    }
    assert!(admin.group_offsets("async").unwrap().values().all(|o| *o == 10));
    explicit.close().unwrap();
}

#[test]
fn given_a_member_stalled_past_its_session_when_it_polls_again_should_rejoin_and_resume_from_commits(
) {
    let broker = Broker::start();
    Admin::connect(&broker.address).unwrap().create_topic(TOPIC, 6).unwrap();
    produce(&broker, "before");
    let recorder = Recorder::default();
    let mut stalled = member(&broker, recorder.clone());
    let mut seen = vec![Vec::new()];
    drive(&mut [&mut stalled], &mut seen, |_, seen| distinct(seen) == 60);
    stalled.commit_sync().unwrap();
    let first_id = stalled.member_id().to_owned();
    // The application stalls (a long GC pause, a slow batch) past its 1 s session: it makes no
    // call until the coordinator has removed it, which this test watches from outside.
    let admin = Admin::connect(&broker.address).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while admin.describe_group(GROUP).unwrap().members.iter().any(|m| m.member_id == first_id) {
        assert!(std::time::Instant::now() < deadline, "the stalled member was never removed");
        std::thread::sleep(Duration::from_millis(20));
    }
    produce(&broker, "after");
    drive(&mut [&mut stalled], &mut seen, |_, seen| distinct(seen) == 120);
    assert_ne!(stalled.member_id(), first_id, "removed, so it joined again as a new member");
    assert!(
        seen[0].iter().filter(|(_, offset)| *offset < 10).count() == 60,
        "resumed from commits"
    );
    let events = recorder.0.lock().unwrap().clone();
    assert!(events.contains(&"revoked 6".to_string()), "lost partitions reported: {events:?}");
    stalled.close().unwrap();
}
