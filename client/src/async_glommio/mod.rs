//! The async I/O layer on glommio, for thread-per-core applications and the load generator.
//!
//! It drives the same sans-IO cores as [`crate::blocking`]; only the waiting differs. Every
//! type here is `!Send` and lives on the glommio executor that created it, as glommio wants:
//! one producer or consumer per shard, no locks.
//!
//! - [`AsyncProducer`]: `send(record).await` queues a record (waiting for buffer room) and
//!   gives an [`AsyncDelivery`] future of its partition and offset; a driver task batches,
//!   routes and retries.
//! - [`AsyncConsumer`]: `poll(timeout).await` with long-poll fetches.
//!
//! Admin operations are rare and not latency-sensitive: use [`crate::blocking::Admin`] before
//! starting the executor, or from a helper thread.

mod consumer;
mod oneshot;
mod producer;
mod transport;

pub use consumer::AsyncConsumer;
pub use producer::{AsyncDelivery, AsyncProducer};
