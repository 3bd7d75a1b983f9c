//! A periodic timer beside the SDK's glommio tasks, so an executor never goes unboundedly long
//! without polling io_uring.
//!
//! glommio polls io_uring only when a task queue runs dry or a timer fires: a task that keeps
//! finding work (a consumer decoding a large fetch, a tight send loop) holds back every socket
//! completion on its core, acknowledgements included, and glommio 0.9 was once seen to sleep on
//! a finished read until something else woke it. With a timer armed, either costs at most one
//! tick. The producer's driver task runs under [`with_reactor_tick`]; applications that build
//! their own executors (the load generator does) wrap their top-level future in it too. The
//! broker keeps its own ten-line copy in `sluice-storage`: the client does not depend on server
//! crates, and no crate both share depends on glommio.

use std::future::Future;
use std::time::Duration;

/// The longest a reactor sleeps with a ticking task alive: the broker's measured choice (a
/// 1 ms tick recovered most of what a 5 ms one lost to completions left waiting).
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
