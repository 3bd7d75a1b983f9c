//! One TCP connection split into a request writer and a response reader, each owned by its own
//! task so requests pipeline while responses stream back.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd};

use bytes::BytesMut;
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use glommio::net::TcpStream;
use sluice_proto::frame::FrameDecoder;
use sluice_proto::message::{decode_response, MessageEncoder, Request, Response};

use crate::error::LoadgenError;

/// Bytes asked of the socket per read.
const READ_CHUNK_BYTES: usize = 256 * 1024;

/// Connects to `addr` (TCP_NODELAY on) and splits the connection.
pub async fn connect(addr: &str) -> Result<(RequestWriter, ResponseReader), LoadgenError> {
    let fail = |source: io::Error| LoadgenError::Connect { addr: addr.to_owned(), source };
    let stream = TcpStream::connect(addr).await.map_err(|e| fail(e.into()))?;
    stream.set_nodelay(true).map_err(|e| fail(e.into()))?;
    // Reading and writing proceed in different tasks; each gets its own descriptor so neither
    // holds a lock the other needs.
    // SAFETY: dup returns a fresh descriptor that nothing else owns; it is wrapped at once so
    // it is closed exactly once, when the writer drops.
    let writer_fd = unsafe { libc::dup(stream.as_raw_fd()) };
    if writer_fd < 0 {
        return Err(fail(io::Error::last_os_error()));
    }
    // SAFETY: `writer_fd` is a valid, connected TCP socket descriptor owned by no one else.
    let writer_stream = unsafe { TcpStream::from_raw_fd(writer_fd) };
    Ok((
        RequestWriter {
            stream: writer_stream,
            encoder: MessageEncoder::new(),
            buffer: Vec::new(),
            next_correlation_id: 1,
        },
        ResponseReader {
            stream,
            decoder: FrameDecoder::new(),
            buffer: BytesMut::with_capacity(READ_CHUNK_BYTES),
            scratch: vec![0; READ_CHUNK_BYTES],
        },
    ))
}

/// The sending half: encodes requests, assigns correlation ids, writes whole frames.
pub struct RequestWriter {
    stream: TcpStream,
    encoder: MessageEncoder,
    buffer: Vec<u8>,
    next_correlation_id: u32,
}

impl RequestWriter {
    /// The correlation id the next [`send`](Self::send) will use, so a caller can register
    /// the request before its answer can possibly arrive.
    pub fn next_correlation_id(&self) -> u32 {
        self.next_correlation_id
    }

    /// Sends `request` with a fresh correlation id and returns that id.
    pub async fn send(&mut self, mut request: Request) -> Result<u32, LoadgenError> {
        let correlation_id = self.next_correlation_id;
        self.next_correlation_id = self.next_correlation_id.wrapping_add(1).max(1);
        request.correlation_id = correlation_id;
        let frame = self
            .encoder
            .encode_request(&request)
            .map_err(|e| LoadgenError::Protocol(format!("cannot encode a request: {e}")))?;
        // One contiguous write per frame: the copy is cheap beside a syscall per chunk.
        self.buffer.clear();
        for chunk in frame.chunks() {
            self.buffer.extend_from_slice(chunk);
        }
        self.stream
            .write_all(&self.buffer)
            .await
            .map_err(|source| LoadgenError::Connect { addr: peer(&self.stream), source })?;
        Ok(correlation_id)
    }
}

/// The receiving half: reads and decodes response frames.
pub struct ResponseReader {
    stream: TcpStream,
    decoder: FrameDecoder,
    buffer: BytesMut,
    scratch: Vec<u8>,
}

impl ResponseReader {
    /// The next response; `Ok(None)` when the broker closed the connection cleanly.
    pub async fn next(&mut self) -> Result<Option<Response>, LoadgenError> {
        loop {
            let frame = self
                .decoder
                .decode(&mut self.buffer)
                .map_err(|e| LoadgenError::Protocol(format!("bad frame: {e}")))?;
            if let Some(frame) = frame {
                let response = decode_response(&frame)
                    .map_err(|e| LoadgenError::Protocol(format!("bad response: {e}")))?;
                return Ok(Some(response));
            }
            // Read into a scratch buffer zeroed once, then append only what arrived: zeroing
            // fresh room in the frame buffer on every read cost more than the reads (memset
            // was the load generator's top symbol under perf).
            match self.stream.read(&mut self.scratch).await {
                Ok(0) => return Ok(None),
                Ok(n) => self.buffer.extend_from_slice(&self.scratch[..n]),
                Err(source) => {
                    return Err(LoadgenError::Connect { addr: peer(&self.stream), source });
                }
            }
        }
    }
}

/// Sends one request and waits for its response (admin calls, one at a time).
pub async fn call(
    writer: &mut RequestWriter,
    reader: &mut ResponseReader,
    request: Request,
) -> Result<Response, LoadgenError> {
    let correlation_id = writer.send(request).await?;
    let response = reader
        .next()
        .await?
        .ok_or_else(|| LoadgenError::Protocol("the broker closed the connection".into()))?;
    if response.correlation_id != correlation_id {
        return Err(LoadgenError::Protocol(format!(
            "response to {} while waiting for {correlation_id}",
            response.correlation_id
        )));
    }
    Ok(response)
}

fn peer(stream: &TcpStream) -> String {
    stream.peer_addr().map_or_else(|_| "broker".into(), |a| a.to_string())
}
