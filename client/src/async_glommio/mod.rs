//! The async I/O layer on glommio, for thread-per-core applications and the load generator.
//!
//! It drives the same sans-IO cores as [`crate::blocking`]; only the waiting differs. Every
//! type here is `!Send` and lives on the glommio executor that created it, as glommio wants:
//! one producer or consumer per shard, no locks.
//!
//! - [`AsyncProducer`]: `send(record).await` queues a record (waiting for buffer room) and
//!   gives an [`AsyncDelivery`] future of its partition and offset;
//!   `send_with_callback(record, callback).await` queues it and calls `callback` with the
//!   outcome as soon as it is known (records of different partitions complete out of `send`
//!   order). A driver task batches, routes and retries.
//! - [`AsyncConsumer`]: `poll(timeout).await` with long-poll fetches.
//!
//! glommio 0.9 can miss io_uring wake-ups while its reactor sleeps: the producer's driver runs
//! under [`with_reactor_tick`], and applications should wrap their executor's top-level future
//! in it as well.
//!
//! Admin operations are rare and not latency-sensitive: use [`crate::blocking::Admin`] before
//! starting the executor, or from a helper thread.

mod consumer;
mod delivery_token;
mod oneshot;
mod producer;
mod reactor_tick;
mod transport;

pub use consumer::AsyncConsumer;
pub use producer::{AsyncDelivery, AsyncProducer};
pub use reactor_tick::{with_reactor_tick, IDLE_TICK_MAX, REACTOR_TICK};
