//! Group commit: at most one write-and-fdatasync in flight per log, and every append waiting for
//! durability shares the next one instead of queueing for its own.
//!
//! Waiters do not queue for the log's I/O permit (glommio's semaphore lets a fresh caller take
//! a just-released permit before the woken waiter runs, which serialises appenders and starves
//! waiters). They wait for a "durable end moved" notification, re-check, and only the first
//! one that still needs a sync becomes the next syncer.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

/// Tracks the sync in flight and who waits for it to finish.
#[derive(Default)]
pub struct GroupCommit {
    syncing: Cell<bool>,
    generation: Cell<u64>,
    waiters: RefCell<Vec<Waker>>,
}

impl GroupCommit {
    /// Whether a write-and-fdatasync is in flight.
    pub fn is_syncing(&self) -> bool {
        self.syncing.get()
    }

    /// Claims the syncer role; the caller must call [`GroupCommit::finish`] afterwards.
    pub fn start(&self) {
        assert!(!self.syncing.get(), "one sync in flight per log");
        self.syncing.set(true);
    }

    /// Releases the syncer role and wakes every waiter to re-check the durable end.
    pub fn finish(&self) {
        assert!(self.syncing.get(), "finish follows start");
        self.syncing.set(false);
        self.generation.set(self.generation.get() + 1);
        let waiters = std::mem::take(&mut *self.waiters.borrow_mut());
        for waker in waiters {
            waker.wake();
        }
    }

    /// Resolves once the sync in flight now has finished.
    pub fn wait_for_sync(&self) -> SyncFinished<'_> {
        SyncFinished { commit: self, generation: self.generation.get() }
    }
}

/// Future returned by [`GroupCommit::wait_for_sync`].
pub struct SyncFinished<'a> {
    commit: &'a GroupCommit,
    generation: u64,
}

impl Future for SyncFinished<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.commit.generation.get() != self.generation {
            return Poll::Ready(());
        }
        self.commit.waiters.borrow_mut().push(cx.waker().clone());
        Poll::Pending
    }
}
