//! The `/metrics` HTTP endpoint.
//!
//! It runs on a plain thread of its own, not on a shard: a scrape must never compete with the
//! data path, and this thread only reads published snapshots. One route over HTTP/1.0-style
//! request/response with bounded reads does not justify an HTTP server dependency.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use super::{render, SnapshotSlot};

/// Largest request head we read before answering 400.
const REQUEST_HEAD_BYTES_MAX: usize = 8 * 1024;
/// A scraper that sends nothing for this long is dropped.
const SCRAPE_IO_TIMEOUT: Duration = Duration::from_secs(5);

/// Why the endpoint could not start.
#[derive(Debug, thiserror::Error)]
#[error("cannot listen for metrics on {addr}: {source}")]
pub struct MetricsEndpointError {
    /// The configured address.
    pub addr: SocketAddr,
    /// What the OS said.
    pub source: std::io::Error,
}

/// A bound metrics listener.
#[derive(Debug)]
pub struct MetricsEndpoint {
    listener: TcpListener,
}

impl MetricsEndpoint {
    /// Binds the listener (so a bad address fails start-up, not a later scrape).
    pub fn bind(addr: SocketAddr) -> Result<MetricsEndpoint, MetricsEndpointError> {
        let listener =
            TcpListener::bind(addr).map_err(|source| MetricsEndpointError { addr, source })?;
        Ok(MetricsEndpoint { listener })
    }

    /// The address actually bound (port 0 resolved).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves scrapes forever on a new thread.
    pub fn spawn(self, slots: Vec<SnapshotSlot>) -> std::io::Result<std::thread::JoinHandle<()>> {
        std::thread::Builder::new().name("sluice-metrics".into()).spawn(move || {
            for stream in self.listener.incoming() {
                match stream {
                    Ok(stream) => {
                        if let Err(e) = serve_one(stream, &slots) {
                            tracing::debug!(error = %e, "metrics scrape failed");
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "metrics accept failed"),
                }
            }
        })
    }
}

fn serve_one(mut stream: TcpStream, slots: &[SnapshotSlot]) -> std::io::Result<()> {
    stream.set_read_timeout(Some(SCRAPE_IO_TIMEOUT))?;
    stream.set_write_timeout(Some(SCRAPE_IO_TIMEOUT))?;
    let mut head = Vec::with_capacity(512);
    let mut chunk = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        if head.len() > REQUEST_HEAD_BYTES_MAX {
            return respond(&mut stream, "400 Bad Request", "text/plain", "request too large\n");
        }
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Ok(());
        }
        head.extend_from_slice(&chunk[..n]);
    }
    let request_line = head.split(|&b| b == b'\r').next().unwrap_or_default();
    let mut parts = request_line.split(|&b| b == b' ');
    let (method, path) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
    if method != b"GET" {
        return respond(&mut stream, "405 Method Not Allowed", "text/plain", "use GET\n");
    }
    if path != b"/metrics" && !path.starts_with(b"/metrics?") {
        return respond(&mut stream, "404 Not Found", "text/plain", "try /metrics\n");
    }
    let snapshots: Vec<_> = slots.iter().filter_map(SnapshotSlot::latest).collect();
    respond(&mut stream, "200 OK", "text/plain; version=0.0.4; charset=utf-8", &render(&snapshots))
}

fn respond(
    stream: &mut TcpStream,
    status: &str,
    content_type: &str,
    body: &str,
) -> std::io::Result<()> {
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    stream.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::ShardMetrics;

    fn get(addr: SocketAddr, path: &str) -> String {
        let mut s = TcpStream::connect(addr).unwrap();
        write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    }

    #[test]
    fn given_published_snapshot_when_scraped_should_serve_it() {
        let endpoint = MetricsEndpoint::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = endpoint.local_addr().unwrap();
        let slot = SnapshotSlot::default();
        let mut m = ShardMetrics::new(0);
        m.bytes_in_total = 42;
        slot.publish(&m);
        endpoint.spawn(vec![slot]).unwrap();
        let page = get(addr, "/metrics");
        assert!(page.starts_with("HTTP/1.1 200 OK"), "{page}");
        assert!(page.contains("sluice_bytes_in_total{shard=\"0\"} 42"), "{page}");
        assert!(get(addr, "/nope").starts_with("HTTP/1.1 404"));
    }
}
