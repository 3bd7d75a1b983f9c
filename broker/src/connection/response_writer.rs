//! Writing responses to the socket.
//!
//! Small responses (produce acknowledgements, metadata) are gathered into one buffer and
//! written with one call while more are queued; a response carrying batch bytes has its head
//! written from that buffer and its batches written straight from the bytes the log returned,
//! never copied.

use bytes::BytesMut;
use futures_lite::AsyncWriteExt;
use glommio::channels::local_channel::LocalReceiver;
use glommio::net::TcpStream;
use glommio::sync::StaticPermit;
use sluice_proto::message::{MessageEncoder, Response};

/// Buffered head bytes above which the writer flushes even if more responses are queued.
const COALESCE_BYTES_MAX: usize = 64 * 1024;

/// A response and the in-flight budget its request holds until it is written.
pub struct Outgoing {
    /// The response.
    pub response: Response,
    /// Released once the response is on the socket.
    pub permit: StaticPermit,
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
                    return;
                }
                if self.buffer.len() < COALESCE_BYTES_MAX {
                    // Take whatever is already queued without waiting for more.
                    next = futures_lite::future::poll_once(self.queue.recv()).await.flatten();
                }
            }
            if let Err(e) = self.flush().await {
                tracing::debug!(error = %e, "write failed; dropping the connection");
                return;
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
        self.buffer.extend_from_slice(frame.head());
        if frame.payload().is_empty() {
            return Ok(());
        }
        self.flush().await?;
        for chunk in frame.payload() {
            self.stream.write_all(chunk).await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> std::io::Result<()> {
        if !self.buffer.is_empty() {
            self.stream.write_all(&self.buffer).await?;
            self.buffer.clear();
        }
        Ok(())
    }
}
