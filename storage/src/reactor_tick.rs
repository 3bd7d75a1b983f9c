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

/// The longest a reactor sleeps with work outstanding. Measured on the broker
/// (perf/results/2026-11-22-tick): against 5 ms, a 1 ms tick raised the one-shard peak from
/// 407 k to 572 k msgs/s and cut the produce-ack median at light load from 409 to 156 µs,
/// evidence that wake-ups really are missed and the tick is what recovers them. An idle shard
/// pays about a thousand cheap timer wake-ups a second for it.
pub const REACTOR_TICK: Duration = Duration::from_millis(1);

/// Runs `future` with a [`REACTOR_TICK`] timer armed beside it.
pub async fn with_reactor_tick<F: Future>(future: F) -> F::Output {
    futures_lite::future::or(future, async {
        loop {
            glommio::timer::sleep(REACTOR_TICK).await;
        }
    })
    .await
}
