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
/// idle shard backs off to [`IDLE_TICK_MAX`] rather than pay a thousand wake-ups a second.
pub const REACTOR_TICK: Duration = Duration::from_millis(1);

/// The longest tick an idle executor backs off to. An idle broker shard spins
/// (`spin_before_park`) after every wake-up, so a 1 ms tick alone kept an idle broker at 22 %
/// of a core; backing off to this bounds that to a few wake-ups a second.
pub const IDLE_TICK_MAX: Duration = Duration::from_millis(64);

/// Runs `future` with a timer armed beside it: every [`REACTOR_TICK`] while the executor has
/// work, backing off (doubling) towards [`IDLE_TICK_MAX`] while a whole tick passes with at most
/// one other task run, and back to [`REACTOR_TICK`] at the first tick that finds work done. A
/// busy spell that starts during a long idle tick goes without the tick's bound until that
/// tick ends (at most [`IDLE_TICK_MAX`]); glommio still polls io_uring whenever its task
/// queue runs dry, which a spell just started from idle does often.
pub async fn with_reactor_tick<F: Future>(future: F) -> F::Output {
    futures_lite::future::or(future, async {
        let mut tick = REACTOR_TICK;
        // glommio hands out its executor stats as counts since the previous call.
        let _ = glommio::executor().executor_stats();
        loop {
            glommio::timer::sleep(tick).await;
            tick = next_tick(tick, glommio::executor().executor_stats().tasks_executed());
        }
    })
    .await
}

/// Tasks run in one tick, the tick's own included, up to which the executor counts as idle:
/// the tick and one periodic housekeeping task (the broker's group tick runs every 50 ms) do not
/// hold the tick at its minimum; serving any request runs more.
const IDLE_TASKS_MAX: u64 = 2;

/// The tick after one that saw `tasks_run` tasks run, the tick's own included.
fn next_tick(tick: Duration, tasks_run: u64) -> Duration {
    if tasks_run > IDLE_TASKS_MAX {
        REACTOR_TICK
    } else {
        (tick * 2).min(IDLE_TICK_MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_ticks_back_off_to_the_cap_and_any_work_resets_them() {
        let mut tick = REACTOR_TICK;
        let mut seen = vec![];
        for _ in 0..8 {
            tick = next_tick(tick, 1);
            seen.push(tick.as_millis());
        }
        assert_eq!(seen, [2, 4, 8, 16, 32, 64, 64, 64]);
        assert_eq!(next_tick(Duration::from_millis(8), 2), Duration::from_millis(16));
        assert_eq!(next_tick(IDLE_TICK_MAX, 3), REACTOR_TICK);
        assert_eq!(next_tick(REACTOR_TICK, 0), Duration::from_millis(2));
    }
}
