//! The producer state machine: partitioning, batching, routing, retries and metadata refresh,
//! driven by the I/O layer with `send`, `poll_transmit`, `handle_response`,
//! `handle_connection_lost` and `poll_completion`.
//!
//! Ordering: by default at most one batch per partition is in flight, and a failed batch goes
//! back into its partition's queue ahead of every batch sealed after it, so records of a
//! partition are appended in `send` order even across retries. Requests for different
//! partitions (and different shards) are pipelined. `in_flight_per_partition_max` above 1
//! pipelines a single partition too, at the price Kafka documents for that setting without
//! idempotence: a retried batch may land after a later batch that succeeded first.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::Arc;
use std::time::Instant;

use sluice_proto::message::{
    Acks, MetadataRequest, ProducePartition, ProduceRequest, ProduceTopic, RequestBody, Response,
    ResponseBody,
};
use sluice_proto::partitioner::partition_for_key;
use sluice_proto::ErrorCode;

use super::accumulator::{Accumulator, SealedBatch};
use super::metadata_cache::{MetadataCache, TopicUpdate};
use super::retry::Backoff;
use super::router::Router;
use super::sticky_partitioner::StickyPartitioner;
use super::{ConnectionState, Endpoint, Transmit};
use crate::config::ProducerConfig;
use crate::error::{ClientError, Result};
use crate::record::{ProducerRecord, RecordMetadata, TopicPartition};

/// Most batch bytes packed into one produce request, well under the frame limit.
const REQUEST_BATCH_BYTES_MAX: usize = 8 * 1024 * 1024;
const _: () = assert!(REQUEST_BATCH_BYTES_MAX < sluice_proto::limits::FRAME_BYTES_MAX);

/// How much longer than the request timeout given to the broker the client waits for an
/// answer before it gives the connection up.
pub const REQUEST_TIMEOUT_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// The outcome of one record.
#[derive(Debug)]
pub struct Completion<T> {
    /// The token passed to `send`.
    pub token: T,
    /// Buffer bytes the record held; the I/O layer returns them to its budget.
    pub buffered_bytes: usize,
    /// Where the record landed, or why it was not stored.
    pub result: Result<RecordMetadata>,
}

#[derive(Debug)]
enum InFlight<T> {
    Metadata,
    Produce(Vec<SealedBatch<T>>),
}

#[derive(Debug)]
struct Waiting<T> {
    record: ProducerRecord,
    token: T,
    timestamp_ms: i64,
    since: Instant,
}

/// The sans-IO producer. `T` is the I/O layer's handle for one record's outcome.
#[derive(Debug)]
pub struct ProducerCore<T> {
    config: ProducerConfig,
    router: Router,
    metadata: MetadataCache,
    sticky: StickyPartitioner,
    accumulator: Accumulator<T>,
    connections: HashMap<Endpoint, ConnectionState<InFlight<T>>>,
    /// Batches in flight per partition (partitions with none are absent).
    in_flight_partitions: HashMap<TopicPartition, usize>,
    waiting: VecDeque<Waiting<T>>,
    topics: BTreeSet<Arc<str>>,
    metadata_wanted: bool,
    metadata_in_flight: bool,
    metadata_not_before: Instant,
    metadata_failures: u32,
    completions: VecDeque<Completion<T>>,
    flushing: bool,
    backoff: Backoff,
    /// The latest `now` passed in: timers at or before it are already due and not reported by
    /// `next_timeout`, so work that waits on a response never makes the I/O layer spin.
    now: Instant,
}

impl<T> ProducerCore<T> {
    /// A producer for the broker at `bootstrap`.
    pub fn new(config: ProducerConfig, bootstrap: Endpoint, now: Instant) -> Result<Self> {
        config.validate()?;
        Ok(ProducerCore {
            router: Router::new(bootstrap, config.shard_aware),
            metadata: MetadataCache::new(),
            sticky: StickyPartitioner::new(config.sticky_seed),
            accumulator: Accumulator::new(
                config.batch_bytes_max,
                config.linger,
                config.idempotence,
            ),
            connections: HashMap::new(),
            in_flight_partitions: HashMap::new(),
            waiting: VecDeque::new(),
            topics: BTreeSet::new(),
            metadata_wanted: false,
            metadata_in_flight: false,
            metadata_not_before: now,
            metadata_failures: 0,
            completions: VecDeque::new(),
            flushing: false,
            backoff: Backoff {
                initial: config.retry_backoff_initial,
                max: config.retry_backoff_max,
            },
            now,
            config,
        })
    }

    /// The configuration in force.
    pub fn config(&self) -> &ProducerConfig {
        &self.config
    }

    /// Accepts a record. `wall_clock_ms` stamps records that carry no timestamp. The outcome
    /// arrives later through [`poll_completion`](Self::poll_completion).
    pub fn send(&mut self, record: ProducerRecord, token: T, now: Instant, wall_clock_ms: i64) {
        let timestamp_ms = record.timestamp_ms.unwrap_or(wall_clock_ms);
        if let Some(count) = self.metadata.partition_count(&record.topic) {
            self.append(record, token, timestamp_ms, count, now);
        } else {
            self.want_metadata(record.topic.clone());
            self.waiting.push_back(Waiting { record, token, timestamp_ms, since: now });
        }
    }

    /// Sends every buffered record without waiting for linger, until the producer is idle.
    pub fn flush(&mut self) {
        self.flushing = true;
    }

    /// Whether every record sent so far has completed.
    pub fn is_idle(&self) -> bool {
        self.accumulator.is_empty()
            && self.waiting.is_empty()
            && self.in_flight_partitions.is_empty()
    }

    /// Connections with a request unanswered for longer than the request timeout plus
    /// [`REQUEST_TIMEOUT_GRACE`]: the broker is hung or the network lost the answer. The I/O
    /// layer closes each and calls [`handle_connection_lost`](Self::handle_connection_lost), so
    /// their batches are retried or fail by the delivery timeout.
    pub fn timed_out_connections(&self, now: Instant) -> Vec<Endpoint> {
        let limit = self.config.request_timeout + REQUEST_TIMEOUT_GRACE;
        self.connections
            .iter()
            .filter(|(_, c)| c.oldest_sent_at().is_some_and(|sent| now >= sent + limit))
            .map(|(endpoint, _)| endpoint.clone())
            .collect()
    }

    /// The next frame to write, if any is due at `now`. Call until it returns `None`.
    pub fn poll_transmit(&mut self, now: Instant) -> Option<Transmit> {
        self.now = self.now.max(now);
        self.expire(now);
        if let Some(transmit) = self.metadata_transmit(now) {
            return Some(transmit);
        }
        let in_flight = &self.in_flight_partitions;
        let in_flight_max = self.config.in_flight_per_partition_max;
        let can_send = |p: &TopicPartition| in_flight.get(p).copied().unwrap_or(0) < in_flight_max;
        for sealed in self.accumulator.seal_expired(now, self.flushing, can_send) {
            self.on_sealed(&sealed);
        }
        let transmit = self.produce_transmit(now);
        if transmit.is_none() && self.flushing && self.is_idle() {
            self.flushing = false;
        }
        transmit
    }

    /// The next record outcome, if any.
    pub fn poll_completion(&mut self) -> Option<Completion<T>> {
        self.completions.pop_front()
    }

    /// When `poll_transmit` next has work that depends only on time (linger, back-off,
    /// delivery timeouts).
    pub fn next_timeout(&self) -> Option<Instant> {
        let linger = if self.flushing { None } else { self.accumulator.next_linger_deadline() };
        let retry = self
            .accumulator
            .sealed_partitions()
            .filter(|p| self.can_send_partition(p))
            .filter_map(|p| self.accumulator.front(p))
            .map(|b| b.not_before.min(b.created_at + self.config.delivery_timeout))
            .min();
        let metadata =
            (self.metadata_wanted && !self.metadata_in_flight).then_some(self.metadata_not_before);
        let waiting = self.waiting.front().map(|w| w.since + self.config.delivery_timeout);
        let limit = self.config.request_timeout + REQUEST_TIMEOUT_GRACE;
        let hung =
            self.connections.values().filter_map(|c| c.oldest_sent_at()).min().map(|t| t + limit);
        [linger, retry, metadata, waiting, hung]
            .into_iter()
            .flatten()
            .filter(|t| *t > self.now)
            .min()
    }

    /// A response arrived on `endpoint`. An error means the stream is out of step: close the
    /// connection and call [`handle_connection_lost`](Self::handle_connection_lost).
    pub fn handle_response(
        &mut self,
        endpoint: &Endpoint,
        response: Response,
        now: Instant,
    ) -> Result<()> {
        let connection = self.connections.get_mut(endpoint).ok_or_else(|| {
            ClientError::Protocol(format!("response from {endpoint} with no request in flight"))
        })?;
        match connection.complete(&response)? {
            InFlight::Metadata => self.on_metadata_response(response.body, now),
            InFlight::Produce(batches) => {
                self.on_produce_response(endpoint, batches, response.body, now)
            }
        }
        Ok(())
    }

    /// The connection to `endpoint` broke (or could not be opened): everything in flight on it
    /// is retried.
    pub fn handle_connection_lost(&mut self, endpoint: &Endpoint, reason: &str, now: Instant) {
        let error =
            ClientError::Connection { endpoint: endpoint.to_string(), reason: reason.to_owned() };
        if endpoint != self.router.bootstrap() {
            // The shard may have moved (a restarted broker picks new ports): use the shared
            // port until fresh metadata says otherwise.
            self.metadata.forget_direct(endpoint);
            self.metadata_wanted = true;
        }
        let Some(mut connection) = self.connections.remove(endpoint) else { return };
        // Newest first, so each partition's oldest lost batch ends up at the head of its queue
        // (push_front also orders by seal index; this keeps the work linear).
        for in_flight in connection.fail_all().into_iter().rev() {
            match in_flight {
                InFlight::Metadata => self.on_metadata_failed(now),
                InFlight::Produce(batches) => {
                    for batch in batches {
                        self.on_batch_landed(&batch.partition);
                        self.retry_or_fail(batch, error.clone(), now);
                    }
                }
            }
        }
    }

    /// `count`: the topic's partition count, which the caller has just looked up.
    fn append(
        &mut self,
        record: ProducerRecord,
        token: T,
        timestamp_ms: i64,
        count: u32,
        now: Instant,
    ) {
        let partition = match (record.partition, &record.key) {
            (Some(partition), _) if partition < count => partition,
            (Some(partition), _) => {
                let error =
                    ClientError::UnknownPartition { topic: record.topic.to_string(), partition };
                self.complete_err(token, record.buffered_bytes(), error);
                return;
            }
            (None, Some(key)) => partition_for_key(key, count),
            (None, None) => self.sticky.partition(&record.topic, count),
        };
        let target = TopicPartition::new(record.topic.clone(), partition);
        match self.accumulator.append(target, &record, timestamp_ms, token, now) {
            Ok(sealed) => {
                for sealed in sealed {
                    self.on_sealed(&sealed);
                }
            }
            Err((token, error)) => self.complete_err(token, record.buffered_bytes(), error),
        }
    }

    /// Whether another batch of `partition` may be sent now (`poll_transmit` applies the same
    /// rule when it decides which lingering batches to seal).
    fn can_send_partition(&self, partition: &TopicPartition) -> bool {
        self.in_flight_partitions.get(partition).copied().unwrap_or(0)
            < self.config.in_flight_per_partition_max
    }

    /// A batch of `partition` is no longer in flight (answered, failed or lost).
    fn on_batch_landed(&mut self, partition: &TopicPartition) {
        let count = self
            .in_flight_partitions
            .get_mut(partition)
            .expect("a landing batch was counted in flight");
        *count -= 1;
        if *count == 0 {
            self.in_flight_partitions.remove(partition);
        }
    }

    fn on_sealed(&mut self, partition: &TopicPartition) {
        if let Some(count) = self.metadata.partition_count(&partition.topic) {
            self.sticky.on_batch_sealed(&partition.topic, partition.partition, count);
        }
    }

    fn want_metadata(&mut self, topic: Arc<str>) {
        self.topics.insert(topic);
        self.metadata_wanted = true;
    }

    fn metadata_transmit(&mut self, now: Instant) -> Option<Transmit> {
        if !self.metadata_wanted || self.metadata_in_flight || now < self.metadata_not_before {
            return None;
        }
        let endpoint = self.router.bootstrap().clone();
        let in_flight_max = self.config.in_flight_per_connection_max;
        let connection = self
            .connections
            .entry(endpoint.clone())
            .or_insert_with(|| ConnectionState::new(in_flight_max));
        if !connection.can_send() {
            return None;
        }
        let request =
            MetadataRequest { topics: self.topics.iter().map(|t| t.to_string()).collect() };
        let frame = connection.encode(request.into(), Some(InFlight::Metadata), now).ok()?;
        self.metadata_wanted = false;
        self.metadata_in_flight = true;
        Some(Transmit { endpoint, frame })
    }

    fn on_metadata_failed(&mut self, now: Instant) {
        self.metadata_in_flight = false;
        self.metadata_wanted = true;
        self.metadata_failures += 1;
        self.metadata_not_before = now + self.backoff.delay(self.metadata_failures);
    }

    fn on_metadata_response(&mut self, body: ResponseBody, now: Instant) {
        let ResponseBody::Metadata(response) = body else {
            self.on_metadata_failed(now);
            return;
        };
        if response.error_code != ErrorCode::None {
            self.on_metadata_failed(now);
            return;
        }
        self.metadata_in_flight = false;
        self.metadata_failures = 0;
        for (topic, update) in self.metadata.update(&response) {
            match update {
                TopicUpdate::Known(_) => {}
                TopicUpdate::Failed(code)
                    if code.is_retriable() && code != ErrorCode::UnknownTopic =>
                {
                    self.metadata_wanted = true;
                    self.metadata_not_before = now + self.backoff.delay(1);
                }
                TopicUpdate::Failed(code) => {
                    self.topics.remove(&topic);
                    let error = ClientError::from_code(code, &topic, None);
                    for batch in self.accumulator.drain_topic(&topic, now) {
                        self.fail_batch(batch, error.clone());
                    }
                    let (failed, kept): (VecDeque<_>, VecDeque<_>) =
                        std::mem::take(&mut self.waiting)
                            .into_iter()
                            .partition(|w| w.record.topic == topic);
                    self.waiting = kept;
                    for waiting in failed {
                        self.complete_err(
                            waiting.token,
                            waiting.record.buffered_bytes(),
                            error.clone(),
                        );
                    }
                }
            }
        }
        let waiting = std::mem::take(&mut self.waiting);
        for waiting in waiting {
            if let Some(count) = self.metadata.partition_count(&waiting.record.topic) {
                self.append(waiting.record, waiting.token, waiting.timestamp_ms, count, now);
            } else {
                self.waiting.push_back(waiting);
            }
        }
    }

    fn produce_transmit(&mut self, now: Instant) -> Option<Transmit> {
        let mut chosen: Option<Endpoint> = None;
        let mut partitions = Vec::new();
        let mut bytes = 0usize;
        let mut need_metadata = Vec::new();
        for partition in self.accumulator.sealed_partitions() {
            if !self.can_send_partition(partition) {
                continue;
            }
            let Some(batch) = self.accumulator.front(partition) else { continue };
            if batch.not_before > now {
                continue;
            }
            if self.metadata.route(&partition.topic, partition.partition).is_none() {
                need_metadata.push(partition.topic.clone());
                continue;
            }
            let endpoint =
                self.router.endpoint_for(&self.metadata, &partition.topic, partition.partition);
            match &chosen {
                None => {
                    let can_send =
                        self.connections.get(&endpoint).is_none_or(ConnectionState::can_send);
                    if !can_send {
                        continue;
                    }
                    chosen = Some(endpoint);
                }
                Some(chosen) if *chosen != endpoint => continue,
                Some(_) => {}
            }
            if !partitions.is_empty() && bytes + batch.records.len() > REQUEST_BATCH_BYTES_MAX {
                break;
            }
            bytes += batch.records.len();
            partitions.push(partition.clone());
        }
        for topic in need_metadata {
            self.want_metadata(topic);
        }
        let endpoint = chosen?;
        let batches: Vec<SealedBatch<T>> = partitions
            .iter()
            .map(|p| {
                let mut batch =
                    self.accumulator.pop_front(p).expect("chosen partitions have a batch");
                batch.attempts += 1;
                batch
            })
            .collect();
        let mut topics: BTreeMap<&str, Vec<ProducePartition>> = BTreeMap::new();
        for batch in &batches {
            topics.entry(&batch.partition.topic).or_default().push(ProducePartition {
                partition: batch.partition.partition,
                records: batch.records.clone().into(),
            });
        }
        let request = ProduceRequest {
            acks: self.config.acks,
            timeout_ms: u32::try_from(self.config.request_timeout.as_millis()).unwrap_or(u32::MAX),
            topics: topics
                .into_iter()
                .map(|(name, partitions)| ProduceTopic { name: name.to_owned(), partitions })
                .collect(),
        };
        let body: RequestBody = request.into();
        let in_flight_max = self.config.in_flight_per_connection_max;
        let connection = self
            .connections
            .entry(endpoint.clone())
            .or_insert_with(|| ConnectionState::new(in_flight_max));
        if self.config.acks == Acks::None {
            let encoded = connection.encode(body, None, now);
            match encoded.map_err(|(error, _)| error) {
                Ok(frame) => {
                    for batch in batches {
                        self.complete_batch(batch, -1);
                    }
                    Some(Transmit { endpoint, frame })
                }
                Err(error) => {
                    for batch in batches {
                        self.fail_batch(batch, error.clone());
                    }
                    None
                }
            }
        } else {
            for batch in &batches {
                *self.in_flight_partitions.entry(batch.partition.clone()).or_insert(0) += 1;
            }
            // The batches travel with the request token; the frame holds its own references to
            // their bytes.
            let frame_or_batches = encode_produce(connection, body, batches, now);
            match frame_or_batches {
                Ok(frame) => Some(Transmit { endpoint, frame }),
                Err((batches, error)) => {
                    for batch in batches {
                        self.on_batch_landed(&batch.partition);
                        self.fail_batch(batch, error.clone());
                    }
                    None
                }
            }
        }
    }

    fn on_produce_response(
        &mut self,
        endpoint: &Endpoint,
        batches: Vec<SealedBatch<T>>,
        body: ResponseBody,
        now: Instant,
    ) {
        for batch in &batches {
            self.on_batch_landed(&batch.partition);
        }
        let response = match body {
            ResponseBody::Produce(response) if response.error_code == ErrorCode::None => response,
            other => {
                let (code, message) = match other {
                    ResponseBody::Error(error) => (error.error_code, error.message),
                    other => (other.error_code(), None),
                };
                let code =
                    if code == ErrorCode::None { ErrorCode::UnknownServerError } else { code };
                for batch in batches {
                    let error = ClientError::Broker { code, message: message.clone() };
                    self.retry_or_fail(batch, error, now);
                }
                return;
            }
        };
        let mut results = HashMap::new();
        for topic in &response.topics {
            for partition in &topic.partitions {
                results.insert((topic.name.as_str(), partition.partition), partition);
            }
        }
        let mut outcomes = Vec::with_capacity(batches.len());
        for batch in batches {
            let result = results
                .get(&(&*batch.partition.topic, batch.partition.partition))
                .map(|r| (r.error_code, r.base_offset));
            outcomes.push((batch, result));
        }
        for (batch, result) in outcomes {
            match result {
                Some((ErrorCode::None, base_offset)) if base_offset >= 0 => {
                    self.complete_batch(batch, base_offset)
                }
                Some((code, _)) => {
                    let code =
                        if code == ErrorCode::None { ErrorCode::UnknownServerError } else { code };
                    if matches!(
                        code,
                        ErrorCode::NotShardOwner
                            | ErrorCode::UnknownPartition
                            | ErrorCode::UnknownTopic
                            | ErrorCode::LeaderNotAvailable
                            | ErrorCode::FencedLeaderEpoch
                    ) {
                        self.metadata.forget_direct(endpoint);
                        self.want_metadata(batch.partition.topic.clone());
                    }
                    let error = ClientError::from_code(code, &batch.partition.topic, None);
                    self.retry_or_fail(batch, error, now);
                }
                None => {
                    let error = ClientError::Protocol(format!(
                        "produce response lacks partition {}",
                        batch.partition
                    ));
                    self.fail_batch(batch, error);
                }
            }
        }
    }

    fn retry_or_fail(&mut self, mut batch: SealedBatch<T>, error: ClientError, now: Instant) {
        let deadline = batch.created_at + self.config.delivery_timeout;
        if error.is_retriable() && batch.attempts < self.config.attempts_max && now < deadline {
            batch.not_before = now + self.backoff.delay(batch.attempts);
            batch.last_error = Some(error);
            self.want_metadata(batch.partition.topic.clone());
            self.accumulator.push_front(batch);
        } else {
            self.fail_batch(batch, error);
        }
    }

    fn expire(&mut self, now: Instant) {
        let timeout = self.config.delivery_timeout;
        while self.waiting.front().is_some_and(|w| now >= w.since + timeout) {
            let waiting = self.waiting.pop_front().expect("checked non-empty");
            let error = ClientError::DeliveryFailed {
                attempts: 0,
                last_error: Box::new(ClientError::Timeout {
                    timeout_ms: timeout.as_millis() as u64,
                }),
            };
            self.complete_err(waiting.token, waiting.record.buffered_bytes(), error);
        }
        let partitions: Vec<TopicPartition> = self
            .accumulator
            .sealed_partitions()
            .filter(|p| !self.in_flight_partitions.contains_key(*p))
            .cloned()
            .collect();
        for partition in partitions {
            // Bounded by the queue length: each pass removes one batch.
            while self.accumulator.front(&partition).is_some_and(|b| now >= b.created_at + timeout)
            {
                let batch = self.accumulator.pop_front(&partition).expect("checked non-empty");
                let error = ClientError::Timeout { timeout_ms: timeout.as_millis() as u64 };
                self.fail_batch(batch, error);
            }
        }
    }

    fn complete_batch(&mut self, batch: SealedBatch<T>, base_offset: i64) {
        let partition = batch.partition.partition;
        for (index, entry) in batch.entries.into_iter().enumerate() {
            let offset = if base_offset < 0 { -1 } else { base_offset + index as i64 };
            self.completions.push_back(Completion {
                token: entry.token,
                buffered_bytes: entry.buffered_bytes,
                result: Ok(RecordMetadata { partition, offset, timestamp_ms: entry.timestamp_ms }),
            });
        }
    }

    fn fail_batch(&mut self, batch: SealedBatch<T>, error: ClientError) {
        let error = if batch.attempts > 1 || batch.last_error.is_some() {
            ClientError::DeliveryFailed { attempts: batch.attempts, last_error: Box::new(error) }
        } else {
            error
        };
        for entry in batch.entries {
            self.complete_err(entry.token, entry.buffered_bytes, error.clone());
        }
    }

    fn complete_err(&mut self, token: T, buffered_bytes: usize, error: ClientError) {
        self.completions.push_back(Completion { token, buffered_bytes, result: Err(error) });
    }
}

type EncodeFailure<T> = (Vec<SealedBatch<T>>, ClientError);

fn encode_produce<T>(
    connection: &mut ConnectionState<InFlight<T>>,
    body: RequestBody,
    batches: Vec<SealedBatch<T>>,
    now: Instant,
) -> std::result::Result<sluice_proto::frame::OutgoingFrame, EncodeFailure<T>> {
    connection.encode(body, Some(InFlight::Produce(batches)), now).map_err(|(error, token)| {
        match token {
            Some(InFlight::Produce(batches)) => (batches, error),
            _ => unreachable!("the token given back is the one passed in"),
        }
    })
}

#[cfg(test)]
#[path = "producer_core_tests.rs"]
mod tests;
