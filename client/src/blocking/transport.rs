//! Connections for the blocking layer: one TCP stream per endpoint, written by the owning
//! thread and read by a reader thread that turns bytes into responses and posts them as events.
//!
//! The reader threads know nothing of requests: matching responses to requests is the core's
//! job, done on the owning thread.

use std::collections::HashMap;
use std::io::{self, IoSlice, Read, Write};
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::sync::mpsc::Sender;
use std::thread::JoinHandle;
use std::time::Duration;

use sluice_proto::frame::OutgoingFrame;

pub(crate) use crate::core::IoEvent;
use crate::core::{Endpoint, ResponseReader};
use crate::error::ClientError;

/// How long opening a connection may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Bytes read from the socket per call.
const READ_CHUNK_BYTES: usize = 64 * 1024;
/// Most I/O slices passed to one vectored write.
const WRITE_SLICES_MAX: usize = 64;

struct Connection {
    stream: TcpStream,
    generation: u64,
    reader: JoinHandle<()>,
}

/// Open connections by endpoint.
pub(crate) struct Transport<E> {
    connections: HashMap<Endpoint, Connection>,
    events: Sender<E>,
    next_generation: u64,
}

impl<E: From<IoEvent> + Send + 'static> Transport<E> {
    /// Connections whose reader threads post to `events`.
    pub(crate) fn new(events: Sender<E>) -> Self {
        Transport { connections: HashMap::new(), events, next_generation: 1 }
    }

    /// Writes a frame, connecting first if needed. On failure the connection is closed and the
    /// reason returned; the caller tells the core.
    pub(crate) fn send(
        &mut self,
        endpoint: &Endpoint,
        frame: &OutgoingFrame,
    ) -> Result<(), String> {
        if !self.connections.contains_key(endpoint) {
            let connection = self.connect(endpoint).map_err(|e| e.to_string())?;
            self.connections.insert(endpoint.clone(), connection);
        }
        let connection = self.connections.get_mut(endpoint).expect("inserted above");
        if let Err(error) = write_frame(&mut connection.stream, frame) {
            self.close(endpoint);
            return Err(error.to_string());
        }
        Ok(())
    }

    /// Whether `generation` is the live connection to `endpoint` (events from connections
    /// already replaced are stale).
    pub(crate) fn is_current(&self, endpoint: &Endpoint, generation: u64) -> bool {
        self.connections.get(endpoint).is_some_and(|c| c.generation == generation)
    }

    /// Closes the connection to `endpoint`; its reader thread ends on its own.
    pub(crate) fn close(&mut self, endpoint: &Endpoint) {
        if let Some(connection) = self.connections.remove(endpoint) {
            // Ignored: the socket may already be closed by the peer, which is what we want.
            let _ = connection.stream.shutdown(Shutdown::Both);
            drop(connection.reader);
        }
    }

    fn connect(&mut self, endpoint: &Endpoint) -> Result<Connection, ClientError> {
        let failed =
            |reason: String| ClientError::Connection { endpoint: endpoint.to_string(), reason };
        let addresses = (endpoint.host.as_str(), endpoint.port)
            .to_socket_addrs()
            .map_err(|e| failed(e.to_string()))?;
        let mut last_error = String::from("no address");
        let mut stream = None;
        for address in addresses {
            match TcpStream::connect_timeout(&address, CONNECT_TIMEOUT) {
                Ok(connected) => {
                    stream = Some(connected);
                    break;
                }
                Err(error) => last_error = error.to_string(),
            }
        }
        let stream = stream.ok_or_else(|| failed(last_error))?;
        stream.set_nodelay(true).map_err(|e| failed(e.to_string()))?;
        let read_half = stream.try_clone().map_err(|e| failed(e.to_string()))?;
        let generation = self.next_generation;
        self.next_generation += 1;
        let events = self.events.clone();
        let reader_endpoint = endpoint.clone();
        let reader = std::thread::Builder::new()
            .name(format!("sluice-read-{endpoint}"))
            .spawn(move || read_responses(read_half, reader_endpoint, generation, events))
            .map_err(|e| failed(e.to_string()))?;
        Ok(Connection { stream, generation, reader })
    }
}

impl<E> Drop for Transport<E> {
    fn drop(&mut self) {
        for (_, connection) in self.connections.drain() {
            // Ignored: shutting down an already closed socket is harmless.
            let _ = connection.stream.shutdown(Shutdown::Both);
            // The reader ends once the socket is shut down; a panic in it is a bug worth seeing.
            if let Err(panic) = connection.reader.join() {
                std::panic::resume_unwind(panic);
            }
        }
    }
}

fn read_responses<E: From<IoEvent>>(
    mut stream: TcpStream,
    endpoint: Endpoint,
    generation: u64,
    events: Sender<E>,
) {
    let mut reader = ResponseReader::new();
    let mut chunk = vec![0u8; READ_CHUNK_BYTES];
    let reason = loop {
        match stream.read(&mut chunk) {
            Ok(0) => break "connection closed by the broker".to_owned(),
            Ok(read) => {
                reader.extend(&chunk[..read]);
                loop {
                    match reader.next_response() {
                        Ok(Some(response)) => {
                            let event = IoEvent::Response {
                                endpoint: endpoint.clone(),
                                generation,
                                response,
                            };
                            if events.send(event.into()).is_err() {
                                return;
                            }
                        }
                        Ok(None) => break,
                        Err(error) => {
                            let _ = stream.shutdown(Shutdown::Both);
                            let event =
                                IoEvent::Closed { endpoint, generation, reason: error.to_string() };
                            // Ignored: the owner may be gone, then nobody needs the news.
                            let _ = events.send(event.into());
                            return;
                        }
                    }
                }
            }
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => break error.to_string(),
        }
    };
    // Ignored: the owner may be gone, then nobody needs the news.
    let _ = events.send(IoEvent::Closed { endpoint, generation, reason }.into());
}

/// Writes a frame's chunks with vectored writes, without joining them.
fn write_frame(stream: &mut TcpStream, frame: &OutgoingFrame) -> io::Result<()> {
    let chunks: Vec<&[u8]> = frame.chunks().map(|c| &c[..]).filter(|c| !c.is_empty()).collect();
    let (mut index, mut offset) = (0usize, 0usize);
    while index < chunks.len() {
        let end = (index + WRITE_SLICES_MAX).min(chunks.len());
        let slices: Vec<IoSlice<'_>> = std::iter::once(IoSlice::new(&chunks[index][offset..]))
            .chain(chunks[index + 1..end].iter().map(|c| IoSlice::new(c)))
            .collect();
        let mut written = match stream.write_vectored(&slices) {
            Ok(0) => {
                return Err(io::Error::new(io::ErrorKind::WriteZero, "socket accepted no bytes"))
            }
            Ok(written) => written,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        while written > 0 {
            let remaining = chunks[index].len() - offset;
            if written >= remaining {
                written -= remaining;
                index += 1;
                offset = 0;
            } else {
                offset += written;
                written = 0;
            }
        }
    }
    Ok(())
}
