//! Test support: start the real `sluice-broker` binary on loopback, talk to it with a small
//! blocking client built on `sluice-proto`, and build record batches.

#![allow(dead_code)] // Each test binary uses a different part of this module.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use sluice_proto::frame::FrameDecoder;
use sluice_proto::message::*;
use sluice_proto::record_batch::BatchBuilder;
use sluice_proto::ErrorCode;

/// Every wait in these tests is bounded by this.
pub const DEADLINE: Duration = Duration::from_secs(30);

/// A running broker process with its own data directory.
pub struct TestBroker {
    pub child: Option<Child>,
    pub client_addr: SocketAddr,
    pub direct_addrs: Vec<SocketAddr>,
    pub metrics_addr: SocketAddr,
    pub data_dir: PathBuf,
    _temp: Option<tempfile::TempDir>,
    extra_args: Vec<String>,
}

impl TestBroker {
    /// Starts a broker with `shards` shards on free ports and a fresh data directory.
    pub fn start(shards: usize) -> TestBroker {
        Self::start_with(shards, &[])
    }

    /// Starts a broker with extra flags.
    pub fn start_with(shards: usize, extra: &[&str]) -> TestBroker {
        let temp = tempfile::tempdir().expect("temp dir");
        let data_dir = temp.path().join("data");
        let mut args = vec!["--shards".to_string(), shards.to_string()];
        args.extend(extra.iter().map(|s| s.to_string()));
        let mut broker = Self::spawn(&data_dir, &args);
        broker._temp = Some(temp);
        broker
    }

    fn spawn(data_dir: &Path, extra_args: &[String]) -> TestBroker {
        let mut child = Command::new(env!("CARGO_BIN_EXE_sluice-broker"))
            .args(["--listen", "127.0.0.1:0", "--shard-port-base", "0"])
            .args(["--metrics-listen", "127.0.0.1:0"])
            .arg("--data-dir")
            .arg(data_dir)
            .args(extra_args)
            .env("RUST_LOG", std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start sluice-broker");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        // The start-up line is the first thing on stdout; read_line returns when the broker
        // prints it or exits.
        BufReader::new(stdout).read_line(&mut line).expect("read start-up line");
        assert!(line.contains("listening on"), "unexpected start-up output: {line:?}");
        let (client_addr, direct_addrs, metrics_addr) = parse_startup_line(&line);
        TestBroker {
            child: Some(child),
            client_addr,
            direct_addrs,
            metrics_addr,
            data_dir: data_dir.to_owned(),
            _temp: None,
            extra_args: extra_args.to_vec(),
        }
    }

    /// Stops the broker with SIGTERM and waits for a clean exit; returns its exit status code.
    pub fn stop(&mut self) -> Option<i32> {
        let mut child = self.child.take()?;
        // SAFETY: sending a signal to our own child process.
        unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
        let status = wait_with_deadline(&mut child);
        status.code()
    }

    /// Kills the broker with SIGKILL (no flush, no goodbye).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().expect("kill");
            let _ = child.wait();
        }
    }

    /// Starts a new broker process on the same data directory (new ports).
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "stop or kill first");
        let temp = self._temp.take();
        let mut next = Self::spawn(&self.data_dir, &self.extra_args);
        next._temp = temp;
        *self = next;
    }

    /// A client on the shared client port.
    pub fn client(&self) -> TestClient {
        TestClient::connect(self.client_addr)
    }

    /// The Prometheus page.
    pub fn scrape(&self) -> String {
        let mut stream = TcpStream::connect(self.metrics_addr).expect("connect metrics");
        stream.set_read_timeout(Some(DEADLINE)).unwrap();
        write!(stream, "GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
        let mut page = String::new();
        stream.read_to_string(&mut page).expect("read metrics");
        assert!(page.starts_with("HTTP/1.1 200"), "{page}");
        page
    }

    /// Sum of a metric over all its series.
    pub fn metric_sum(&self, name: &str) -> f64 {
        let page = self.scrape();
        page.lines()
            .filter(|l| !l.starts_with('#'))
            .filter(|l| l.split(['{', ' ']).next() == Some(name))
            .map(|l| l.rsplit(' ').next().unwrap().parse::<f64>().expect("numeric sample"))
            .sum()
    }
}

impl Drop for TestBroker {
    fn drop(&mut self) {
        self.kill();
    }
}

fn wait_with_deadline(child: &mut Child) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        assert!(start.elapsed() < DEADLINE, "broker did not exit within {DEADLINE:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn parse_startup_line(line: &str) -> (SocketAddr, Vec<SocketAddr>, SocketAddr) {
    let after = |marker: &str| line.split(marker).nth(1).expect(marker).to_string();
    let client = after("listening on ").split(' ').next().unwrap().parse().unwrap();
    let direct = after("(shard-direct ")
        .split(')')
        .next()
        .unwrap()
        .split(',')
        .map(|a| a.parse().unwrap())
        .collect();
    let metrics = after("metrics http://").split('/').next().unwrap().parse().unwrap();
    (client, direct, metrics)
}

/// Polls `check` until it returns true or the deadline passes.
pub fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A blocking client that can pipeline: `send` many, then `recv` their responses.
pub struct TestClient {
    pub stream: TcpStream,
    decoder: FrameDecoder,
    buffer: BytesMut,
    encoder: MessageEncoder,
    next_id: u32,
}

impl TestClient {
    pub fn connect(addr: SocketAddr) -> TestClient {
        let stream = TcpStream::connect(addr).expect("connect");
        stream.set_read_timeout(Some(DEADLINE)).unwrap();
        stream.set_nodelay(true).unwrap();
        TestClient {
            stream,
            decoder: FrameDecoder::new(),
            buffer: BytesMut::new(),
            encoder: MessageEncoder::new(),
            next_id: 1,
        }
    }

    /// Sends a request; returns its correlation id.
    pub fn send(&mut self, body: impl Into<RequestBody>) -> u32 {
        let id = self.next_id;
        self.next_id += 1;
        let frame = self.encoder.encode_request(&Request::new(id, body)).expect("encode");
        self.stream.write_all(&frame.to_bytes()).expect("write request");
        id
    }

    /// Writes raw bytes (for bad-input tests).
    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("write raw");
    }

    /// The next response, or `None` when the broker closed the connection.
    pub fn try_recv(&mut self) -> Option<Response> {
        loop {
            if let Some(frame) = self.decoder.decode(&mut self.buffer).expect("valid framing") {
                return Some(decode_response(&frame).expect("valid response"));
            }
            let mut chunk = [0u8; 64 * 1024];
            match self.stream.read(&mut chunk) {
                Ok(0) => return None,
                Ok(n) => self.buffer.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return None,
                Err(e) => panic!("read failed: {e}"),
            }
        }
    }

    pub fn recv(&mut self) -> Response {
        self.try_recv().expect("connection closed while a response was due")
    }

    /// Sends and waits for the matching response.
    pub fn call(&mut self, body: impl Into<RequestBody>) -> ResponseBody {
        let id = self.send(body);
        let response = self.recv();
        assert_eq!(response.correlation_id, id);
        response.body
    }

    pub fn create_topic(&mut self, name: &str, partitions: u32) {
        let code = self.try_create_topic(
            name,
            TopicConfig { partitions: Some(partitions), ..Default::default() },
        );
        assert_eq!(code, ErrorCode::None, "create {name}");
    }

    pub fn try_create_topic(&mut self, name: &str, config: TopicConfig) -> ErrorCode {
        let request = CreateTopicsRequest {
            topics: vec![CreatableTopic { name: name.into(), config }],
            timeout_ms: 10_000,
            validate_only: false,
        };
        match self.call(request) {
            ResponseBody::CreateTopics(r) => r.topics[0].error_code,
            other => panic!("unexpected {other:?}"),
        }
    }

    pub fn metadata(&mut self, topics: &[&str]) -> MetadataResponse {
        match self.call(MetadataRequest { topics: topics.iter().map(|s| s.to_string()).collect() })
        {
            ResponseBody::Metadata(r) => r,
            other => panic!("unexpected {other:?}"),
        }
    }

    /// Produces one batch; returns (error, base offset).
    pub fn produce(&mut self, topic: &str, partition: u32, batch: Bytes) -> (ErrorCode, i64) {
        let response = match self.call(produce_request(topic, partition, batch)) {
            ResponseBody::Produce(r) => r,
            other => panic!("unexpected {other:?}"),
        };
        let p = &response.topics[0].partitions[0];
        (p.error_code, p.base_offset)
    }

    /// Fetches from one partition.
    pub fn fetch(
        &mut self,
        topic: &str,
        partition: u32,
        offset: i64,
        wait_ms: u32,
        min_bytes: u32,
    ) -> FetchPartitionResult {
        let request = fetch_request(topic, partition, offset, wait_ms, min_bytes);
        match self.call(request) {
            ResponseBody::Fetch(mut r) => r.topics.remove(0).partitions.remove(0),
            other => panic!("unexpected {other:?}"),
        }
    }
}

pub fn produce_request(topic: &str, partition: u32, batch: Bytes) -> ProduceRequest {
    ProduceRequest {
        acks: Acks::Leader,
        timeout_ms: 10_000,
        topics: vec![ProduceTopic {
            name: topic.into(),
            partitions: vec![ProducePartition { partition, records: BatchBytes::from(batch) }],
        }],
    }
}

pub fn fetch_request(
    topic: &str,
    partition: u32,
    offset: i64,
    wait_ms: u32,
    min_bytes: u32,
) -> FetchRequest {
    FetchRequest {
        max_wait_ms: wait_ms,
        min_bytes,
        max_bytes: 16 << 20,
        topics: vec![FetchTopic {
            name: topic.into(),
            partitions: vec![FetchPartition {
                partition,
                fetch_offset: offset,
                partition_max_bytes: 8 << 20,
                current_leader_epoch: -1,
            }],
        }],
    }
}

/// A batch of `count` records whose values are `"{prefix}-{i}"`.
pub fn batch(prefix: &str, count: usize) -> Bytes {
    let mut builder = BatchBuilder::new();
    for i in 0..count {
        let value = format!("{prefix}-{i}");
        builder.append(1_700_000_000_000 + i as i64, None, Some(value.as_bytes())).unwrap();
    }
    builder.finish()
}

/// The values of every record in `records`, with their offsets.
pub fn values(records: &BatchBytes) -> Vec<(i64, String)> {
    let mut out = Vec::new();
    for batch in sluice_proto::record_batch::BatchReader::new(records.to_bytes()) {
        let batch = batch.expect("valid batch from the broker");
        for record in batch.records() {
            let record = record.expect("valid record");
            out.push((record.offset, String::from_utf8(record.value.unwrap().to_vec()).unwrap()));
        }
    }
    out
}
