//! SIGINT/SIGTERM handling.
//!
//! A plain thread waits for the signals (no signal work runs on a shard) and tells every shard
//! once, over a channel each shard connected at start-up. A second signal while draining exits
//! at once, for an operator who does not want to wait.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use glommio::sync::Semaphore;
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

/// Exit status when a second signal cuts the drain short (128 + SIGINT, by shell convention).
pub const FORCED_EXIT_CODE: i32 = 130;

/// Starts the signal thread; returns one receiver per shard that yields once on shutdown.
pub fn install_signal_handler(shards: usize) -> std::io::Result<Vec<flume::Receiver<()>>> {
    let mut signals = Signals::new([SIGINT, SIGTERM])?;
    let (senders, receivers): (Vec<_>, Vec<_>) = (0..shards).map(|_| flume::bounded(1)).unzip();
    std::thread::Builder::new().name("sluice-signals".into()).spawn(move || {
        let mut seen = 0;
        for signal in signals.forever() {
            seen += 1;
            if seen == 1 {
                tracing::info!(signal, "shutting down: draining in-flight requests");
                for tx in &senders {
                    // A shard that already exited has dropped its receiver; nothing to tell it.
                    let _ = tx.try_send(());
                }
            } else {
                eprintln!("sluice-broker: second signal, exiting without draining");
                std::process::exit(FORCED_EXIT_CODE);
            }
        }
    })?;
    Ok(receivers)
}

/// One shard's view of shutdown: a flag plus a way to wait for it, shared by the shard's tasks.
#[derive(Debug, Clone)]
pub struct ShardShutdown {
    // A semaphore that never has permits: closing it wakes every waiter at once.
    gate: Rc<Semaphore>,
    fired: Rc<Cell<bool>>,
}

impl Default for ShardShutdown {
    fn default() -> Self {
        ShardShutdown { gate: Rc::new(Semaphore::new(0)), fired: Rc::default() }
    }
}

impl ShardShutdown {
    /// Starts shutdown on this shard.
    pub fn trigger(&self) {
        self.fired.set(true);
        self.gate.close();
    }

    /// Whether shutdown has started.
    pub fn is_triggered(&self) -> bool {
        self.fired.get()
    }

    /// Resolves once shutdown has started.
    pub async fn triggered(&self) {
        // acquire can only fail, when the gate closes: that failure is the event.
        let _ = self.gate.acquire(1).await;
    }

    /// Sleeps for `duration` unless shutdown starts first: whether the task should go on (the
    /// loop of every periodic shard task).
    pub async fn sleep(&self, duration: Duration) -> bool {
        futures_lite::future::or(glommio::timer::sleep(duration), self.triggered()).await;
        !self.is_triggered()
    }
}
