//! The glommio consumer: `poll` drives the sans-IO consumer core on the calling task.

use std::time::{Duration, Instant};

use futures_lite::future;
use glommio::channels::local_channel::{self, LocalReceiver};

use super::transport::AsyncTransport;
use crate::config::ConsumerConfig;
use crate::core::consumer_core::{ConsumerCore, SeekTarget};
use crate::core::{Endpoint, IoEvent};
use crate::error::{ClientError, Result};
use crate::record::{ConsumerRecord, TopicPartition};

/// How long `position` waits for an offset look-up.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(30);

/// A consumer of manually assigned partitions, living on one glommio executor.
pub struct AsyncConsumer {
    core: ConsumerCore,
    transport: AsyncTransport<IoEvent>,
    events: LocalReceiver<IoEvent>,
    poll_records_max: usize,
}

impl std::fmt::Debug for AsyncConsumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncConsumer")
            .field("assignment", &self.core.assignment())
            .finish_non_exhaustive()
    }
}

impl AsyncConsumer {
    /// A consumer of the broker at `broker` (`host:port`). Must be called from inside a glommio
    /// executor.
    pub fn connect(broker: &str, config: ConsumerConfig) -> Result<AsyncConsumer> {
        let bootstrap = Endpoint::parse(broker)?;
        if config.poll_records_max == 0 {
            return Err(ClientError::InvalidConfig("poll_records_max must be at least 1".into()));
        }
        let (sender, events) = local_channel::new_unbounded();
        Ok(AsyncConsumer {
            poll_records_max: config.poll_records_max,
            core: ConsumerCore::new(config, bootstrap, Instant::now()),
            transport: AsyncTransport::new(std::rc::Rc::new(sender)),
            events,
        })
    }

    /// Reads exactly these partitions from now on (see [`crate::blocking::Consumer::assign`]).
    pub fn assign(&mut self, partitions: impl IntoIterator<Item = TopicPartition>) {
        self.core.assign(partitions, Instant::now());
    }

    /// The assigned partitions.
    pub fn assignment(&self) -> Vec<TopicPartition> {
        self.core.assignment()
    }

    /// Moves a partition's position.
    pub fn seek(&mut self, partition: &TopicPartition, target: SeekTarget) -> Result<()> {
        self.core.seek(partition, target)
    }

    /// The offset of the next record `poll` returns for the partition, resolving a pending
    /// seek first.
    pub async fn position(&mut self, partition: &TopicPartition) -> Result<i64> {
        let deadline = Instant::now() + LOOKUP_TIMEOUT;
        loop {
            if let Some(position) = self.core.position(partition)? {
                return Ok(position);
            }
            if let Some(error) = self.core.take_error() {
                return Err(error);
            }
            if Instant::now() >= deadline {
                return Err(ClientError::Timeout { timeout_ms: LOOKUP_TIMEOUT.as_millis() as u64 });
            }
            self.turn(deadline).await;
        }
    }

    /// High watermark minus position as of the last fetch.
    pub fn lag(&self, partition: &TopicPartition) -> Result<Option<i64>> {
        self.core.lag(partition)
    }

    /// Waits up to `timeout` for records.
    pub async fn poll(&mut self, timeout: Duration) -> Result<Vec<ConsumerRecord>> {
        let deadline = Instant::now() + timeout;
        loop {
            self.transmit().await;
            if let Some(error) = self.core.take_error() {
                return Err(error);
            }
            if self.core.has_records() {
                return Ok(self.core.take_records(self.poll_records_max));
            }
            if Instant::now() >= deadline {
                return Ok(Vec::new());
            }
            self.turn(deadline).await;
        }
    }

    async fn transmit(&mut self) {
        let now = Instant::now();
        for endpoint in self.core.timed_out_connections(now) {
            self.transport.close(&endpoint);
            self.core.handle_connection_lost(
                &endpoint,
                "no response within the request timeout",
                now,
            );
        }
        // Bounded: each transmit marks partitions in flight, so the core runs out of work.
        for _ in 0..1024 {
            let Some(transmit) = self.core.poll_transmit(now) else { break };
            if let Err(reason) = self.transport.send(&transmit.endpoint, &transmit.frame).await {
                self.core.handle_connection_lost(&transmit.endpoint, &reason, Instant::now());
            }
        }
    }

    async fn turn(&mut self, deadline: Instant) {
        self.transmit().await;
        let now = Instant::now();
        let until = self.core.next_timeout().map_or(deadline, |t| t.min(deadline)).max(now);
        let wait = until - now;
        // Let the reader tasks run even when a timer is already due.
        futures_lite::future::yield_now().await;
        let events = &self.events;
        let event = future::or(async { events.recv().await }, async {
            glommio::timer::sleep(wait).await;
            None
        })
        .await;
        let Some(event) = event else { return };
        let now = Instant::now();
        match event {
            IoEvent::Response { endpoint, generation, response } => {
                if self.transport.is_current(&endpoint, generation) {
                    if let Err(error) = self.core.handle_response(&endpoint, response, now) {
                        self.transport.close(&endpoint);
                        self.core.handle_connection_lost(&endpoint, &error.to_string(), now);
                    }
                }
            }
            IoEvent::Closed { endpoint, generation, reason } => {
                if self.transport.is_current(&endpoint, generation) {
                    self.transport.close(&endpoint);
                    self.core.handle_connection_lost(&endpoint, &reason, now);
                }
            }
        }
    }
}
