//! One client connection: read frames, serve requests concurrently (pipelining), write
//! responses as they complete (matched by correlation id, not by order).
//!
//! Backpressure: every request holds permits worth its frame size from the connection's
//! in-flight budget until its response is written. When the budget is spent the reader stops
//! reading the socket, so a client that floods requests, or stops reading responses, is slowed
//! by TCP rather than buffered without bound.
//!
//! The socket is used through two descriptors (one dup'ed), one per task, so reading and
//! writing proceed independently without sharing a lock.

mod read_room;
pub mod request_entry;
mod response_writer;
mod socket_read;

use std::os::fd::{AsRawFd, FromRawFd};
use std::rc::Rc;
use std::time::Duration;

use bytes::BytesMut;
use glommio::channels::local_channel;
use glommio::net::TcpStream;
use glommio::sync::Semaphore;
use sluice_proto::frame::FrameDecoder;

use crate::shard::ShardContext;
use response_writer::{Outgoing, ResponseWriter};

/// Responses queued for the writer before request tasks wait for it.
const RESPONSE_QUEUE_CAPACITY: usize = 256;
/// How long the writer waits for a stalled client before giving up on the connection.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// Serves one connection until the client closes it, it breaks framing, or the shard shuts
/// down (then in-flight requests are answered before the socket closes).
pub async fn serve(shard: Rc<ShardContext>, stream: TcpStream) {
    let peer = stream.peer_addr().map(|a| a.to_string()).unwrap_or_else(|_| "?".into());
    let span = tracing::debug_span!("connection", shard = shard.id, %peer);
    let _enter = span.enter();
    if let Err(e) = stream.set_nodelay(true) {
        tracing::debug!(error = %e, "cannot set TCP_NODELAY");
    }
    // SAFETY: dup returns a fresh descriptor we own exclusively; it is wrapped right away so it
    // is closed exactly once, when the writer stream drops.
    let writer_fd = unsafe { libc::dup(stream.as_raw_fd()) };
    if writer_fd < 0 {
        tracing::warn!(error = %std::io::Error::last_os_error(), "cannot dup the socket; closing");
        return;
    }
    let writer_stream = unsafe { TcpStream::from_raw_fd(writer_fd) };
    if let Err(e) = writer_stream.set_write_timeout(Some(WRITE_TIMEOUT)) {
        tracing::debug!(error = %e, "cannot set the write timeout");
    }
    let (tx, rx) = local_channel::new_bounded::<Outgoing>(RESPONSE_QUEUE_CAPACITY);
    let tx = Rc::new(tx);
    let writer = glommio::spawn_local(ResponseWriter::new(writer_stream, rx).run()).detach();
    let budget = Rc::new(Semaphore::new(shard.shared.config.connection_inflight_bytes as u64));
    read_requests(&shard, stream, &tx, &budget).await;
    // Dropping our sender lets the writer finish once every in-flight request has answered.
    drop(tx);
    let _ = writer.await;
}

async fn read_requests(
    shard: &Rc<ShardContext>,
    stream: TcpStream,
    tx: &Rc<local_channel::LocalSender<Outgoing>>,
    budget: &Rc<Semaphore>,
) {
    let budget_bytes = shard.shared.config.connection_inflight_bytes as u64;
    let mut decoder = FrameDecoder::new();
    let mut room = read_room::ReadRoom::default();
    let mut buffer = BytesMut::with_capacity(room.bytes());
    loop {
        let frame = match decoder.decode_mut(&mut buffer) {
            Ok(Some(frame)) => frame,
            Ok(None) => {
                // The decoder has reserved room for the rest of a pending frame (up to its
                // reserve-ahead bound): read into all of it, so a large frame arrives in few
                // calls and is never copied between buffers.
                if buffer.capacity() - buffer.len() < room.bytes() {
                    buffer.reserve(room.bytes());
                }
                let spare = buffer.capacity() - buffer.len();
                let read = futures_lite::future::or(
                    async { Some(socket_read::read_into_spare(&stream, &mut buffer).await) },
                    async {
                        shard.shutdown.triggered().await;
                        None
                    },
                )
                .await;
                match read {
                    Some(Ok(0)) | None => return,
                    Some(Ok(n)) => room.after_read(spare, n),
                    Some(Err(e)) => {
                        tracing::debug!(error = %e, "read failed; closing");
                        return;
                    }
                }
                continue;
            }
            Err(e) => {
                tracing::info!(error = %e, "broken framing; closing the connection");
                shard.metrics.borrow_mut().request_errors_total += 1;
                return;
            }
        };
        // Frames are bounded by the maximum frame size and the budget is at least that, so
        // this completes once earlier requests have answered.
        let size = (frame.wire_len() as u64).min(budget_bytes);
        let Ok(permit) = budget.clone().acquire_static_permit(size).await else { return };
        let pending = match request_entry::accept_frame(shard, frame, budget, budget_bytes).await {
            request_entry::FrameOutcome::Close => return,
            request_entry::FrameOutcome::Pending(pending) => pending,
        };
        let tx = tx.clone();
        glommio::spawn_local(async move {
            let (response, payload_permit) = pending.response().await;
            if let Some(response) = response {
                let _ = tx.send(Outgoing { response, permit, payload_permit }).await;
            }
        })
        .detach();
    }
}
