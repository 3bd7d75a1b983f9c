//! The `sluice` binary against a real broker.

mod support;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use support::Broker;

fn sluice(broker: &Broker, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(args)
        .env("SLUICE_BROKER", &broker.address)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run sluice");
    let mut input = child.stdin.take().unwrap();
    let stdin = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        input.write_all(&stdin).unwrap();
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    output
}

fn ok(output: &Output) -> String {
    assert!(
        output.status.success(),
        "sluice failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

#[test]
fn given_100000_lines_when_produced_and_consumed_should_come_back_exactly() {
    let broker = Broker::start();
    ok(&sluice(&broker, &["topic", "create", "lines", "--partitions", "1"], b""));
    let mut input = Vec::new();
    for i in 0..100_000 {
        match i % 5 {
            0 => writeln!(input, "line {i}").unwrap(),
            1 => writeln!(input, "ünïcödé ✓ {i}\twith tab").unwrap(),
            2 => writeln!(input).unwrap(),
            3 => writeln!(input, "{}", "x".repeat(i % 300)).unwrap(),
            _ => writeln!(input, "{{\"json\": {i}, \"quote\": \"\\\"\"}}").unwrap(),
        }
    }
    ok(&sluice(&broker, &["produce", "lines"], &input));
    let output =
        sluice(&broker, &["consume", "lines", "--from-beginning", "--count", "100000"], b"");
    let consumed = ok(&output);
    assert!(consumed.as_bytes() == input.as_slice(), "consumed bytes equal produced lines");
}

#[test]
fn given_topic_commands_when_run_should_create_describe_list_and_delete() {
    let broker = Broker::start();
    let create = ["topic", "create", "admin", "--partitions", "3", "--retention-ms", "60000"];
    ok(&sluice(&broker, &create, b""));
    ok(&sluice(&broker, &["topic", "create", "flushy", "--flush-policy", "interval=50"], b""));
    let duplicate = sluice(&broker, &create, b"");
    assert_eq!(duplicate.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&duplicate.stderr),
        "error: topic \"admin\" already exists\n"
    );
    let list = ok(&sluice(&broker, &["topic", "list"], b""));
    assert!(list.lines().any(|l| l == "admin\t3"), "{list}");
    ok(&sluice(&broker, &["produce", "admin", "--partition", "2"], b"a\nb\n"));
    let describe = ok(&sluice(&broker, &["topic", "describe", "admin"], b""));
    assert!(describe.starts_with("topic admin partitions 3 "), "{describe}");
    assert!(describe.contains("retention-ms 60000"), "{describe}");
    assert!(describe.lines().any(|l| l.starts_with("2\t") && l.ends_with("\t0\t2")), "{describe}");
    let flushy = ok(&sluice(&broker, &["topic", "describe", "flushy"], b""));
    assert!(flushy.contains("flush-policy interval=50"), "{flushy}");
    ok(&sluice(&broker, &["topic", "delete", "admin"], b""));
    let list = ok(&sluice(&broker, &["topic", "list"], b""));
    assert!(!list.contains("admin"), "{list}");
}

#[test]
fn given_a_missing_topic_when_consuming_should_exit_3_with_one_readable_line() {
    let broker = Broker::start();
    let output = sluice(&broker, &["consume", "x", "--count", "1"], b"");
    assert_eq!(output.status.code(), Some(3));
    assert_eq!(String::from_utf8_lossy(&output.stderr), "error: topic \"x\" does not exist\n");
}

#[test]
fn given_keys_and_json_format_when_consuming_should_print_one_object_per_record() {
    let broker = Broker::start();
    ok(&sluice(&broker, &["topic", "create", "json", "--partitions", "2"], b""));
    let produced =
        ok(&sluice(&broker, &["produce", "json", "--key-separator", "=", "-v"], b"k1=v1\nk1=v2\n"));
    let lines: Vec<&str> = produced.lines().collect();
    assert_eq!(lines.len(), 2);
    let partition = sluice_proto::partitioner::partition_for_key(b"k1", 2);
    assert_eq!(lines[0], format!("partition {partition} offset 0"));
    assert_eq!(lines[1], format!("partition {partition} offset 1"));
    let args = ["consume", "json", "--from-beginning", "--count", "2", "--format", "json"];
    let consumed = ok(&sluice(&broker, &args, b""));
    let first = consumed.lines().next().unwrap();
    assert!(
        first.starts_with(&format!(
            "{{\"topic\":\"json\",\"partition\":{partition},\"offset\":0,\"timestamp\":"
        )),
        "{first}"
    );
    assert!(first.ends_with(",\"key\":\"k1\",\"value\":\"v1\",\"headers\":[]}"), "{first}");
}

#[test]
fn given_no_broker_when_listing_topics_should_exit_4() {
    let port = support::free_port();
    let output = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["--broker", &format!("127.0.0.1:{port}"), "topic", "list"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(4));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.starts_with("error: connection to 127.0.0.1:"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1);
}

#[test]
fn given_a_running_consume_when_sent_sigterm_should_exit_cleanly() {
    let broker = Broker::start();
    ok(&sluice(&broker, &["topic", "create", "forever"], b""));
    let mut child = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["consume", "forever"])
        .env("SLUICE_BROKER", &broker.address)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until it is really consuming: records produced from now on show up on its stdout.
    // A helper keeps producing until the first one arrives; if none does within the deadline
    // it kills the consumer, which ends the read below with EOF and fails the test.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let pinger = {
        let stop = stop.clone();
        let address = broker.address.clone();
        let pid = child.id() as libc::pid_t;
        std::thread::spawn(move || {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                if std::time::Instant::now() >= deadline {
                    // SAFETY: kill only sends a signal to the child this test started.
                    unsafe { libc::kill(pid, libc::SIGKILL) };
                    return;
                }
                let mut producer = Command::new(env!("CARGO_BIN_EXE_sluice"))
                    .args(["produce", "forever"])
                    .env("SLUICE_BROKER", &address)
                    .stdin(Stdio::piped())
                    .spawn()
                    .unwrap();
                producer.stdin.take().unwrap().write_all(b"ping\n").unwrap();
                assert!(producer.wait().unwrap().success());
            }
        })
    };
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut line).unwrap();
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    pinger.join().unwrap();
    assert_eq!(line, "ping\n");
    // SAFETY: kill only sends a signal to the child we started.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) }, 0);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "SIGTERM ends consume cleanly");
}

#[test]
fn given_a_group_when_consuming_twice_should_resume_after_the_committed_offset() {
    let broker = Broker::start();
    ok(&sluice(&broker, &["topic", "create", "grouped", "--partitions", "2"], b""));
    ok(&sluice(&broker, &["produce", "grouped"], b"a\nb\nc\nd\n"));
    let first = ok(&sluice(
        &broker,
        &["consume", "grouped", "--group", "cli", "--from-beginning", "--count", "4"],
        b"",
    ));
    let mut got: Vec<&str> = first.lines().collect();
    got.sort_unstable();
    assert_eq!(got, vec!["a", "b", "c", "d"]);
    ok(&sluice(&broker, &["produce", "grouped"], b"e\nf\n"));
    // The group committed its position on exit, so only the new records come next.
    let second =
        ok(&sluice(&broker, &["consume", "grouped", "--group", "cli", "--count", "2"], b""));
    let mut got: Vec<&str> = second.lines().collect();
    got.sort_unstable();
    assert_eq!(got, vec!["e", "f"]);
    let described = ok(&sluice(&broker, &["group", "describe", "cli"], b""));
    assert!(described.contains("grouped"), "{described}");
}
