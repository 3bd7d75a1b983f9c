//! A periodic timer beside a shard's work, so its reactor never goes unboundedly long without
//! polling io_uring.
//!
//! glommio polls io_uring only when a task queue runs dry or its latency ring (timers) fires, so
//! a turn that keeps finding work holds back every socket and disk completion on the core; and
//! glommio 0.9 on this kernel (6.18) was once seen to sleep 25 minutes on a finished read until
//! a debugger's attach woke it. A timer makes `need_preempt()` true at least once a tick and
//! arms a wake-up before every sleep, so either costs at most one tick. Every executor Sluice
//! builds runs its work under [`with_reactor_tick`]. The `wake_latency` example measures an idle
//! executor with and without it; perf/README.md has the figures.

use std::future::Future;
use std::time::Duration;

/// The longest a reactor sleeps with work outstanding. Measured on the broker
/// (perf/results/2026-11-22-tick): against 5 ms, a 1 ms tick raised the one-shard peak from
/// 407 k to 572 k msgs/s and cut the produce-ack median at light load from 409 to 156 µs:
/// completions really do wait for the tick (held back by busy turns, see the module doc). An
/// idle shard pays about a thousand cheap timer wake-ups a second for it.
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
