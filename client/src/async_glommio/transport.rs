//! Connections for the glommio layer: one TCP stream per endpoint, split into a write half used
//! by the driver and a reader task that decodes responses and posts them as events.

use std::collections::HashMap;
use std::net::ToSocketAddrs;
use std::rc::Rc;
use std::time::Duration;

use futures_lite::io::{split, AsyncReadExt, AsyncWriteExt, WriteHalf};
use glommio::channels::local_channel::LocalSender;
use glommio::net::TcpStream;
use glommio::Task;
use sluice_proto::frame::OutgoingFrame;

use crate::core::{Endpoint, IoEvent, ResponseReader};

/// How long opening a connection may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Bytes read from the socket per call.
const READ_CHUNK_BYTES: usize = 64 * 1024;

/// Chunks at least this long are written straight from their own buffer; shorter ones are
/// copied together first.
const DIRECT_WRITE_BYTES_MIN: usize = 16 * 1024;

struct Connection {
    writer: WriteHalf<TcpStream>,
    /// Small chunks of the frame being written, gathered into one send.
    coalesced: Vec<u8>,
    generation: u64,
    _reader: Task<()>,
}

/// Open connections by endpoint.
pub(crate) struct AsyncTransport<E: 'static> {
    connections: HashMap<Endpoint, Connection>,
    events: Rc<LocalSender<E>>,
    next_generation: u64,
}

impl<E: From<IoEvent> + 'static> AsyncTransport<E> {
    pub(crate) fn new(events: Rc<LocalSender<E>>) -> Self {
        AsyncTransport { connections: HashMap::new(), events, next_generation: 1 }
    }

    /// Writes a frame, connecting first if needed. On failure the connection is closed and
    /// the reason returned; the caller tells the core.
    pub(crate) async fn send(
        &mut self,
        endpoint: &Endpoint,
        frame: &OutgoingFrame,
    ) -> Result<(), String> {
        if !self.connections.contains_key(endpoint) {
            let connection = self.connect(endpoint).await?;
            self.connections.insert(endpoint.clone(), connection);
        }
        let connection = self.connections.get_mut(endpoint).expect("inserted above");
        let written = write_frame(connection, frame).await;
        if let Err(error) = written {
            self.close(endpoint);
            return Err(error.to_string());
        }
        Ok(())
    }

    pub(crate) fn is_current(&self, endpoint: &Endpoint, generation: u64) -> bool {
        self.connections.get(endpoint).is_some_and(|c| c.generation == generation)
    }

    /// Drops the connection; dropping its reader task cancels it.
    pub(crate) fn close(&mut self, endpoint: &Endpoint) {
        self.connections.remove(endpoint);
    }

    async fn connect(&mut self, endpoint: &Endpoint) -> Result<Connection, String> {
        let address = (endpoint.host.as_str(), endpoint.port)
            .to_socket_addrs()
            .map_err(|e| e.to_string())?
            .next()
            .ok_or_else(|| format!("{endpoint} resolves to no address"))?;
        let stream = TcpStream::connect_timeout(address, CONNECT_TIMEOUT)
            .await
            .map_err(|e| e.to_string())?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        let (mut reader_half, writer) = split(stream);
        let generation = self.next_generation;
        self.next_generation += 1;
        let events = self.events.clone();
        let endpoint = endpoint.clone();
        let reader = glommio::spawn_local(async move {
            let mut reader = ResponseReader::new();
            let mut chunk = vec![0u8; READ_CHUNK_BYTES];
            let reason = loop {
                match reader_half.read(&mut chunk).await {
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
                                    if events.send(event.into()).await.is_err() {
                                        return;
                                    }
                                }
                                Ok(None) => break,
                                Err(error) => {
                                    let event = IoEvent::Closed {
                                        endpoint,
                                        generation,
                                        reason: error.to_string(),
                                    };
                                    // Ignored: the owner may be gone, then nobody needs the news.
                                    let _ = events.send(event.into()).await;
                                    return;
                                }
                            }
                        }
                    }
                    Err(error) => break error.to_string(),
                }
            };
            // Ignored: the owner may be gone, then nobody needs the news.
            let _ = events.send(IoEvent::Closed { endpoint, generation, reason }.into()).await;
        });
        Ok(Connection { writer, coalesced: Vec::new(), generation, _reader: reader })
    }
}

/// Writes a frame with as few sends as its chunks allow. glommio's stream has no vectored
/// write, and with TCP_NODELAY every send is its own segment: a frame's small head and small
/// batches go out as one send (a copy is cheap beside a syscall and a broker wake-up per
/// chunk), large batches straight from their buffers.
async fn write_frame(connection: &mut Connection, frame: &OutgoingFrame) -> std::io::Result<()> {
    connection.coalesced.clear();
    for chunk in frame.chunks() {
        if chunk.len() < DIRECT_WRITE_BYTES_MIN {
            connection.coalesced.extend_from_slice(chunk);
            continue;
        }
        if !connection.coalesced.is_empty() {
            connection.writer.write_all(&connection.coalesced).await?;
            connection.coalesced.clear();
        }
        connection.writer.write_all(chunk).await?;
    }
    if !connection.coalesced.is_empty() {
        connection.writer.write_all(&connection.coalesced).await?;
    }
    Ok(())
}
