//! Writing responses to the socket.
//!
//! Small responses (produce acknowledgements, metadata) and small batches are gathered into
//! one buffer and written with one call while more are queued; batches above
//! [`CHUNK_COPY_BYTES_MAX`] are written straight from the bytes the log returned, never copied.

use bytes::BytesMut;
use futures_lite::AsyncWriteExt;
use glommio::channels::local_channel::LocalReceiver;
use glommio::net::TcpStream;
use glommio::sync::StaticPermit;
use sluice_proto::message::{MessageEncoder, Response};

/// Buffered bytes above which the writer flushes even if more responses are queued.
const COALESCE_BYTES_MAX: usize = 64 * 1024;

/// Batch chunks below this size are copied into the write buffer (one write call for many
/// small batches beats a call each); larger ones are written straight from the log's bytes.
const CHUNK_COPY_BYTES_MAX: usize = 16 * 1024;

/// A response and the in-flight budget its request holds until it is written.
pub struct Outgoing {
    /// The response.
    pub response: Response,
    /// Released once the response is on the socket.
    pub permit: StaticPermit,
    /// The budget held for the response's batch bytes, released with it.
    pub payload_permit: Option<StaticPermit>,
}

/// The connection's writing half.
pub struct ResponseWriter {
    stream: TcpStream,
    queue: LocalReceiver<Outgoing>,
    encoder: MessageEncoder,
    buffer: BytesMut,
}

impl ResponseWriter {
    /// A writer for `stream` fed by `queue`.
    pub fn new(stream: TcpStream, queue: LocalReceiver<Outgoing>) -> ResponseWriter {
        ResponseWriter { stream, queue, encoder: MessageEncoder::new(), buffer: BytesMut::new() }
    }

    /// Writes responses until every sender is gone, then closes the socket's write side.
    pub async fn run(mut self) {
        let mut held: Vec<StaticPermit> = Vec::new();
        while let Some(first) = self.queue.recv().await {
            let mut next = Some(first);
            while let Some(outgoing) = next.take() {
                if let Err(e) = self.push(outgoing, &mut held).await {
                    tracing::debug!(error = %e, "write failed; dropping the connection");
                    return self.abandon().await;
                }
                if self.buffer.len() < COALESCE_BYTES_MAX {
                    // Take whatever is already queued without waiting for more.
                    next = futures_lite::future::poll_once(self.queue.recv()).await.flatten();
                }
            }
            if let Err(e) = self.flush().await {
                tracing::debug!(error = %e, "write failed; dropping the connection");
                return self.abandon().await;
            }
            held.clear();
        }
        let _ = self.stream.close().await;
    }

    async fn push(
        &mut self,
        outgoing: Outgoing,
        held: &mut Vec<StaticPermit>,
    ) -> std::io::Result<()> {
        let frame = match self.encoder.encode_response(&outgoing.response) {
            Ok(frame) => frame,
            Err(e) => {
                // Only a response too large for a frame gets here; fetch budgets keep that
                // from happening, so this is a bug worth a loud log, not a crash.
                tracing::error!(error = %e, "cannot encode a response; dropping it");
                return Ok(());
            }
        };
        held.push(outgoing.permit);
        held.extend(outgoing.payload_permit);
        self.buffer.extend_from_slice(frame.head());
        for chunk in frame.payload() {
            if chunk.len() <= CHUNK_COPY_BYTES_MAX {
                self.buffer.extend_from_slice(chunk);
                if self.buffer.len() >= COALESCE_BYTES_MAX {
                    self.flush().await?;
                }
            } else {
                self.flush().await?;
                self.stream.write_all(chunk).await?;
            }
        }
        Ok(())
    }

    /// Gives up on a client that stopped taking responses: shutting the socket down both
    /// ways also ends the reader, so the broker stops serving requests nobody will see.
    async fn abandon(self) {
        let _ = self.stream.shutdown(std::net::Shutdown::Both).await;
    }

    async fn flush(&mut self) -> std::io::Result<()> {
        if !self.buffer.is_empty() {
            self.stream.write_all(&self.buffer).await?;
            self.buffer.clear();
        }
        Ok(())
    }
}
