//! The consumer state machine: assigned partitions and their positions, offset look-ups for
//! seeks, long-poll fetches to each partition's owning shard, and turning fetched batches into
//! zero-copy records.
//!
//! Each endpoint has at most one fetch in flight (a long poll covering every partition routed
//! there), so an idle consumer waits in the broker rather than spinning.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::time::Instant;

use sluice_proto::message::{
    FetchPartition, FetchRequest, FetchTopic, ListOffsetsPartition, ListOffsetsRequest,
    ListOffsetsTopic, MetadataRequest, OffsetQuery, Response, ResponseBody,
};
use sluice_proto::record_batch::{BatchError, BatchReader};
use sluice_proto::ErrorCode;

use super::metadata_cache::{MetadataCache, TopicUpdate};
use super::router::Router;
use super::{ConnectionState, Endpoint, Transmit};
use crate::config::{ConsumerConfig, OffsetReset};
use crate::error::{ClientError, Result};
use crate::record::{ConsumerRecord, TopicPartition};

/// Requests one consumer connection may have awaiting responses: a fetch, offset look-ups and
/// metadata.
const CONSUMER_IN_FLIGHT_MAX: usize = 4;

/// How long past its expected answer time a request may stay unanswered before its connection
/// is given up as hung.
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Where to move a partition's position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeekTarget {
    /// The oldest record still kept.
    Earliest,
    /// The end of the log.
    Latest,
    /// This offset.
    Offset(i64),
    /// The first record whose timestamp is at or after this (ms since the Unix epoch); the end
    /// of the log if there is none.
    Timestamp(u64),
}

impl From<OffsetReset> for SeekTarget {
    fn from(reset: OffsetReset) -> Self {
        match reset {
            OffsetReset::Earliest => SeekTarget::Earliest,
            OffsetReset::Latest => SeekTarget::Latest,
        }
    }
}

#[derive(Debug)]
struct PartitionState {
    /// Next offset to fetch.
    fetch_offset: Option<i64>,
    /// Next offset to hand to the caller.
    position: Option<i64>,
    /// A seek waiting for its offset look-up.
    seek: Option<SeekTarget>,
    seek_in_flight: bool,
    fetch_in_flight: bool,
    high_watermark: Option<i64>,
    /// After a seek to a time: skip records older than this until the first one that is not.
    /// The broker resolves a time to a whole batch; this narrows it to the record, as Kafka
    /// does.
    skip_before_timestamp: Option<i64>,
    /// Bumped by every seek, so responses to requests sent before it are ignored.
    epoch: u64,
    not_before: Instant,
}

#[derive(Debug)]
enum InFlight {
    Metadata,
    ListOffsets(Vec<(TopicPartition, u64, SeekTarget)>),
    Fetch(Vec<(TopicPartition, u64)>),
}

/// The sans-IO consumer.
#[derive(Debug)]
pub struct ConsumerCore {
    config: ConsumerConfig,
    router: Router,
    metadata: MetadataCache,
    connections: HashMap<Endpoint, ConnectionState<InFlight>>,
    partitions: BTreeMap<TopicPartition, PartitionState>,
    fetching: HashSet<Endpoint>,
    buffered: VecDeque<ConsumerRecord>,
    buffered_bytes: usize,
    errors: VecDeque<ClientError>,
    metadata_wanted: bool,
    metadata_in_flight: bool,
    metadata_not_before: Instant,
    /// The latest `now` the I/O layer passed in: timers at or before it are already due, so
    /// they are not reported by `next_timeout` (work that waits on a response, not on time,
    /// must not make the I/O layer spin).
    now: Instant,
}

impl ConsumerCore {
    /// A consumer of the broker at `bootstrap`.
    pub fn new(config: ConsumerConfig, bootstrap: Endpoint, now: Instant) -> Self {
        ConsumerCore {
            router: Router::new(bootstrap, config.shard_aware),
            config,
            metadata: MetadataCache::new(),
            connections: HashMap::new(),
            partitions: BTreeMap::new(),
            fetching: HashSet::new(),
            buffered: VecDeque::new(),
            buffered_bytes: 0,
            errors: VecDeque::new(),
            metadata_wanted: false,
            metadata_in_flight: false,
            metadata_not_before: now,
            now,
        }
    }

    /// Replaces the assignment. Partitions kept keep their positions; new ones start at the
    /// configured [`OffsetReset`].
    pub fn assign(&mut self, partitions: impl IntoIterator<Item = TopicPartition>, now: Instant) {
        let mut next = BTreeMap::new();
        for partition in partitions {
            let state = self.partitions.remove(&partition).unwrap_or(PartitionState {
                fetch_offset: None,
                position: None,
                seek: Some(self.config.offset_reset.into()),
                seek_in_flight: false,
                fetch_in_flight: false,
                high_watermark: None,
                skip_before_timestamp: None,
                epoch: 0,
                not_before: now,
            });
            next.insert(partition, state);
        }
        self.partitions = next;
        let partitions = &self.partitions;
        self.buffered.retain(|r| {
            partitions.contains_key(&TopicPartition::new(r.topic.clone(), r.partition))
        });
        self.buffered_bytes = self.buffered.iter().map(record_bytes).sum();
        self.metadata_wanted = true;
    }

    /// The assigned partitions.
    pub fn assignment(&self) -> Vec<TopicPartition> {
        self.partitions.keys().cloned().collect()
    }

    /// Moves a partition's position; records already fetched for it are dropped.
    pub fn seek(&mut self, partition: &TopicPartition, target: SeekTarget) -> Result<()> {
        let state = self.state_mut(partition)?;
        state.epoch += 1;
        state.fetch_in_flight = false;
        state.seek_in_flight = false;
        state.skip_before_timestamp = None;
        match target {
            SeekTarget::Offset(offset) => {
                state.fetch_offset = Some(offset);
                state.position = Some(offset);
                state.seek = None;
            }
            other => {
                state.fetch_offset = None;
                state.position = None;
                state.seek = Some(other);
            }
        }
        self.buffered
            .retain(|r| !(r.topic == partition.topic && r.partition == partition.partition));
        self.buffered_bytes = self.buffered.iter().map(record_bytes).sum();
        Ok(())
    }

    /// The offset of the next record `take_records` will return for the partition; `None`
    /// while a seek is still being resolved.
    pub fn position(&self, partition: &TopicPartition) -> Result<Option<i64>> {
        Ok(self.state(partition)?.position)
    }

    /// The partition's high watermark as of the last fetch.
    pub fn high_watermark(&self, partition: &TopicPartition) -> Result<Option<i64>> {
        Ok(self.state(partition)?.high_watermark)
    }

    /// High watermark minus position: how many records the consumer is behind.
    pub fn lag(&self, partition: &TopicPartition) -> Result<Option<i64>> {
        let state = self.state(partition)?;
        Ok(state.high_watermark.zip(state.position).map(|(hw, position)| (hw - position).max(0)))
    }

    /// Whether every assigned partition has a position.
    pub fn positions_known(&self) -> bool {
        self.partitions.values().all(|s| s.position.is_some())
    }

    /// Takes up to `max` fetched records, in fetch order (per-partition offset order), and
    /// advances positions past them.
    pub fn take_records(&mut self, max: usize) -> Vec<ConsumerRecord> {
        let count = max.min(self.buffered.len());
        let records: Vec<ConsumerRecord> = self.buffered.drain(..count).collect();
        for record in &records {
            self.buffered_bytes -= record_bytes(record);
            let key = TopicPartition::new(record.topic.clone(), record.partition);
            if let Some(state) = self.partitions.get_mut(&key) {
                state.position = Some(record.offset + 1);
            }
        }
        records
    }

    /// Whether records are waiting in [`take_records`](Self::take_records).
    pub fn has_records(&self) -> bool {
        !self.buffered.is_empty()
    }

    /// The next error to report to the caller (an unknown topic, a corrupt batch).
    pub fn take_error(&mut self) -> Option<ClientError> {
        self.errors.pop_front()
    }

    /// When `poll_transmit` next has work that depends only on time.
    pub fn next_timeout(&self) -> Option<Instant> {
        let metadata =
            (self.metadata_wanted && !self.metadata_in_flight).then_some(self.metadata_not_before);
        let partitions = self
            .partitions
            .values()
            .filter(|s| !s.fetch_in_flight && !s.seek_in_flight)
            .map(|s| s.not_before)
            .min();
        let limit = self.config.fetch_wait_max + REQUEST_TIMEOUT;
        let hung =
            self.connections.values().filter_map(|c| c.oldest_sent_at()).min().map(|t| t + limit);
        [metadata, partitions, hung].into_iter().flatten().filter(|t| *t > self.now).min()
    }

    /// Connections with a request unanswered for longer than the fetch wait plus
    /// [`REQUEST_TIMEOUT`]: the broker is hung or the network lost the answer. The I/O layer
    /// closes each and calls [`handle_connection_lost`](Self::handle_connection_lost).
    pub fn timed_out_connections(&self, now: Instant) -> Vec<Endpoint> {
        let limit = self.config.fetch_wait_max + REQUEST_TIMEOUT;
        self.connections
            .iter()
            .filter(|(_, c)| c.oldest_sent_at().is_some_and(|sent| now >= sent + limit))
            .map(|(endpoint, _)| endpoint.clone())
            .collect()
    }

    /// The next frame to write, if any is due. Call until it returns `None`.
    pub fn poll_transmit(&mut self, now: Instant) -> Option<Transmit> {
        self.now = self.now.max(now);
        if self.metadata_wanted && !self.metadata_in_flight && now >= self.metadata_not_before {
            let endpoint = self.router.bootstrap().clone();
            let connection = connection(&mut self.connections, &endpoint);
            if connection.can_send() {
                let mut topics: Vec<String> =
                    self.partitions.keys().map(|p| p.topic.to_string()).collect();
                topics.dedup();
                if let Ok(frame) = connection.encode(
                    MetadataRequest { topics }.into(),
                    Some(InFlight::Metadata),
                    now,
                ) {
                    self.metadata_wanted = false;
                    self.metadata_in_flight = true;
                    return Some(Transmit { endpoint, frame });
                }
            }
        }
        if let Some(transmit) = self.list_offsets_transmit(now) {
            return Some(transmit);
        }
        self.fetch_transmit(now)
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
            InFlight::Metadata => self.on_metadata(response.body, now),
            InFlight::ListOffsets(queries) => {
                self.on_list_offsets(endpoint, queries, response.body, now)
            }
            InFlight::Fetch(fetched) => {
                self.fetching.remove(endpoint);
                self.on_fetch(endpoint, fetched, response.body, now);
            }
        }
        Ok(())
    }

    /// The connection to `endpoint` broke: its requests are repeated after a back-off.
    pub fn handle_connection_lost(&mut self, endpoint: &Endpoint, _reason: &str, now: Instant) {
        self.fetching.remove(endpoint);
        if endpoint != self.router.bootstrap() {
            self.metadata.forget_direct(endpoint);
        }
        self.metadata_wanted = true;
        let Some(mut connection) = self.connections.remove(endpoint) else { return };
        let backoff = now + self.config.retry_backoff;
        for in_flight in connection.fail_all() {
            match in_flight {
                InFlight::Metadata => {
                    self.metadata_in_flight = false;
                    self.metadata_not_before = backoff;
                }
                InFlight::ListOffsets(queries) => {
                    for (partition, epoch, _) in queries {
                        if let Some(state) =
                            self.partitions.get_mut(&partition).filter(|s| s.epoch == epoch)
                        {
                            state.seek_in_flight = false;
                            state.not_before = backoff;
                        }
                    }
                }
                InFlight::Fetch(fetched) => {
                    for (partition, epoch) in fetched {
                        if let Some(state) =
                            self.partitions.get_mut(&partition).filter(|s| s.epoch == epoch)
                        {
                            state.fetch_in_flight = false;
                            state.not_before = backoff;
                        }
                    }
                }
            }
        }
    }

    fn state(&self, partition: &TopicPartition) -> Result<&PartitionState> {
        self.partitions.get(partition).ok_or_else(|| not_assigned(partition))
    }

    fn state_mut(&mut self, partition: &TopicPartition) -> Result<&mut PartitionState> {
        self.partitions.get_mut(partition).ok_or_else(|| not_assigned(partition))
    }

    /// Partitions ready for a request of some kind, grouped under the first endpoint found
    /// that can take one.
    fn gather(
        &mut self,
        now: Instant,
        ready: impl Fn(&PartitionState) -> bool,
    ) -> Option<(Endpoint, Vec<TopicPartition>)> {
        let mut chosen: Option<Endpoint> = None;
        let mut partitions = Vec::new();
        for (partition, state) in &self.partitions {
            if state.not_before > now || !ready(state) {
                continue;
            }
            if self.metadata.route(&partition.topic, partition.partition).is_none() {
                self.metadata_wanted = true;
                continue;
            }
            let endpoint =
                self.router.endpoint_for(&self.metadata, &partition.topic, partition.partition);
            match &chosen {
                Some(chosen) if *chosen != endpoint => continue,
                Some(_) => {}
                None => {
                    let busy = self.fetching.contains(&endpoint) && ready_is_fetch(state);
                    let full = self.connections.get(&endpoint).is_some_and(|c| !c.can_send());
                    if busy || full {
                        continue;
                    }
                    chosen = Some(endpoint);
                }
            }
            partitions.push(partition.clone());
        }
        chosen.map(|endpoint| (endpoint, partitions))
    }

    fn list_offsets_transmit(&mut self, now: Instant) -> Option<Transmit> {
        let (endpoint, partitions) = self.gather(now, |s| s.seek.is_some() && !s.seek_in_flight)?;
        let mut topics: BTreeMap<String, Vec<ListOffsetsPartition>> = BTreeMap::new();
        let mut queries = Vec::with_capacity(partitions.len());
        for partition in partitions {
            let state = self.partitions.get_mut(&partition).expect("gathered from the assignment");
            let target = state.seek.expect("gathered partitions have a seek");
            state.seek_in_flight = true;
            let query = match target {
                SeekTarget::Earliest => OffsetQuery::Earliest,
                SeekTarget::Latest => OffsetQuery::Latest,
                SeekTarget::Timestamp(ms) => OffsetQuery::AtTimestamp(ms),
                SeekTarget::Offset(_) => unreachable!("offset seeks need no look-up"),
            };
            topics
                .entry(partition.topic.to_string())
                .or_default()
                .push(ListOffsetsPartition { partition: partition.partition, query });
            queries.push((partition.clone(), state.epoch, target));
        }
        let request = ListOffsetsRequest {
            topics: topics
                .into_iter()
                .map(|(name, partitions)| ListOffsetsTopic { name, partitions })
                .collect(),
        };
        let connection = connection(&mut self.connections, &endpoint);
        match connection.encode(request.into(), Some(InFlight::ListOffsets(queries)), now) {
            Ok(frame) => Some(Transmit { endpoint, frame }),
            Err((error, _)) => {
                self.errors.push_back(error);
                None
            }
        }
    }

    fn fetch_transmit(&mut self, now: Instant) -> Option<Transmit> {
        if self.buffered_bytes >= self.config.buffer_bytes_max {
            return None;
        }
        let (endpoint, partitions) = self
            .gather(now, |s| s.fetch_offset.is_some() && !s.fetch_in_flight && s.seek.is_none())?;
        let mut topics: BTreeMap<String, Vec<FetchPartition>> = BTreeMap::new();
        let mut fetched = Vec::with_capacity(partitions.len());
        for partition in partitions {
            let state = self.partitions.get_mut(&partition).expect("gathered from the assignment");
            state.fetch_in_flight = true;
            topics.entry(partition.topic.to_string()).or_default().push(FetchPartition {
                partition: partition.partition,
                fetch_offset: state.fetch_offset.expect("gathered partitions have an offset"),
                partition_max_bytes: self.config.partition_fetch_bytes_max,
                current_leader_epoch: -1,
            });
            fetched.push((partition.clone(), state.epoch));
        }
        let request = FetchRequest {
            max_wait_ms: u32::try_from(self.config.fetch_wait_max.as_millis()).unwrap_or(u32::MAX),
            min_bytes: 1,
            max_bytes: self.config.fetch_bytes_max,
            topics: topics
                .into_iter()
                .map(|(name, partitions)| FetchTopic { name, partitions })
                .collect(),
        };
        let connection = connection(&mut self.connections, &endpoint);
        match connection.encode(request.into(), Some(InFlight::Fetch(fetched)), now) {
            Ok(frame) => {
                self.fetching.insert(endpoint.clone());
                Some(Transmit { endpoint, frame })
            }
            Err((error, _)) => {
                self.errors.push_back(error);
                None
            }
        }
    }

    fn on_metadata(&mut self, body: ResponseBody, now: Instant) {
        self.metadata_in_flight = false;
        let ResponseBody::Metadata(response) = body else {
            self.metadata_wanted = true;
            self.metadata_not_before = now + self.config.retry_backoff;
            return;
        };
        for (topic, update) in self.metadata.update(&response) {
            if let TopicUpdate::Failed(code) = update {
                self.errors.push_back(ClientError::from_code(code, &topic, None));
                // Keep asking, slowly: the topic may be created later.
                self.metadata_wanted = true;
                self.metadata_not_before = now + self.config.retry_backoff * 10;
            }
        }
        for partition in self.partitions.keys() {
            let known = self.metadata.partition_count(&partition.topic);
            if known.is_some_and(|count| partition.partition >= count) {
                self.errors.push_back(ClientError::UnknownPartition {
                    topic: partition.topic.to_string(),
                    partition: partition.partition,
                });
            }
        }
    }

    fn on_partition_error(
        &mut self,
        endpoint: &Endpoint,
        partition: &TopicPartition,
        code: ErrorCode,
        now: Instant,
    ) {
        let backoff = now + self.config.retry_backoff;
        let reset = self.config.offset_reset.into();
        let Some(state) = self.partitions.get_mut(partition) else { return };
        state.not_before = backoff;
        match code {
            ErrorCode::OffsetOutOfRange => {
                state.fetch_offset = None;
                state.position = None;
                state.seek = Some(reset);
                state.not_before = now;
            }
            ErrorCode::NotShardOwner
            | ErrorCode::UnknownPartition
            | ErrorCode::UnknownTopic
            | ErrorCode::LeaderNotAvailable
            | ErrorCode::FencedLeaderEpoch => {
                self.metadata.forget_direct(endpoint);
                self.metadata_wanted = true;
                if code == ErrorCode::UnknownTopic {
                    self.errors.push_back(ClientError::UnknownTopic(partition.topic.to_string()));
                }
            }
            code if code.is_retriable() => {}
            code => self.errors.push_back(ClientError::from_code(code, &partition.topic, None)),
        }
    }

    fn on_list_offsets(
        &mut self,
        endpoint: &Endpoint,
        queries: Vec<(TopicPartition, u64, SeekTarget)>,
        body: ResponseBody,
        now: Instant,
    ) {
        let results: HashMap<(String, u32), (ErrorCode, i64)> = match &body {
            ResponseBody::ListOffsets(response) if response.error_code == ErrorCode::None => {
                response
                    .topics
                    .iter()
                    .flat_map(|t| {
                        t.partitions
                            .iter()
                            .map(move |p| ((t.name.clone(), p.partition), (p.error_code, p.offset)))
                    })
                    .collect()
            }
            _ => HashMap::new(),
        };
        for (partition, epoch, target) in queries {
            let Some(state) = self.partitions.get_mut(&partition).filter(|s| s.epoch == epoch)
            else {
                continue;
            };
            state.seek_in_flight = false;
            match results.get(&(partition.topic.to_string(), partition.partition)) {
                Some((ErrorCode::None, offset)) if *offset >= 0 => {
                    state.fetch_offset = Some(*offset);
                    state.seek = None;
                    if let SeekTarget::Timestamp(ms) = target {
                        // The exact position is the first record at or after the time, found
                        // by the first fetch.
                        state.skip_before_timestamp = Some(i64::try_from(ms).unwrap_or(i64::MAX));
                        state.position = None;
                    } else {
                        state.position = Some(*offset);
                    }
                    if target == SeekTarget::Latest {
                        state.high_watermark = Some(*offset);
                    }
                }
                Some((ErrorCode::None, _)) if matches!(target, SeekTarget::Timestamp(_)) => {
                    // No record at or after the time: start at the end.
                    state.seek = Some(SeekTarget::Latest);
                }
                Some((ErrorCode::None, _)) => state.not_before = now + self.config.retry_backoff,
                Some((code, _)) => {
                    let code = *code;
                    self.on_partition_error(endpoint, &partition, code, now);
                }
                None => {
                    let code = match &body {
                        ResponseBody::Error(error) => error.error_code,
                        other => other.error_code(),
                    };
                    let code =
                        if code == ErrorCode::None { ErrorCode::UnknownServerError } else { code };
                    self.on_partition_error(endpoint, &partition, code, now);
                }
            }
        }
    }

    fn on_fetch(
        &mut self,
        endpoint: &Endpoint,
        fetched: Vec<(TopicPartition, u64)>,
        body: ResponseBody,
        now: Instant,
    ) {
        let mut results = HashMap::new();
        let top_level = match &body {
            ResponseBody::Fetch(response) => {
                for topic in &response.topics {
                    for partition in &topic.partitions {
                        results.insert((topic.name.clone(), partition.partition), partition);
                    }
                }
                response.error_code
            }
            ResponseBody::Error(error) => error.error_code,
            other => other.error_code(),
        };
        let mut errors = Vec::new();
        for (partition, epoch) in fetched {
            let Some(state) = self.partitions.get_mut(&partition).filter(|s| s.epoch == epoch)
            else {
                continue;
            };
            state.fetch_in_flight = false;
            let Some(result) =
                results.get(&(partition.topic.to_string(), partition.partition)).copied()
            else {
                let code = if top_level == ErrorCode::None {
                    ErrorCode::UnknownServerError
                } else {
                    top_level
                };
                errors.push((partition, code));
                continue;
            };
            if result.error_code != ErrorCode::None {
                errors.push((partition, result.error_code));
                continue;
            }
            state.high_watermark = Some(result.high_watermark);
            let fetch_offset = state.fetch_offset.expect("fetched partitions have an offset");
            let mut next = fetch_offset;
            for batch in BatchReader::new(result.records.to_bytes()) {
                let batch = match batch {
                    Ok(batch) => batch,
                    // A fetch may end with a partial batch; the next fetch reads it whole.
                    Err(BatchError::Truncated { .. }) => break,
                    Err(error) => {
                        self.errors.push_back(ClientError::Protocol(format!(
                            "partition {partition} at offset {next}: {error}"
                        )));
                        state.not_before = now + self.config.retry_backoff;
                        break;
                    }
                };
                let last_offset = batch.header().last_offset();
                if last_offset < next {
                    continue;
                }
                if !batch.header().is_control() {
                    for record in batch.records() {
                        match record {
                            Ok(record)
                                if state
                                    .skip_before_timestamp
                                    .is_some_and(|ms| record.timestamp < ms) => {}
                            Ok(record) if record.offset >= next => {
                                if state.skip_before_timestamp.take().is_some() {
                                    state.position = Some(record.offset);
                                }
                                let record = ConsumerRecord {
                                    topic: partition.topic.clone(),
                                    partition: partition.partition,
                                    offset: record.offset,
                                    timestamp_ms: record.timestamp,
                                    key: record.key,
                                    value: record.value,
                                    headers: record.headers,
                                };
                                self.buffered_bytes += record_bytes(&record);
                                self.buffered.push_back(record);
                            }
                            Ok(_) => {}
                            Err(error) => {
                                self.errors.push_back(ClientError::Protocol(format!(
                                    "partition {partition}: {error}"
                                )));
                                break;
                            }
                        }
                    }
                }
                next = last_offset + 1;
            }
            state.fetch_offset = Some(next);
            if state.skip_before_timestamp.is_some() && next >= result.high_watermark {
                // Every record up to the end was older than the time.
                state.skip_before_timestamp = None;
            }
            if state.position.is_none() && state.skip_before_timestamp.is_none() {
                state.position = Some(next);
            }
        }
        for (partition, code) in errors {
            self.on_partition_error(endpoint, &partition, code, now);
        }
    }
}

fn ready_is_fetch(state: &PartitionState) -> bool {
    state.seek.is_none()
}

fn connection<'a>(
    connections: &'a mut HashMap<Endpoint, ConnectionState<InFlight>>,
    endpoint: &Endpoint,
) -> &'a mut ConnectionState<InFlight> {
    connections
        .entry(endpoint.clone())
        .or_insert_with(|| ConnectionState::new(CONSUMER_IN_FLIGHT_MAX))
}

fn record_bytes(record: &ConsumerRecord) -> usize {
    64 + record.key.as_ref().map_or(0, |k| k.len()) + record.value.as_ref().map_or(0, |v| v.len())
}

fn not_assigned(partition: &TopicPartition) -> ClientError {
    ClientError::NotAssigned { topic: partition.topic.to_string(), partition: partition.partition }
}

#[cfg(test)]
#[path = "consumer_core_tests.rs"]
mod tests;
