//! # sluice-client
//!
//! The Rust client SDK for Sluice and the `sluice` command-line tool.
//!
//! A sans-IO [`core`] holds all protocol logic: correlation ids and pipelining, the metadata
//! cache and shard-aware routing (each partition's requests go straight to its owning shard),
//! Kafka's murmur2 partitioner for keyed records and sticky partitioning for unkeyed ones, the
//! per-partition batch accumulator, retries with exponential back-off and metadata refresh.
//! Two thin I/O layers drive that core: [`blocking`] (plain threads and `std::net` sockets,
//! for any Rust program) and [`async_glommio`] (tasks on a glommio executor, for
//! thread-per-core applications and the load generator). Neither holds protocol logic.
//!
//! Errors are one [`ClientError`] enum; [`ClientError::is_retriable`] says whether trying
//! again can help. Limits (buffer bytes, batch bytes, requests in flight per connection,
//! attempts, delivery timeout) are fields of [`ProducerConfig`] and [`ConsumerConfig`].
//!
//! ## Producing
//!
//! ```no_run
//! use sluice_client::blocking::{Admin, Producer};
//! use sluice_client::{ProducerConfig, ProducerRecord};
//!
//! fn main() -> Result<(), sluice_client::ClientError> {
//!     let admin = Admin::connect("127.0.0.1:9292")?;
//!     admin.create_topic("events", 4)?;
//!
//!     let producer = Producer::connect("127.0.0.1:9292", ProducerConfig::default())?;
//!     let mut handles = Vec::new();
//!     for i in 0..100 {
//!         let record = ProducerRecord::new("events", format!("event {i}"))
//!             .with_key(format!("user-{}", i % 10))
//!             .with_header("source", "example");
//!         handles.push(producer.send(record)?);
//!     }
//!     producer.flush()?;
//!     for handle in handles {
//!         let written = handle.wait()?;
//!         println!("partition {} offset {}", written.partition, written.offset);
//!     }
//!     producer.close()
//! }
//! ```
//!
//! ## Consuming
//!
//! ```no_run
//! use std::time::Duration;
//!
//! use sluice_client::blocking::Consumer;
//! use sluice_client::{ConsumerConfig, SeekTarget, TopicPartition};
//!
//! fn main() -> Result<(), sluice_client::ClientError> {
//!     let mut consumer = Consumer::connect("127.0.0.1:9292", ConsumerConfig::default())?;
//!     let partitions: Vec<TopicPartition> =
//!         (0..4).map(|p| TopicPartition::new("events", p)).collect();
//!     consumer.assign(partitions.clone());
//!     for partition in &partitions {
//!         consumer.seek(partition, SeekTarget::Earliest)?;
//!     }
//!     let mut seen = 0;
//!     while seen < 100 {
//!         for record in consumer.poll(Duration::from_secs(1))? {
//!             let value = record.value.as_deref().unwrap_or_default();
//!             println!("{}/{}@{}: {}", record.topic, record.partition, record.offset,
//!                 String::from_utf8_lossy(value));
//!             seen += 1;
//!         }
//!     }
//!     for partition in &partitions {
//!         println!("{partition}: position {:?}, lag {:?}",
//!             consumer.position(partition)?, consumer.lag(partition)?);
//!     }
//!     Ok(())
//! }
//! ```
//!
//! ## On a glommio executor
//!
//! ```no_run
//! use sluice_client::async_glommio::AsyncProducer;
//! use sluice_client::{ProducerConfig, ProducerRecord};
//!
//! glommio::LocalExecutorBuilder::default()
//!     .spawn(|| async {
//!         let producer = AsyncProducer::connect("127.0.0.1:9292", ProducerConfig::default())?;
//!         let delivery = producer.send(ProducerRecord::new("events", "hello")).await?;
//!         let written = delivery.await?;
//!         println!("partition {} offset {}", written.partition, written.offset);
//!         producer.close().await
//!     })
//!     .expect("start the executor")
//!     .join()
//!     .expect("executor ran")
//!     .expect("produced");
//! ```
//!
//! `send` gives one future per record; to learn each outcome the moment it is known (records of
//! different partitions are acknowledged in any order), use
//! [`async_glommio::AsyncProducer::send_with_callback`];
//! [`async_glommio::AsyncProducer::wait_for_room`] waits for buffer room without taking it, to
//! time a record from the moment the producer can accept it. Wrap an executor's work in
//! [`async_glommio::with_reactor_tick`] (a busy turn otherwise holds io_uring completions back).
//!
//! ## Consumer groups
//!
//! [`blocking::GroupConsumer::subscribe`] joins a group; the broker's coordinator assigns
//! partitions (server-side, incremental), the consumer resumes from the group's committed
//! offsets and commits automatically on an interval or with `commit_sync` / `commit_async`.

pub mod async_glommio;
pub mod blocking;
pub mod config;
pub mod core;
pub mod error;
pub mod record;

pub use config::{
    BufferFullPolicy, ConsumerConfig, IdempotenceConfig, OffsetReset, ProducerConfig,
};
pub use core::consumer_core::SeekTarget;
pub use error::{ClientError, Result};
pub use record::{ConsumerRecord, ProducerRecord, RecordMetadata, TopicPartition};
pub use sluice_proto::message::{Acks, FlushPolicy, TopicConfig};
