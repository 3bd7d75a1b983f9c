//! The next segment's file, created, preallocated and zero-filled before the roll that needs
//! it.
//!
//! Creating and preallocating a segment file took 0.3-1.1 ms of the 1.5 ms a roll stalled
//! appends (perf/README.md, item 8), and direct writes into preallocated (unwritten) space
//! wait for ext4's extent conversion (item 14; see [`zero_fill`]). A busy log makes the file
//! early, under a name recovery does not read as a segment, and the roll only renames it.
//! Only a log whose active segment is a quarter full makes one, so idle partitions do not hold
//! a second preallocated segment.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use glommio::io::{DmaBuffer, DmaFile};

use crate::dma_file_io::{open_direct, remove_file, write_fully};
use crate::error::{StorageError, StorageResult};

/// Name of the spare file in a partition directory. It does not parse as a segment name, so
/// recovery never takes it for data; a crash leaves at most this one file, which recovery
/// removes.
pub const SPARE_SEGMENT_FILE_NAME: &str = "next-segment.tmp";

/// Where the log's spare segment file stands.
#[derive(Debug, Default)]
pub enum SpareSegment {
    /// None made, none being made.
    #[default]
    Absent,
    /// A task is creating it.
    Creating,
    /// Created and preallocated, ready for the next roll.
    Ready(DmaFile),
    /// Creating it failed (a full disk, most likely); no retry before the next roll, which
    /// creates its segment itself and reports the error if there is one.
    Failed,
}

/// Creates `path` (truncating any old file) and preallocates `bytes`. A full disk shows up as
/// [`StorageError::DiskFull`], and the half-made file is removed.
pub async fn create_preallocated(path: &Path, bytes: u64) -> StorageResult<DmaFile> {
    let file = open_direct(path, true, true).await?;
    if let Err(e) = file.pre_allocate(bytes, false).await {
        let err = StorageError::from_glommio("preallocating", path, e);
        let _closed = file.close().await;
        remove_file(path).await?;
        return Err(err);
    }
    Ok(file)
}

/// Bytes per zero-filling write.
const ZERO_FILL_WRITE_BYTES: usize = 1 << 20;

/// Writes zeros over the first `bytes` of `file`, one write at a time as `pace` allows, while
/// `wanted()` holds; `Ok(false)` when it stopped early.
///
/// Why: ext4 hands out preallocated space as unwritten extents, and every direct write into
/// one is finished by a kernel worker that converts the extent, on the CPU that took the
/// disk interrupt. On the benchmark VM that worker waited up to a 4 ms scheduler tick for the
/// CPU, which made about 7 % of log writes take 4 ms or 8.5 ms instead of 0.5-1 ms, and the
/// appends behind them wait at the write-behind bound. A write into written blocks completes
/// without the worker. The price is writing every segment twice; the zeros are written in the
/// background, before the segment takes appends.
pub async fn zero_fill(
    file: &DmaFile,
    path: &Path,
    bytes: u64,
    pace: &ZeroFillPace,
    wanted: impl Fn() -> bool,
) -> StorageResult<bool> {
    let zeros = executor_zero_buffer(file);
    let mut position = 0;
    // Bounded by the file size: every round writes one chunk or stops.
    while position + ZERO_FILL_WRITE_BYTES as u64 <= bytes {
        pace.reached(position + ZERO_FILL_WRITE_BYTES as u64).await;
        if !wanted() {
            return Ok(false);
        }
        write_fully(file, path, zeros.clone(), position, "zero-filling").await?;
        position += ZERO_FILL_WRITE_BYTES as u64;
    }
    // The tail shorter than a chunk, if any, stays unwritten: at most one slow write per
    // segment.
    Ok(true)
}

thread_local! {
    /// The zero buffer of the executor on this thread, and that executor's id. glommio's DMA
    /// buffers belong to the executor's ring, so a later executor on the same thread gets its
    /// own.
    static ZERO_BUFFER: RefCell<Option<(usize, Rc<DmaBuffer>)>> = const { RefCell::new(None) };
}

/// One zero buffer per executor, shared by every spare its logs fill: a spare waiting for
/// appends holds no buffer of its own (a shard may hold thousands of logs, each with a spare
/// waiting), and the buffer is zeroed once, not per write.
fn executor_zero_buffer(file: &DmaFile) -> Rc<DmaBuffer> {
    let executor = glommio::executor().id();
    ZERO_BUFFER.with(|slot| {
        let mut slot = slot.borrow_mut();
        if let Some((id, zeros)) = slot.as_ref() {
            if *id == executor {
                return zeros.clone();
            }
        }
        let mut zeros = file.alloc_dma_buffer(ZERO_FILL_WRITE_BYTES);
        zeros.as_bytes_mut().fill(0);
        let zeros = Rc::new(zeros);
        *slot = Some((executor, zeros.clone()));
        zeros
    })
}

/// Creates, preallocates and zero-fills (as `pace` allows) a spare at `path` while `wanted()`
/// holds: the file, or `None` when it stopped early (its file then removed). A failure removes
/// the file too.
pub async fn make(
    path: &Path,
    bytes: u64,
    pace: &ZeroFillPace,
    wanted: impl Fn() -> bool,
) -> StorageResult<Option<DmaFile>> {
    let file = create_preallocated(path, bytes).await?;
    match zero_fill(&file, path, bytes, pace, wanted).await {
        Ok(true) => Ok(Some(file)),
        Ok(false) => {
            discard(file, path).await;
            Ok(None)
        }
        Err(e) => {
            discard(file, path).await;
            Err(e)
        }
    }
}

/// Closes and removes a spare file nobody will use.
pub async fn discard(file: DmaFile, path: &Path) {
    let _closed = file.close().await;
    if let Err(e) = remove_file(path).await {
        tracing::warn!(path = %path.display(), error = %e, "could not remove the spare segment");
    }
}

/// Paces a spare's zero-fill to its log's appends, so the zeros reach the disk spread out
/// beside the log's own writes rather than in one burst at the disk's full bandwidth.
///
/// Why: unpaced, a spare's 256 MiB of zeros went out back to back, at the disk's full
/// bandwidth, while the log wrote. At 364 k msgs/s under `never` the open-loop produce-ack
/// p99 was 11.7-40 ms unpaced against 5.1-6.3 ms paced (three runs each, alternated, on a
/// noisy afternoon); under `always` one log write behind the zeros took 82 ms (perf/README.md,
/// item 16).
///
/// The allowance grows with the active segment from where it stood when the spare was
/// started, so that the zeros are done when the active segment has grown by three quarters of
/// what it had left: the spare is ready before a roll by size. A roll that comes earlier (by
/// age, or for a batch that does not fit) finds it unfinished and releases the pace, and the
/// rest of the zeros then go out unpaced, ready for the roll after. The log calls
/// [`ZeroFillPace::on_active_grown`] after every append (one multiply-divide and a
/// comparison; a wake-up only when the waiting zero-fill may go on) and
/// [`ZeroFillPace::release`] when it must not wait any more.
#[derive(Debug, Default)]
pub struct ZeroFillPace {
    /// The active segment's size when the spare was started.
    start_bytes: Cell<u64>,
    /// The size of a segment: the bytes to zero.
    segment_bytes: Cell<u64>,
    /// How far the zero-fill may have written.
    allowed: Cell<u64>,
    /// How far the waiting zero-fill wants to write, so an append wakes it once, not every
    /// time.
    wanted: Cell<u64>,
    waker: RefCell<Option<Waker>>,
}

impl ZeroFillPace {
    /// Starts pacing a new spare of `segment_bytes`, with the active segment at
    /// `active_bytes`. The first write may go at once.
    pub fn begin(&self, active_bytes: u64, segment_bytes: u64) {
        self.start_bytes.set(active_bytes);
        self.segment_bytes.set(segment_bytes);
        self.allowed.set(ZERO_FILL_WRITE_BYTES as u64);
        self.wanted.set(u64::MAX);
        self.waker.take();
    }

    /// The active segment now holds `active_bytes`: widens the allowance and wakes the
    /// zero-fill if it can go on.
    pub fn on_active_grown(&self, active_bytes: u64) {
        self.allow(zero_fill_allowance(
            self.start_bytes.get(),
            self.segment_bytes.get(),
            active_bytes,
        ));
    }

    /// Lets the zero-fill run to the end unpaced: the log is closing, or a roll found the
    /// spare unfinished and the next roll will want it.
    pub fn release(&self) {
        self.allow(u64::MAX);
    }

    fn allow(&self, bytes: u64) {
        if bytes <= self.allowed.get() {
            return;
        }
        self.allowed.set(bytes);
        if bytes >= self.wanted.get() {
            if let Some(waker) = self.waker.take() {
                waker.wake();
            }
        }
    }

    /// Resolves once the zero-fill may have written `bytes`.
    fn reached(&self, bytes: u64) -> PaceReached<'_> {
        PaceReached { pace: self, bytes }
    }
}

/// How far a spare's zero-fill may have written once the active segment, at `start_bytes`
/// when the spare was started, holds `active_bytes`: the whole segment by the time the active
/// segment has grown by three quarters of what it had left, and always one write.
fn zero_fill_allowance(start_bytes: u64, segment_bytes: u64, active_bytes: u64) -> u64 {
    let left = segment_bytes.saturating_sub(start_bytes);
    let span = u128::from(left) * 3 / 4;
    if span == 0 {
        return u64::MAX;
    }
    let grown = u128::from(active_bytes.saturating_sub(start_bytes));
    let allowed = grown * u128::from(segment_bytes) / span + ZERO_FILL_WRITE_BYTES as u128;
    u64::try_from(allowed).unwrap_or(u64::MAX)
}

/// Future returned by [`ZeroFillPace::reached`].
struct PaceReached<'a> {
    pace: &'a ZeroFillPace,
    bytes: u64,
}

impl Future for PaceReached<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.pace.allowed.get() >= self.bytes {
            return Poll::Ready(());
        }
        self.pace.wanted.set(self.bytes);
        *self.pace.waker.borrow_mut() = Some(cx.waker().clone());
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1 << 20;

    #[test]
    fn given_a_spare_started_at_a_quarter_when_the_segment_grows_should_finish_zeroing_by_thirteen_sixteenths(
    ) {
        let segment = 256 * MIB;
        let start = segment / 4;
        assert_eq!(zero_fill_allowance(start, segment, start), MIB, "one write at once");
        let done_at = start + (segment - start) * 3 / 4;
        assert!(zero_fill_allowance(start, segment, done_at) >= segment);
        assert!(zero_fill_allowance(start, segment, done_at - 4 * MIB) < segment);
        // In between, the zeros run at segment / (3/4 of what was left) = 16/9 of the appends.
        let after_nine = zero_fill_allowance(start, segment, start + 9 * MIB);
        assert_eq!(after_nine, 16 * MIB + MIB);
    }

    #[test]
    fn given_a_full_or_shrunk_active_segment_should_not_divide_by_zero_or_overflow() {
        assert_eq!(zero_fill_allowance(10 * MIB, 10 * MIB, 12 * MIB), u64::MAX);
        assert_eq!(zero_fill_allowance(20 * MIB, 10 * MIB, 0), u64::MAX);
        // A roll leaves the active segment smaller than the start: the allowance stays at one
        // write until the log releases the pace.
        assert_eq!(zero_fill_allowance(64 * MIB, 256 * MIB, 0), MIB);
        // The largest sizes fit the 128-bit product and saturate.
        assert_eq!(zero_fill_allowance(0, u64::MAX, u64::MAX), u64::MAX);
    }

    #[test]
    fn given_a_waiting_zero_fill_should_wake_it_only_once_its_write_is_allowed() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;
        use std::task::Wake;

        struct CountingWaker(AtomicUsize);
        impl Wake for CountingWaker {
            fn wake(self: Arc<Self>) {
                self.0.fetch_add(1, Ordering::Relaxed);
            }
        }
        let counter = Arc::new(CountingWaker(AtomicUsize::new(0)));
        let waker = Waker::from(counter.clone());
        let mut cx = Context::from_waker(&waker);

        let segment = 256 * MIB;
        let pace = ZeroFillPace::default();
        pace.begin(segment / 4, segment);
        let mut first = std::pin::pin!(pace.reached(MIB));
        assert!(first.as_mut().poll(&mut cx).is_ready(), "the first write goes at once");
        let mut second = std::pin::pin!(pace.reached(2 * MIB));
        assert!(second.as_mut().poll(&mut cx).is_pending());
        // 9/16 MiB of appends allow one more MiB of zeros; less does not wake.
        pace.on_active_grown(segment / 4 + MIB / 4);
        assert_eq!(counter.0.load(Ordering::Relaxed), 0);
        pace.on_active_grown(segment / 4 + 9 * MIB / 16);
        assert_eq!(counter.0.load(Ordering::Relaxed), 1);
        assert!(second.as_mut().poll(&mut cx).is_ready());
        // A smaller size (the active segment after a truncation) never takes the allowance
        // back.
        let allowed = pace.allowed.get();
        pace.on_active_grown(segment / 4);
        assert_eq!(pace.allowed.get(), allowed);
        let mut last = std::pin::pin!(pace.reached(segment));
        assert!(last.as_mut().poll(&mut cx).is_pending());
        pace.release();
        assert_eq!(counter.0.load(Ordering::Relaxed), 2);
        assert!(last.as_mut().poll(&mut cx).is_ready());
    }
}
