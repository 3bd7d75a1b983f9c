//! The blocking consumer, driven on the caller's thread: `poll` writes the requests the core
//! wants and waits for responses until records arrive or the timeout passes.

use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use super::transport::{IoEvent, Transport};
use crate::config::ConsumerConfig;
use crate::core::consumer_core::{ConsumerCore, SeekTarget};
use crate::core::Endpoint;
use crate::error::{ClientError, Result};
use crate::record::{ConsumerRecord, TopicPartition};

/// How long `position` and `lag` wait for an offset look-up.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(30);
/// Events handled per wake-up before transmitting again.
const EVENTS_PER_TURN_MAX: usize = 1024;

/// A consumer of manually assigned partitions.
///
/// Records come back as zero-copy slices of the fetched responses. Fetches are long polls, so
/// a consumer with nothing to read waits in the broker and uses no CPU.
pub struct Consumer {
    core: ConsumerCore,
    transport: Transport<IoEvent>,
    events: Receiver<IoEvent>,
    poll_records_max: usize,
}

impl std::fmt::Debug for Consumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Consumer")
            .field("assignment", &self.core.assignment())
            .finish_non_exhaustive()
    }
}

impl Consumer {
    /// A consumer of the broker at `broker` (`host:port`). Connections open lazily.
    pub fn connect(broker: &str, config: ConsumerConfig) -> Result<Consumer> {
        let bootstrap = Endpoint::parse(broker)?;
        if config.poll_records_max == 0 {
            return Err(ClientError::InvalidConfig("poll_records_max must be at least 1".into()));
        }
        let (sender, events) = mpsc::channel();
        Ok(Consumer {
            poll_records_max: config.poll_records_max,
            core: ConsumerCore::new(config, bootstrap, Instant::now()),
            transport: Transport::new(sender),
            events,
        })
    }

    /// Reads exactly these partitions from now on. Partitions already assigned keep their
    /// positions; new ones start at the configured [`OffsetReset`](crate::OffsetReset).
    pub fn assign(&mut self, partitions: impl IntoIterator<Item = TopicPartition>) {
        self.core.assign(partitions, Instant::now());
    }

    /// The assigned partitions.
    pub fn assignment(&self) -> Vec<TopicPartition> {
        self.core.assignment()
    }

    /// Moves a partition's position; the next `poll` reads from there.
    pub fn seek(&mut self, partition: &TopicPartition, target: SeekTarget) -> Result<()> {
        self.core.seek(partition, target)
    }

    /// The offset of the next record `poll` returns for the partition, resolving a pending
    /// seek first (waiting up to 30 s for the broker).
    pub fn position(&mut self, partition: &TopicPartition) -> Result<i64> {
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
            self.turn(deadline);
        }
    }

    /// High watermark minus position as of the last fetch; `None` before the first fetch or
    /// offset look-up of the partition.
    pub fn lag(&self, partition: &TopicPartition) -> Result<Option<i64>> {
        self.core.lag(partition)
    }

    /// Waits up to `timeout` for records; returns at once when some are already fetched. An
    /// empty vector means none arrived in time.
    pub fn poll(&mut self, timeout: Duration) -> Result<Vec<ConsumerRecord>> {
        let deadline = Instant::now() + timeout;
        loop {
            self.transmit();
            if let Some(error) = self.core.take_error() {
                return Err(error);
            }
            if self.core.has_records() {
                return Ok(self.core.take_records(self.poll_records_max));
            }
            if Instant::now() >= deadline {
                return Ok(Vec::new());
            }
            self.turn(deadline);
        }
    }

    fn transmit(&mut self) {
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
            if let Err(reason) = self.transport.send(&transmit.endpoint, &transmit.frame) {
                self.core.handle_connection_lost(&transmit.endpoint, &reason, now);
            }
        }
    }

    /// Transmits, then waits for events until `deadline` or the core's next timer.
    fn turn(&mut self, deadline: Instant) {
        self.transmit();
        let now = Instant::now();
        let until = self.core.next_timeout().map_or(deadline, |t| t.min(deadline)).max(now);
        let first = match self.events.recv_timeout(until - now) {
            Ok(event) => event,
            Err(RecvTimeoutError::Timeout) => return,
            Err(RecvTimeoutError::Disconnected) => unreachable!("the transport holds a sender"),
        };
        self.handle(first);
        for _ in 1..EVENTS_PER_TURN_MAX {
            let Ok(event) = self.events.try_recv() else { break };
            self.handle(event);
        }
    }

    fn handle(&mut self, event: IoEvent) {
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
