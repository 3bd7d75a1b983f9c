//! Reading a socket straight into a `BytesMut`'s spare capacity.
//!
//! glommio's `read` takes an initialised `&mut [u8]`, so the reader used to zero-fill the room
//! it was about to read into (64 KiB to 1 MiB per call) only for the kernel to overwrite it;
//! the load generator's profile had that memset as its top symbol. Here a non-blocking
//! `recv(2)` writes into the spare capacity through a raw pointer (no slice over uninitialised
//! bytes is ever formed), and only when the socket is empty does the task wait, through
//! glommio, for a one-byte `MSG_PEEK` to say data (or end of stream) has arrived.

use std::io;
use std::os::fd::AsRawFd;

use bytes::BytesMut;
use glommio::net::TcpStream;

/// Readiness waits per call before giving up: a socket that keeps reporting readable while
/// `recv` finds nothing is broken.
const READINESS_WAITS_MAX: usize = 64;

/// Reads what the socket has (at least one byte, or 0 at end of stream) into `buffer`'s spare
/// capacity, waiting until something arrives. `buffer` must have spare capacity.
pub async fn read_into_spare(stream: &TcpStream, buffer: &mut BytesMut) -> io::Result<usize> {
    assert!(buffer.capacity() > buffer.len(), "a read needs room to read into");
    for _ in 0..READINESS_WAITS_MAX {
        let spare = buffer.spare_capacity_mut();
        // SAFETY: `spare` is valid for writes of `spare.len()` bytes and recv writes at most
        // that many; the descriptor stays open for the call because `stream` is borrowed.
        let received = unsafe {
            libc::recv(
                stream.as_raw_fd(),
                spare.as_mut_ptr().cast(),
                spare.len(),
                libc::MSG_DONTWAIT,
            )
        };
        if let Ok(n) = usize::try_from(received) {
            // SAFETY: the kernel initialised the first `n` spare bytes.
            unsafe { buffer.set_len(buffer.len() + n) };
            return Ok(n);
        }
        let error = io::Error::last_os_error();
        match error.kind() {
            io::ErrorKind::WouldBlock => {
                // Returns once a byte or the end of stream is there; the recv above takes it.
                stream.peek(&mut [0u8; 1]).await?;
            }
            io::ErrorKind::Interrupted => {}
            _ => return Err(error),
        }
    }
    Err(io::Error::new(io::ErrorKind::WouldBlock, "socket readable but recv found nothing"))
}
