//! The write path of the active segment: appended bytes are copied once, straight into
//! aligned DMA chunks, and go to disk from those chunks in 4 KiB-aligned direct I/O writes.
//!
//! Appends fill one chunk at a time. A full chunk joins a queue and is written whole, after
//! which its buffer is taken back for a later chunk: at a steady rate the appender allocates
//! nothing and never copies what it has buffered. (It used to keep one buffer that doubled,
//! copying everything buffered, whenever appends outran the write in flight; at 300 MB/s that
//! happened a few hundred times a second and each took 0.1-3 ms of the shard, fresh memory
//! faulting in under the copy.)
//!
//! Writing the partly filled last chunk (a sync, a roll, a close) hands it to the write and
//! carries only its last, partial block over into a new chunk: that block is written again,
//! completed, by the next write. Bytes handed to a write and not yet on disk are in neither
//! place a reader can look; [`DmaAppender::locate`] says so and the reader waits for the
//! write. [`write_blocks`] is the one place in the crate that writes log data, and it asserts
//! the alignment.

use std::collections::VecDeque;
use std::path::Path;
use std::rc::Rc;

use glommio::io::{DmaBuffer, DmaFile};

use crate::config::DMA_BLOCK_BYTES;
use crate::dma_file_io::write_fully;
use crate::error::StorageResult;

/// Smallest first chunk: a partition that takes little data holds little memory. The first
/// chunk of a busier one grows (doubling) up to the chunk size, which copies only while the
/// appender finds its working size.
const FIRST_CHUNK_BYTES_MIN: usize = 64 * 1024;
/// Written chunks kept for reuse. Two cover a chunk in flight and one filling; the rest
/// absorb a burst without allocating.
const SPARE_CHUNKS_MAX: usize = 4;

/// Which buffered bytes a write takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteScope {
    /// Only whole chunks: the write-behind's unit, written without cutting a chunk short.
    FullChunks,
    /// Everything appended, the partial last block padded with zeros (sync, roll, close).
    Everything,
}

/// Buffered tail of the active segment.
pub struct DmaAppender {
    /// Bytes per full chunk (whole blocks).
    chunk_bytes: usize,
    /// Full chunks not yet handed to a write, oldest first, back to back from
    /// `full_position`; each holds exactly `chunk_bytes`.
    full: VecDeque<DmaBuffer>,
    /// File position of `full[0]`; equals `buffer_position` when `full` is empty.
    full_position: u64,
    /// `buffer[..len]` holds the segment's bytes from `buffer_position` to the logical end.
    buffer: DmaBuffer,
    len: usize,
    /// File position of `buffer[0]`; always block-aligned.
    buffer_position: u64,
    /// Written chunks, `chunk_bytes` each, ready to be filled again.
    spare: Vec<DmaBuffer>,
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
            .field("chunk_bytes", &self.chunk_bytes)
            .field("full_chunks", &self.full.len())
            .field("full_position", &self.full_position)
            .field("buffer_bytes", &self.buffer.len())
            .field("len", &self.len)
            .field("buffer_position", &self.buffer_position)
            .field("spare_chunks", &self.spare.len())
            .field("written_end", &self.written_end)
            .field("write_in_flight_end", &self.write_in_flight_end)
            .field("lost_end", &self.lost_end)
            .finish()
    }
}

/// One write prepared from the buffers: whole blocks, padded with zeros.
pub struct PreparedWrite {
    buffer: DmaBuffer,
    position: u64,
    /// Logical segment end this write brings the file to.
    pub logical_end: u64,
}

/// A completed write: how far it brought the file, and its buffer when it can be reused.
pub struct CompletedWrite {
    /// Logical segment end the write brought the file to.
    pub logical_end: u64,
    /// The written buffer, back from the disk.
    buffer: Option<DmaBuffer>,
}

/// Where the bytes at a segment position are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BytesLocation {
    /// On disk, readable up to `end`.
    Disk {
        /// Exclusive end of the bytes a disk read may return.
        end: u64,
    },
    /// In the appender's buffers: [`DmaAppender::copy_buffered`] returns them.
    Buffer,
    /// Handed to a write that has not completed: wait for it, then read from disk.
    InFlight,
    /// Handed to a write that failed: they are gone.
    Lost,
}

impl DmaAppender {
    /// An appender for a segment whose data ends at `end`, where `tail_block` holds the bytes
    /// of the last partial block (`end % 4096` of them), already on disk. Full chunks are
    /// `chunk_bytes` rounded up to whole blocks.
    pub fn new(file: &DmaFile, end: u64, tail_block: &[u8], chunk_bytes: u64) -> DmaAppender {
        let buffer_position = end - end % DMA_BLOCK_BYTES;
        assert_eq!(
            tail_block.len() as u64,
            end - buffer_position,
            "tail block is the partial block"
        );
        let chunk_bytes = (chunk_bytes.max(1).next_multiple_of(DMA_BLOCK_BYTES)) as usize;
        let mut buffer = file.alloc_dma_buffer(chunk_bytes.min(FIRST_CHUNK_BYTES_MIN));
        buffer.as_bytes_mut()[..tail_block.len()].copy_from_slice(tail_block);
        DmaAppender {
            chunk_bytes,
            full: VecDeque::new(),
            full_position: buffer_position,
            buffer,
            len: tail_block.len(),
            buffer_position,
            spare: Vec::new(),
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

    /// Whether a whole chunk waits for a write.
    pub fn has_full_chunk(&self) -> bool {
        !self.full.is_empty()
    }

    /// Where the bytes `scope` covers end now: the end of the whole chunks, or of everything.
    pub fn scope_end(&self, scope: WriteScope) -> u64 {
        match scope {
            WriteScope::FullChunks => self.buffer_position,
            WriteScope::Everything => self.end(),
        }
    }

    /// Logical end of the data on disk.
    pub fn written_end(&self) -> u64 {
        self.written_end
    }

    /// Where the byte at `position` (below [`Self::end`]) is to be read from.
    pub fn locate(&self, position: u64) -> BytesLocation {
        if position >= self.full_position {
            return BytesLocation::Buffer;
        }
        if position < self.written_end {
            // Bytes from `full_position` on are rewritten by a later write; read them from
            // the buffers, which hold their latest state.
            return BytesLocation::Disk { end: self.written_end.min(self.full_position) };
        }
        if self.lost_end.is_some() {
            return BytesLocation::Lost;
        }
        assert!(
            self.write_in_flight_end.is_some(),
            "unwritten bytes below the buffers are in flight"
        );
        BytesLocation::InFlight
    }

    /// Copies bytes into the buffers: the one copy of appended data before it reaches the
    /// disk. A batch may span chunks.
    pub fn push(&mut self, file: &DmaFile, bytes: &[u8]) {
        let mut rest = bytes;
        // Bounded: every round copies at least one byte or moves a full chunk out.
        while !rest.is_empty() {
            if self.len == self.buffer.len() {
                self.make_room(file);
            }
            let n = rest.len().min(self.buffer.len() - self.len);
            self.buffer.as_bytes_mut()[self.len..self.len + n].copy_from_slice(&rest[..n]);
            self.len += n;
            rest = &rest[n..];
        }
    }

    /// The buffer is full: a chunk joins the write queue and a spare takes its place; a first
    /// chunk still smaller than a chunk grows instead.
    fn make_room(&mut self, file: &DmaFile) {
        if self.buffer.len() < self.chunk_bytes {
            let bytes = (2 * self.buffer.len()).min(self.chunk_bytes);
            let mut grown = file.alloc_dma_buffer(bytes);
            grown.as_bytes_mut()[..self.len].copy_from_slice(&self.buffer.as_bytes()[..self.len]);
            self.buffer = grown;
            return;
        }
        assert_eq!(self.buffer.len(), self.chunk_bytes, "a full chunk is a whole chunk");
        let next = self.take_chunk(file);
        let filled = std::mem::replace(&mut self.buffer, next);
        self.full.push_back(filled);
        self.buffer_position += self.chunk_bytes as u64;
        self.len = 0;
    }

    fn take_chunk(&mut self, file: &DmaFile) -> DmaBuffer {
        self.spare.pop().unwrap_or_else(|| file.alloc_dma_buffer(self.chunk_bytes))
    }

    /// Copies `[position, position + len)` out of the buffers, if they hold all of it.
    pub fn copy_buffered(&self, position: u64, len: usize) -> Option<Vec<u8>> {
        let start = position.checked_sub(self.full_position)?;
        if start + len as u64 > self.end() - self.full_position {
            return None;
        }
        let mut out = Vec::with_capacity(len);
        let mut at = start as usize;
        for chunk in
            self.full.iter().map(DmaBuffer::as_bytes).chain([&self.buffer.as_bytes()[..self.len]])
        {
            if out.len() == len {
                break;
            }
            if at >= chunk.len() {
                at -= chunk.len();
                continue;
            }
            let n = (len - out.len()).min(chunk.len() - at);
            out.extend_from_slice(&chunk[at..at + n]);
            at = 0;
        }
        assert_eq!(out.len(), len, "buffered bytes are contiguous");
        Some(out)
    }

    /// Hands the oldest full chunk to a write or, with [`WriteScope::Everything`] and no full
    /// chunk left, every remaining byte padded to whole blocks, carrying the partial last
    /// block over into a new chunk so appends go on meanwhile. `None` when the scope holds
    /// nothing unwritten. Exactly one write is in flight at a time: the caller holds the log's
    /// I/O permit from here to [`Self::complete_write`] or [`Self::fail_write`].
    pub fn prepare_write(&mut self, file: &DmaFile, scope: WriteScope) -> Option<PreparedWrite> {
        assert!(self.write_in_flight_end.is_none(), "one write in flight at a time");
        assert!(self.lost_end.is_none(), "no write after a failed one");
        if let Some(chunk) = self.full.pop_front() {
            let position = self.full_position;
            self.full_position += self.chunk_bytes as u64;
            let write = PreparedWrite { buffer: chunk, position, logical_end: self.full_position };
            self.write_in_flight_end = Some(write.logical_end);
            return Some(write);
        }
        if scope == WriteScope::FullChunks || self.pending_bytes() == 0 {
            return None;
        }
        let block = DMA_BLOCK_BYTES as usize;
        let padded = self.len.next_multiple_of(block);
        let tail_start = self.len - self.len % block;
        // A spare chunk if there is one; otherwise a buffer sized by this write, which grows
        // back to a chunk only if appends outrun the writes (a sync per append, under `always`,
        // keeps it small).
        let mut next = self.spare.pop().unwrap_or_else(|| {
            file.alloc_dma_buffer(padded.max(FIRST_CHUNK_BYTES_MIN).min(self.chunk_bytes))
        });
        next.as_bytes_mut()[..self.len - tail_start]
            .copy_from_slice(&self.buffer.as_bytes()[tail_start..self.len]);
        let mut out = std::mem::replace(&mut self.buffer, next);
        out.as_bytes_mut()[self.len..padded].fill(0);
        out.trim_to_size(padded);
        let write =
            PreparedWrite { buffer: out, position: self.buffer_position, logical_end: self.end() };
        self.buffer_position += tail_start as u64;
        self.full_position = self.buffer_position;
        self.len -= tail_start;
        self.write_in_flight_end = Some(write.logical_end);
        Some(write)
    }

    /// Records that the write in flight reached the disk, and keeps its buffer for a later
    /// chunk when it is a whole one.
    pub fn complete_write(&mut self, completed: CompletedWrite) {
        let write_end = completed.logical_end;
        assert_eq!(self.write_in_flight_end, Some(write_end), "completes the write in flight");
        assert!(write_end >= self.written_end, "written end never goes back");
        assert!(write_end <= self.end(), "cannot write past the buffered data");
        self.written_end = write_end;
        self.write_in_flight_end = None;
        if let Some(buffer) = completed.buffer {
            if buffer.len() == self.chunk_bytes && self.spare.len() < SPARE_CHUNKS_MAX {
                self.spare.push(buffer);
            }
        }
    }

    /// Records that the write in flight failed: its bytes are lost, and reads of them say so
    /// instead of waiting for a write that will never come.
    pub fn fail_write(&mut self) {
        let end = self.write_in_flight_end.take().expect("a write was in flight");
        self.lost_end = Some(end);
    }
}

/// Writes a prepared write at its position. This is the only place log data is written.
pub async fn write_blocks(
    file: &DmaFile,
    path: &Path,
    write: PreparedWrite,
) -> StorageResult<CompletedWrite> {
    let PreparedWrite { buffer, position, logical_end } = write;
    let len = buffer.len() as u64;
    assert_eq!(position % DMA_BLOCK_BYTES, 0, "direct I/O write position is block-aligned");
    assert_eq!(len % DMA_BLOCK_BYTES, 0, "direct I/O write length is whole blocks");
    assert_eq!(buffer.as_ptr() as usize % DMA_BLOCK_BYTES as usize, 0, "DMA buffer is aligned");
    assert!(position + len >= logical_end, "the write covers the logical end");
    // Shared rather than handed over, so the buffer comes back for reuse once the write is done.
    let buffer = Rc::new(buffer);
    write_fully(file, path, buffer.clone(), position, "writing").await?;
    Ok(CompletedWrite { logical_end, buffer: Rc::try_unwrap(buffer).ok() })
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

    const CHUNK: u64 = 256 * 1024;

    fn completed(write: PreparedWrite) -> CompletedWrite {
        CompletedWrite { logical_end: write.logical_end, buffer: Some(write.buffer) }
    }

    #[test]
    fn given_partial_block_when_write_completes_should_keep_only_tail_block() {
        in_executor(|file| {
            let mut appender = DmaAppender::new(file, 0, &[], CHUNK);
            appender.push(file, &[1u8; 5000]);
            assert_eq!(appender.pending_bytes(), 5000);
            assert!(
                appender.prepare_write(file, WriteScope::FullChunks).is_none(),
                "no full chunk"
            );
            let write = appender.prepare_write(file, WriteScope::Everything).expect("pending");
            assert_eq!((write.position, write.buffer.len(), write.logical_end), (0, 8192, 5000));
            assert!(write.buffer.as_bytes()[5000..].iter().all(|b| *b == 0), "zero padding");
            assert_eq!(appender.locate(100), BytesLocation::InFlight);
            assert_eq!(appender.locate(4096), BytesLocation::Buffer);
            appender.push(file, &[2u8; 100]);
            appender.complete_write(completed(write));
            assert!(appender.spare.is_empty(), "a cut-short buffer is not a chunk");
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
    fn given_more_than_a_chunk_when_pushing_should_queue_whole_chunks_and_keep_every_byte() {
        in_executor(|file| {
            let chunk = 64 * 1024;
            let mut appender = DmaAppender::new(file, 4100, &[7u8; 4], chunk as u64);
            let big: Vec<u8> = (0..3 * chunk + 1000).map(|i| (i % 251) as u8).collect();
            appender.push(file, &big);
            assert_eq!(appender.end(), 4100 + big.len() as u64);
            assert_eq!(appender.full.len(), 3, "three whole chunks wait for writes");
            assert_eq!(appender.copy_buffered(4096, 4), Some(vec![7u8; 4]));
            assert_eq!(appender.copy_buffered(4100, big.len()), Some(big.clone()), "across chunks");
            assert_eq!(appender.scope_end(WriteScope::FullChunks), 4096 + 3 * chunk as u64);

            let write = appender.prepare_write(file, WriteScope::FullChunks).expect("a chunk");
            assert_eq!((write.position, write.buffer.len()), (4096, chunk));
            assert_eq!(write.logical_end, 4096 + chunk as u64, "a chunk is all data");
            assert_eq!(&write.buffer.as_bytes()[4..], &big[..chunk - 4]);
            assert_eq!(appender.locate(4200), BytesLocation::InFlight);
            assert_eq!(appender.locate(4096 + chunk as u64), BytesLocation::Buffer);
            let reused = write.buffer.as_ptr();
            appender.complete_write(completed(write));
            assert_eq!(appender.locate(4096), BytesLocation::Disk { end: 4096 + chunk as u64 });

            // The written chunk's buffer takes the next chunk's bytes: nothing is allocated.
            appender.push(file, &vec![9u8; chunk]);
            assert_eq!(appender.full.len(), 3);
            assert!(appender.spare.is_empty());
            assert_eq!(appender.buffer.as_ptr(), reused, "the written chunk is filled again");

            let mut ends = Vec::new();
            while let Some(write) = appender.prepare_write(file, WriteScope::FullChunks) {
                ends.push(write.logical_end);
                appender.complete_write(completed(write));
            }
            assert_eq!(ends.len(), 3);
            let write = appender.prepare_write(file, WriteScope::Everything).expect("the rest");
            assert_eq!(write.logical_end, appender.end());
            appender.complete_write(completed(write));
            assert_eq!(appender.pending_bytes(), 0);
        });
    }

    #[test]
    fn given_a_first_chunk_smaller_than_a_chunk_when_filled_should_grow_then_queue() {
        in_executor(|file| {
            let mut appender = DmaAppender::new(file, 0, &[], CHUNK);
            assert_eq!(appender.buffer.len(), FIRST_CHUNK_BYTES_MIN, "a quiet log holds little");
            let first: Vec<u8> = (0..100_000).map(|i| (i % 241) as u8).collect();
            appender.push(file, &first);
            assert!(appender.full.is_empty() && appender.buffer.len() == 128 * 1024, "grew once");
            appender.push(file, &vec![5u8; CHUNK as usize]);
            assert_eq!(appender.full.len(), 1, "grew to a chunk, then queued it");
            assert_eq!(appender.copy_buffered(0, first.len()), Some(first));
            assert_eq!(appender.end(), 100_000 + CHUNK);
        });
    }

    #[test]
    fn given_a_failed_write_when_locating_its_bytes_should_report_them_lost() {
        in_executor(|file| {
            let mut appender = DmaAppender::new(file, 0, &[], CHUNK);
            appender.push(file, &[3u8; 10_000]);
            let _write = appender.prepare_write(file, WriteScope::Everything).expect("pending");
            appender.fail_write();
            assert_eq!(appender.locate(0), BytesLocation::Lost);
            assert_eq!(appender.locate(8192), BytesLocation::Buffer);
        });
    }
}
