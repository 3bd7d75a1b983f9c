//! A real `sluice-broker` process for end-to-end tests, built once per test binary.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How long a broker may take to print its listening line.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A running broker and where it listens.
pub struct Broker {
    child: Option<Child>,
    pub data_dir: tempfile::TempDir,
    /// `host:port` of the shared client port.
    pub address: String,
    /// `host:port` of each shard's direct port.
    pub shard_addresses: Vec<String>,
    /// URL of the Prometheus endpoint.
    pub metrics_url: String,
    port: u16,
}

fn broker_binary() -> PathBuf {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY
        .get_or_init(|| {
            // tests live in target/<profile>/deps/; the broker binary goes to target/<profile>/.
            let exe = std::env::current_exe().expect("test executable path");
            let profile_dir = exe.parent().and_then(|deps| deps.parent()).expect("target dir");
            let binary = profile_dir.join("sluice-broker");
            let status = Command::new(env!("CARGO"))
                .args(["build", "-p", "sluice-broker", "--bin", "sluice-broker"])
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .status()
                .expect("run cargo build");
            assert!(status.success(), "building sluice-broker failed");
            assert!(binary.exists(), "sluice-broker not at {}", binary.display());
            binary
        })
        .clone()
}

/// A port free right now (the OS may hand it out again, but not within a test's lifetime in
/// practice; loopback only).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Broker {
    /// Starts a broker with two shards on free ports.
    pub fn start() -> Broker {
        let data_dir = tempfile::tempdir().expect("temp dir");
        Broker::start_in(data_dir, 0)
    }

    fn start_in(data_dir: tempfile::TempDir, port: u16) -> Broker {
        let (child, line) = spawn(&data_dir, port).expect("broker started");
        Broker::from_line(child, data_dir, &line)
    }

    fn from_line(child: Child, data_dir: tempfile::TempDir, line: &str) -> Broker {
        let address = between(line, "listening on ", " ").to_owned();
        let shard_addresses =
            between(line, "(shard-direct ", ")").split(',').map(str::to_owned).collect();
        let metrics_url = between(line, "metrics ", ",").to_owned();
        let port = address.rsplit_once(':').unwrap().1.parse().unwrap();
        Broker { child: Some(child), data_dir, address, shard_addresses, metrics_url, port }
    }

    /// Kills the broker (SIGKILL) and starts it again on the same client port and data.
    pub fn restart(mut self) -> Broker {
        self.kill();
        let data_dir = std::mem::replace(&mut self.data_dir, tempfile::tempdir().unwrap());
        let deadline = Instant::now() + START_TIMEOUT;
        // The old socket may linger for a moment after the kill; retry the bind until the
        // deadline.
        loop {
            if let Some((child, line)) = spawn(&data_dir, self.port) {
                return Broker::from_line(child, data_dir, &line);
            }
            assert!(Instant::now() < deadline, "broker did not restart on port {}", self.port);
            std::thread::yield_now();
        }
    }

    /// Kills the broker (SIGKILL).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Sum of a counter over every label set, from the metrics endpoint.
    pub fn metric_sum(&self, name: &str) -> f64 {
        let body = http_get(&self.metrics_url);
        body.lines()
            .filter(|line| !line.starts_with('#'))
            .filter(|line| line.split(['{', ' ']).next() == Some(name))
            .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    }
}

/// Starts a broker process; `None` if it exited without printing its listening line.
fn spawn(data_dir: &tempfile::TempDir, port: u16) -> Option<(Child, String)> {
    let mut child = Command::new(broker_binary())
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args(["--shard-port-base", "0", "--metrics-listen", "127.0.0.1:0", "--shards", "2"])
        .arg("--data-dir")
        .arg(data_dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start sluice-broker");
    let stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let (lines, received) = mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        let _ = reader.read_line(&mut line);
        let _ = lines.send(line);
        // Keep draining so the broker never blocks on a full pipe.
        let _ = std::io::copy(&mut reader, &mut std::io::sink());
    });
    std::thread::spawn(move || {
        let mut buffer = Vec::new();
        let _ = stderr.read_to_end(&mut buffer);
    });
    let line = received.recv_timeout(START_TIMEOUT).expect("broker stdout closed or printed");
    if line.contains("listening on") {
        Some((child, line))
    } else {
        let _ = child.kill();
        let _ = child.wait();
        None
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.kill();
    }
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text.find(start).unwrap_or_else(|| panic!("no {start:?} in {text:?}")) + start.len();
    let rest = &text[from..];
    rest[..rest.find(end).unwrap_or(rest.len())].trim()
}

fn http_get(url: &str) -> String {
    use std::io::Write;
    let rest = url.strip_prefix("http://").expect("http url");
    let (host, path) =
        rest.split_once('/').map_or((rest, "/".to_owned()), |(h, p)| (h, format!("/{p}")));
    let mut stream = std::net::TcpStream::connect(host).expect("connect to metrics");
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {host}\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read metrics");
    response.split_once("\r\n\r\n").map(|(_, body)| body.to_owned()).unwrap_or_default()
}
