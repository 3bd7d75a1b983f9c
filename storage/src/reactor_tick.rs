//! A periodic timer beside a shard's work, so its reactor never sleeps unboundedly.
//!
//! glommio 0.9 on this kernel (6.18) has been seen to miss an io_uring completion while its
//! reactor sleeps: a storage test's executor slept 25 minutes on a finished read until a
//! debugger's attach interrupted the wait, and the storage benchmarks saw idle executors wake
//! milliseconds late. A timer makes the reactor arm a wake-up before it sleeps, so a missed
//! completion costs at most one tick. Every executor Sluice builds runs its work under
//! [`with_reactor_tick`].

use std::future::Future;
use std::time::Duration;

/// The longest a reactor sleeps with work outstanding.
pub const REACTOR_TICK: Duration = Duration::from_millis(5);

/// Runs `future` with a [`REACTOR_TICK`] timer armed beside it.
pub async fn with_reactor_tick<F: Future>(future: F) -> F::Output {
    futures_lite::future::or(future, async {
        loop {
            glommio::timer::sleep(REACTOR_TICK).await;
        }
    })
    .await
}
