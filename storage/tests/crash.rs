//! Crash tests: a child process appends under `always` and reports every acknowledged batch on
//! a pipe; the parent SIGKILLs it at random moments, recovers the log and checks that every
//! acknowledged batch is present and intact and that nothing corrupt is readable.
//!
//! The test binary re-executes itself (`std::env::current_exe()`) with `CRASH_CHILD_DIR_ENV`
//! set, which turns `crash_child_role` into the appending child.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{body_matches, make_batch, run_on_executor, split_batches};
use sluice_storage::{BatchCache, FlushPolicy, LogConfig, PartitionLog};

const CRASH_CHILD_DIR_ENV: &str = "SLUICE_CRASH_CHILD_DIR";
const CRASH_CHILD_SEED_ENV: &str = "SLUICE_CRASH_CHILD_SEED";
const CRASH_CHILD_POLICY_ENV: &str = "SLUICE_CRASH_CHILD_POLICY";
const ITERATIONS: usize = 60;
const APPENDERS: u64 = 4;

fn config() -> LogConfig {
    config_with(FlushPolicy::Always)
}

fn config_with(flush_policy: FlushPolicy) -> LogConfig {
    LogConfig {
        segment_bytes_max: 48 * 1024,
        flush_policy,
        index_interval_bytes: 2048,
        ..LogConfig::default()
    }
}

/// Child role: appends forever from a few concurrent tasks, printing `seed base last` for
/// every acknowledged append. Does nothing when run as an ordinary test.
#[test]
fn crash_child_role() {
    let Ok(dir) = std::env::var(CRASH_CHILD_DIR_ENV) else { return };
    let seed_base: u64 = std::env::var(CRASH_CHILD_SEED_ENV).unwrap().parse().unwrap();
    let policy: FlushPolicy = std::env::var(CRASH_CHILD_POLICY_ENV)
        .map_or(FlushPolicy::Always, |p| p.parse().expect("valid policy"));
    run_on_executor(move || async move {
        let log =
            PartitionLog::open(&dir, config_with(policy), BatchCache::new(1 << 20)).await.unwrap();
        let mut tasks = Vec::new();
        for appender in 0..APPENDERS {
            let log = log.clone();
            tasks.push(glommio::spawn_local(async move {
                // Bounded: the parent kills the child long before this ends.
                for i in 0..1_000_000u64 {
                    let seed = seed_base + i * APPENDERS + appender;
                    let records = 1 + (seed % 7) as usize;
                    let record_bytes = 50 + (seed % 900) as usize;
                    let outcome =
                        log.append(make_batch(records, record_bytes, 0, seed)).await.unwrap();
                    let mut out = std::io::stdout().lock();
                    writeln!(out, "ACK {seed} {} {}", outcome.base_offset, outcome.last_offset)
                        .unwrap();
                    out.flush().unwrap();
                }
            }));
        }
        for task in tasks {
            task.await;
        }
    });
}

/// A small xorshift generator: the test prints its seed so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn given_always_appender_killed_at_random_moments_when_recovering_should_keep_every_acknowledged_batch(
) {
    if std::env::var(CRASH_CHILD_DIR_ENV).is_ok() {
        return;
    }
    let seed =
        std::env::var("SLUICE_CRASH_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
            now.as_nanos() as u64 ^ u64::from(std::process::id())
        });
    println!("crash test seed {seed} (replay with SLUICE_CRASH_SEED={seed})");
    let mut rng = Rng(seed | 1);
    let dir = tempfile::tempdir().unwrap();
    let log_dir = dir.path().join("crash-log");
    let mut acked: BTreeMap<i64, (i64, u64)> = BTreeMap::new();
    let started = Instant::now();
    let mut total_acks = 0;

    for iteration in 0..ITERATIONS {
        assert!(started.elapsed() < Duration::from_secs(120), "crash test exceeded its budget");
        let kill_after = (rng.next() % 300) as usize;
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["crash_child_role", "--exact", "--nocapture", "--test-threads=1"])
            .env(CRASH_CHILD_DIR_ENV, &log_dir)
            .env(CRASH_CHILD_SEED_ENV, (iteration as u64 * 10_000_000).to_string())
            .env("RUST_LOG", "off")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let mut seen = 0;
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut record = |line: &str| {
            let parts: Vec<&str> = line.split_whitespace().collect();
            if parts.len() == 4 && parts[0] == "ACK" {
                let seed: u64 = parts[1].parse().unwrap();
                let base: i64 = parts[2].parse().unwrap();
                let last: i64 = parts[3].parse().unwrap();
                assert!(
                    acked.insert(base, (last, seed)).is_none(),
                    "offset {base} acknowledged twice"
                );
                true
            } else {
                false
            }
        };
        while seen < kill_after {
            assert!(Instant::now() < deadline, "child made no progress");
            match lines.next() {
                Some(Ok(line)) => {
                    if record(&line) {
                        seen += 1;
                    }
                }
                _ => panic!("child exited early"),
            }
        }
        child.kill().unwrap();
        // Acknowledgements already in the pipe were made before the kill: they count too.
        for line in lines.map_while(Result::ok) {
            if record(&line) {
                seen += 1;
            }
        }
        child.wait().unwrap();
        total_acks += seen;

        let expected = acked.clone();
        let path = log_dir.clone();
        run_on_executor(move || async move {
            let log = PartitionLog::open(&path, config(), BatchCache::new(0)).await.unwrap();
            let end = log.log_end_offset();
            for (&base, &(last, seed)) in &expected {
                assert!(last < end, "acknowledged batch [{base}, {last}] lost (log end {end})");
                let bytes = log.read(base, 1).await.unwrap();
                let batches = split_batches(&bytes);
                assert_eq!(i64::from_be_bytes(batches[0][..8].try_into().unwrap()), base);
                assert!(body_matches(batches[0], seed), "acknowledged batch {base} intact");
            }
            // Every readable batch is valid (reads check CRCs) and offsets are dense.
            let mut offset = log.log_start_offset();
            while offset < end {
                let bytes = log.read(offset, 256 * 1024).await.unwrap();
                for batch in split_batches(&bytes) {
                    let base = i64::from_be_bytes(batch[..8].try_into().unwrap());
                    assert_eq!(base, offset, "offsets are dense after recovery");
                    let header = sluice_proto::record_batch::validate(batch).unwrap();
                    offset = header.last_offset() + 1;
                }
            }
            log.close().await.unwrap();
        });
        // Unacknowledged batches that survived are now part of the log: later acks continue
        // after them, so forget nothing but keep the acked map as the ground truth.
    }
    println!("crash test: {ITERATIONS} kills, {total_acks} acknowledged batches verified");
    assert!(total_acks > 0, "a crash test that acknowledged nothing tested nothing");
}

/// Under `interval` and `never` a crash may lose acknowledged batches, but only a suffix: what
/// recovery keeps is dense, intact, and at every offset holds exactly the batch acknowledged there.
#[test]
fn given_interval_and_never_appenders_killed_when_recovering_should_keep_an_intact_prefix() {
    if std::env::var(CRASH_CHILD_DIR_ENV).is_ok() {
        return;
    }
    for policy in ["interval=5", "never"] {
        let dir = tempfile::tempdir().unwrap();
        let log_dir = dir.path().join("crash-log");
        let started = Instant::now();
        let mut kept_total = 0;
        for iteration in 0..10u64 {
            assert!(started.elapsed() < Duration::from_secs(60), "crash test exceeded its budget");
            let mut child = Command::new(std::env::current_exe().unwrap())
                .args(["crash_child_role", "--exact", "--nocapture", "--test-threads=1"])
                .env(CRASH_CHILD_DIR_ENV, &log_dir)
                .env(CRASH_CHILD_SEED_ENV, (iteration * 10_000_000).to_string())
                .env(CRASH_CHILD_POLICY_ENV, policy)
                .env("RUST_LOG", "off")
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
            let mut acked: BTreeMap<i64, (i64, u64)> = BTreeMap::new();
            let kill_after = 50 + iteration as usize * 40;
            let deadline = Instant::now() + Duration::from_secs(20);
            while acked.len() < kill_after {
                assert!(Instant::now() < deadline, "child made no progress");
                let line = lines.next().expect("child alive").unwrap();
                let parts: Vec<&str> = line.split_whitespace().collect();
                if parts.len() == 4 && parts[0] == "ACK" {
                    let (seed, base, last) = (
                        parts[1].parse().unwrap(),
                        parts[2].parse().unwrap(),
                        parts[3].parse().unwrap(),
                    );
                    acked.insert(base, (last, seed));
                }
            }
            child.kill().unwrap();
            child.wait().unwrap();
            let path = log_dir.clone();
            kept_total += run_on_executor(move || async move {
                let log =
                    PartitionLog::open(&path, config_with(FlushPolicy::Never), BatchCache::new(0))
                        .await
                        .unwrap();
                let end = log.log_end_offset();
                let mut offset = log.log_start_offset();
                let mut kept = 0;
                while offset < end {
                    let bytes = log.read(offset, 256 * 1024).await.unwrap();
                    for batch in split_batches(&bytes) {
                        let base = i64::from_be_bytes(batch[..8].try_into().unwrap());
                        assert_eq!(base, offset, "offsets are dense after recovery");
                        if let Some(&(_, seed)) = acked.get(&base) {
                            assert!(
                                body_matches(batch, seed),
                                "batch at {base} is the one acknowledged there"
                            );
                            kept += 1;
                        }
                        offset =
                            sluice_proto::record_batch::validate(batch).unwrap().last_offset() + 1;
                    }
                }
                log.close().await.unwrap();
                println!(
                    "  {policy} iteration {iteration}: kept {kept} of {} acknowledged",
                    acked.len()
                );
                kept
            });
        }
        println!("crash test {policy}: {kept_total} acknowledged batches kept and verified");
    }
}
