//! The write path of the active segment: appended bytes are copied once, straight into an
//! aligned DMA buffer, and go to disk from that buffer in 4 KiB-aligned direct I/O writes.
//!
//! A write takes the filled buffer with it and leaves a fresh one behind, so appends carry on
//! while the write is in flight. Only the last, partly filled block is copied into the fresh
//! buffer: it is written again, completed, by the next write. Bytes handed to a write and not
//! yet on disk are in neither place a reader can look; [`DmaAppender::locate`] says so and the
//! reader waits for the write. [`write_blocks`] is the one place in the crate that writes log
//! data, and it asserts the alignment.

use std::path::Path;

use glommio::io::{DmaBuffer, DmaFile};

use crate::config::DMA_BLOCK_BYTES;
use crate::error::{StorageError, StorageResult};

/// Smallest buffer an appender starts with; it grows (doubling) while appends outpace writes,
/// and each write's fresh buffer is sized by that write, so the size follows the load.
const BUFFER_BYTES_MIN: usize = 64 * 1024;

/// Buffered tail of the active segment.
pub struct DmaAppender {
    /// `buffer[..len]` holds the segment's bytes from `buffer_position` to the logical end.
    buffer: DmaBuffer,
    len: usize,
    /// File position of `buffer[0]`; always block-aligned.
    buffer_position: u64,
    /// Logical end of the bytes known to be written to the file.
    written_end: u64,
    /// Logical end of the write handed to the disk and not completed yet.
    write_in_flight_end: Option<u64>,
    /// A write failed: the bytes from `written_end` to here were lost with it.
    lost_end: Option<u64>,
}

impl std::fmt::Debug for DmaAppender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DmaAppender")
            .field("buffer_bytes", &self.buffer.len())
            .field("len", &self.len)
            .field("buffer_position", &self.buffer_position)
            .field("written_end", &self.written_end)
            .field("write_in_flight_end", &self.write_in_flight_end)
            .field("lost_end", &self.lost_end)
            .finish()
    }
}

/// One write prepared from the buffer: whole blocks, padded with zeros.
pub struct PreparedWrite {
    buffer: DmaBuffer,
    position: u64,
    /// Logical segment end this write brings the file to.
    pub logical_end: u64,
}

/// Where the bytes at a segment position are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BytesLocation {
    /// On disk, readable up to `end`.
    Disk {
        /// Exclusive end of the bytes a disk read may return.
        end: u64,
    },
    /// In the appender's buffer: [`DmaAppender::copy_buffered`] returns them.
    Buffer,
    /// Handed to a write that has not completed: wait for it, then read from disk.
    InFlight,
    /// Handed to a write that failed: they are gone.
    Lost,
}

impl DmaAppender {
    /// An appender for a segment whose data ends at `end`, where `tail_block` holds the bytes
    /// of the last partial block (`end % 4096` of them), already on disk.
    pub fn new(file: &DmaFile, end: u64, tail_block: &[u8]) -> DmaAppender {
        let buffer_position = end - end % DMA_BLOCK_BYTES;
        assert_eq!(
            tail_block.len() as u64,
            end - buffer_position,
            "tail block is the partial block"
        );
        let mut buffer = file.alloc_dma_buffer(BUFFER_BYTES_MIN);
        buffer.as_bytes_mut()[..tail_block.len()].copy_from_slice(tail_block);
        DmaAppender {
            buffer,
            len: tail_block.len(),
            buffer_position,
            written_end: end,
            write_in_flight_end: None,
            lost_end: None,
        }
    }

    /// Logical end of the segment data, written or not.
    pub fn end(&self) -> u64 {
        self.buffer_position + self.len as u64
    }

    /// Bytes appended but not yet written.
    pub fn pending_bytes(&self) -> u64 {
        self.end() - self.written_end
    }

    /// Logical end of the data on disk.
    pub fn written_end(&self) -> u64 {
        self.written_end
    }

    /// Where the byte at `position` (below [`Self::end`]) is to be read from.
    pub fn locate(&self, position: u64) -> BytesLocation {
        if position >= self.buffer_position {
            return BytesLocation::Buffer;
        }
        if position < self.written_end {
            // Bytes from `buffer_position` on are rewritten by the next write; read them from
            // the buffer, which holds their latest state.
            return BytesLocation::Disk { end: self.written_end.min(self.buffer_position) };
        }
        if self.lost_end.is_some() {
            return BytesLocation::Lost;
        }
        assert!(
            self.write_in_flight_end.is_some(),
            "unwritten bytes below the buffer are in flight"
        );
        BytesLocation::InFlight
    }

    /// Copies bytes into the buffer: the one copy of appended data before it reaches the disk.
    pub fn push(&mut self, file: &DmaFile, bytes: &[u8]) {
        let needed = self.len + bytes.len();
        if needed > self.buffer.len() {
            // Growing copies what is buffered; the size is kept afterwards, so this happens
            // only while the appender finds its working size.
            let bytes_max =
                needed.max(2 * self.buffer.len()).next_multiple_of(DMA_BLOCK_BYTES as usize);
            let mut grown = file.alloc_dma_buffer(bytes_max);
            grown.as_bytes_mut()[..self.len].copy_from_slice(&self.buffer.as_bytes()[..self.len]);
            self.buffer = grown;
        }
        self.buffer.as_bytes_mut()[self.len..needed].copy_from_slice(bytes);
        self.len = needed;
    }

    /// Copies `[position, position + len)` out of the buffer, if the buffer holds all of it.
    pub fn copy_buffered(&self, position: u64, len: usize) -> Option<Vec<u8>> {
        let start = position.checked_sub(self.buffer_position)? as usize;
        self.buffer.as_bytes()[..self.len].get(start..start + len).map(<[u8]>::to_vec)
    }

    /// Hands every buffered byte, padded to whole blocks, to a write, and carries the partial
    /// last block over into a fresh buffer so appends go on meanwhile. `None` when nothing is
    /// pending. Exactly one write is in flight at a time: the caller holds the log's I/O permit
    /// from here to [`Self::complete_write`] or [`Self::fail_write`].
    pub fn prepare_write(&mut self, file: &DmaFile) -> Option<PreparedWrite> {
        assert!(self.write_in_flight_end.is_none(), "one write in flight at a time");
        assert!(self.lost_end.is_none(), "no write after a failed one");
        if self.pending_bytes() == 0 {
            return None;
        }
        let block = DMA_BLOCK_BYTES as usize;
        let padded = self.len.next_multiple_of(block);
        let tail_start = self.len - self.len % block;
        // Sized by this write, not by the largest the buffer ever grew to: a burst that grew
        // it to many MiB must not make every later write allocate (and fault in) that much.
        let mut next = file.alloc_dma_buffer(padded.max(BUFFER_BYTES_MIN));
        next.as_bytes_mut()[..self.len - tail_start]
            .copy_from_slice(&self.buffer.as_bytes()[tail_start..self.len]);
        let mut out = std::mem::replace(&mut self.buffer, next);
        out.as_bytes_mut()[self.len..padded].fill(0);
        out.trim_to_size(padded);
        let write =
            PreparedWrite { buffer: out, position: self.buffer_position, logical_end: self.end() };
        self.buffer_position += tail_start as u64;
        self.len -= tail_start;
        self.write_in_flight_end = Some(write.logical_end);
        Some(write)
    }

    /// Records that the write in flight reached the disk, up to `write_end`.
    pub fn complete_write(&mut self, write_end: u64) {
        assert_eq!(self.write_in_flight_end, Some(write_end), "completes the write in flight");
        assert!(write_end >= self.written_end, "written end never goes back");
        assert!(write_end <= self.end(), "cannot write past the buffered data");
        self.written_end = write_end;
        self.write_in_flight_end = None;
    }

    /// Records that the write in flight failed: its bytes are lost, and reads of them say so
    /// instead of waiting for a write that will never come.
    pub fn fail_write(&mut self) {
        let end = self.write_in_flight_end.take().expect("a write was in flight");
        self.lost_end = Some(end);
    }
}

/// Writes a prepared write at its position. This is the only place log data is written.
pub async fn write_blocks(file: &DmaFile, path: &Path, write: PreparedWrite) -> StorageResult<u64> {
    let PreparedWrite { buffer, position, logical_end } = write;
    let len = buffer.len() as u64;
    assert_eq!(position % DMA_BLOCK_BYTES, 0, "direct I/O write position is block-aligned");
    assert_eq!(len % DMA_BLOCK_BYTES, 0, "direct I/O write length is whole blocks");
    assert_eq!(buffer.as_ptr() as usize % DMA_BLOCK_BYTES as usize, 0, "DMA buffer is aligned");
    assert!(position + len >= logical_end, "the write covers the logical end");
    let written = file
        .write_at(buffer, position)
        .await
        .map_err(|e| StorageError::from_glommio("writing", path, e))?;
    if (written as u64) < len {
        // A short direct write means the device could not take the blocks: treat it like the
        // error the kernel would give for the rest.
        return Err(StorageError::from_io(
            "writing",
            path,
            std::io::Error::from_raw_os_error(libc::ENOSPC),
        ));
    }
    Ok(logical_end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn in_executor(test: impl FnOnce(&DmaFile) + Send + 'static) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("segment.log");
        glommio::LocalExecutorBuilder::default()
            .spawn(move || async move {
                let file = DmaFile::create(&path).await.expect("create");
                test(&file);
                file.close().await.expect("close");
            })
            .expect("executor")
            .join()
            .expect("join");
    }

    #[test]
    fn given_partial_block_when_write_completes_should_keep_only_tail_block() {
        in_executor(|file| {
            let mut appender = DmaAppender::new(file, 0, &[]);
            appender.push(file, &[1u8; 5000]);
            assert_eq!(appender.pending_bytes(), 5000);
            let write = appender.prepare_write(file).expect("pending bytes");
            assert_eq!((write.position, write.buffer.len(), write.logical_end), (0, 8192, 5000));
            assert!(write.buffer.as_bytes()[5000..].iter().all(|b| *b == 0), "zero padding");
            assert_eq!(appender.locate(100), BytesLocation::InFlight);
            assert_eq!(appender.locate(4096), BytesLocation::Buffer);
            appender.push(file, &[2u8; 100]);
            appender.complete_write(5000);
            assert_eq!(appender.locate(100), BytesLocation::Disk { end: 4096 });
            assert_eq!(appender.end(), 5100);
            assert_eq!(appender.pending_bytes(), 100);
            let tail = appender.copy_buffered(4096, 904 + 100).expect("buffered");
            assert_eq!(tail[..904], [1u8; 904]);
            assert_eq!(tail[904..], [2u8; 100]);
            assert_eq!(appender.copy_buffered(0, 10), None);
        });
    }

    #[test]
    fn given_more_than_the_buffer_when_pushing_should_grow_and_keep_every_byte() {
        in_executor(|file| {
            let mut appender = DmaAppender::new(file, 4100, &[7u8; 4]);
            let big: Vec<u8> = (0..3 * BUFFER_BYTES_MIN).map(|i| i as u8).collect();
            appender.push(file, &big);
            assert_eq!(appender.end(), 4100 + big.len() as u64);
            assert_eq!(appender.copy_buffered(4096, 4), Some(vec![7u8; 4]));
            assert_eq!(appender.copy_buffered(4100, big.len()), Some(big.clone()));
            let write = appender.prepare_write(file).expect("pending");
            assert_eq!(write.position, 4096);
            assert_eq!(&write.buffer.as_bytes()[4..4 + big.len()], &big[..]);
        });
    }

    #[test]
    fn given_a_failed_write_when_locating_its_bytes_should_report_them_lost() {
        in_executor(|file| {
            let mut appender = DmaAppender::new(file, 0, &[]);
            appender.push(file, &[3u8; 10_000]);
            let _write = appender.prepare_write(file).expect("pending");
            appender.fail_write();
            assert_eq!(appender.locate(0), BytesLocation::Lost);
            assert_eq!(appender.locate(8192), BytesLocation::Buffer);
        });
    }
}
