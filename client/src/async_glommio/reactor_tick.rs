//! A periodic timer beside the SDK's glommio tasks, so an executor's reactor never sleeps
//! unboundedly.
//!
//! glommio 0.9 on the kernels Sluice runs on has been seen to miss an io_uring completion
//! while its reactor sleeps (the broker and storage crates hit it: an executor slept on a
//! finished read until something else woke it). With a timer armed, the reactor always sets a
//! wake-up before it sleeps, so a missed completion costs at most one tick. The producer's
//! driver task runs under [`with_reactor_tick`]; applications that build their own executors
//! (the load generator does) wrap their top-level future in it too. The broker keeps its own
//! copy of this idea in `sluice-storage`: the client does not depend on server crates.

use std::future::Future;
use std::time::Duration;

/// The longest a reactor sleeps with a ticking task alive: the broker's measured choice (a
/// 1 ms tick recovered most of what a 5 ms one lost to missed wake-ups).
pub const REACTOR_TICK: Duration = Duration::from_millis(1);

/// Runs `future` with a [`REACTOR_TICK`] timer armed beside it; the timer stops when `future`
/// completes.
pub async fn with_reactor_tick<F: Future>(future: F) -> F::Output {
    futures_lite::future::or(future, async {
        loop {
            glommio::timer::sleep(REACTOR_TICK).await;
        }
    })
    .await
}
