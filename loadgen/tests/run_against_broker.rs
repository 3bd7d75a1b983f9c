//! Runs the `sluice-loadgen` binary for two seconds against a real `sluice-broker` on free
//! loopback ports and checks the JSON it writes.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Every wait in this test is bounded by this.
const DEADLINE: Duration = Duration::from_secs(60);

/// Builds the broker with the same profile as this test (so the outer `cargo test` finds its
/// fingerprints unchanged afterwards) and returns its path.
fn broker_binary() -> PathBuf {
    // target/<profile dir>/deps/<test binary> → target/<profile dir>/sluice-broker
    let exe = std::env::current_exe().expect("test binary path");
    let profile_dir = exe.parent().and_then(|d| d.parent()).expect("target/<profile>");
    let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("release") => "release",
        _ => "test",
    };
    let status = Command::new(env!("CARGO"))
        .args(["build", "--quiet", "--profile", profile, "-p", "sluice-broker"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .expect("run cargo build");
    assert!(status.success(), "cargo build -p sluice-broker failed");
    let broker = profile_dir.join("sluice-broker");
    assert!(broker.exists(), "no broker binary at {}", broker.display());
    broker
}

struct Broker {
    child: Child,
    addr: String,
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_broker(data_dir: &std::path::Path) -> Broker {
    let mut child = Command::new(broker_binary())
        .args(["--listen", "127.0.0.1:0", "--shard-port-base", "0"])
        .args(["--metrics-listen", "127.0.0.1:0", "--shards", "1", "--flush-policy", "never"])
        .arg("--data-dir")
        .arg(data_dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start sluice-broker");
    let mut line = String::new();
    // The start-up line is the broker's first output; read_line returns when it is printed or
    // the broker exits.
    BufReader::new(child.stdout.take().expect("piped stdout"))
        .read_line(&mut line)
        .expect("read start-up line");
    let addr = line
        .split("listening on ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("unexpected start-up line: {line:?}"))
        .to_owned();
    Broker { child, addr }
}

#[test]
fn given_a_real_broker_when_running_two_seconds_should_write_json_with_throughput_and_ordered_percentiles(
) {
    let temp = tempfile::tempdir().expect("temp dir");
    let broker = start_broker(&temp.path().join("data"));
    let json_path = temp.path().join("result.json");
    let hdr_path = temp.path().join("result.hdr");
    let plot_path = temp.path().join("result.svg");
    let mut loadgen = Command::new(env!("CARGO_BIN_EXE_sluice-loadgen"))
        .args(["--broker", &broker.addr, "--topic", "it", "--partitions", "2"])
        .args(["--consumers", "1", "--duration", "2", "--warmup", "0.5", "--quiet"])
        .args(["--rate", "2000", "--message-size", "100-300", "--keys", "zipf:100:1.1"])
        .arg("--json")
        .arg(&json_path)
        .arg("--hdr")
        .arg(&hdr_path)
        .arg("--plot")
        .arg(&plot_path)
        .stdout(Stdio::piped())
        .spawn()
        .expect("start sluice-loadgen");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = loadgen.try_wait().expect("wait") {
            break status;
        }
        assert!(started.elapsed() < DEADLINE, "loadgen did not finish within {DEADLINE:?}");
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut table = String::new();
    std::io::Read::read_to_string(&mut loadgen.stdout.take().unwrap(), &mut table).unwrap();
    assert!(status.success(), "loadgen failed:\n{table}");
    assert!(table.contains("produce-ack") && table.contains("end-to-end"), "{table}");

    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json_path).expect("json written"))
            .expect("valid JSON");
    let msgs_per_s = json["throughput"]["msgs_per_s"].as_f64().expect("msgs_per_s");
    assert!(msgs_per_s > 0.0, "{json}");
    assert!(json["throughput"]["mb_per_s"].as_f64().expect("mb_per_s") > 0.0);
    assert_eq!(json["errors"], 0, "{json}");
    for kind in ["produce_ack", "end_to_end"] {
        let l = &json["latency_us"][kind];
        let get = |k: &str| l[k].as_u64().unwrap_or_else(|| panic!("{kind}.{k} in {l}"));
        assert!(get("p50") > 0, "{kind}: {l}");
        assert!(get("p50") <= get("p90") && get("p90") <= get("p99"), "{kind}: {l}");
        assert!(get("p99") <= get("p999") && get("p999") <= get("p9999"), "{kind}: {l}");
        assert!(get("p9999") <= get("max"), "{kind}: {l}");
    }
    assert!(json["machine"]["cores"].as_u64().unwrap() >= 1);
    assert!(json["config"]["rate_msgs_per_s"].as_f64() == Some(2000.0));
    let hdr = std::fs::read_to_string(&hdr_path).expect("interval log written");
    assert!(hdr.lines().any(|l| l.starts_with("Tag=produce_ack,")), "{hdr}");
    let svg = std::fs::read_to_string(&plot_path).expect("plot written");
    assert!(svg.starts_with("<svg") && svg.contains("polyline"));
}
