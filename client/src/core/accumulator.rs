//! The per-partition batch accumulator: records collect into one open batch per partition,
//! which is sealed when it is full or its linger time has passed, and sealed batches queue per
//! partition until they are sent.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant};

use bytes::Bytes;
use sluice_proto::record_batch::{BatchBuilder, BuildError};

use crate::config::IdempotenceConfig;
use crate::error::ClientError;
use crate::record::{ProducerRecord, TopicPartition};

/// One record in a batch, as the producer tracks it until it is acknowledged.
#[derive(Debug)]
pub struct QueuedRecord<T> {
    /// The caller's handle for the record's outcome.
    pub token: T,
    /// Buffer bytes the record holds (released when it completes).
    pub buffered_bytes: usize,
    /// The record's timestamp.
    pub timestamp_ms: i64,
}

/// A sealed batch: its bytes never change again, so a retry resends exactly what was built.
#[derive(Debug)]
pub struct SealedBatch<T> {
    /// Destination.
    pub partition: TopicPartition,
    /// The RecordBatch v2 bytes.
    pub records: Bytes,
    /// The records, in batch order.
    pub entries: Vec<QueuedRecord<T>>,
    /// Sends so far.
    pub attempts: u32,
    /// When the batch's first record was sent by the caller; the delivery timeout counts from
    /// here.
    pub created_at: Instant,
    /// Not to be sent again before this (retry back-off).
    pub not_before: Instant,
    /// Why the last attempt failed.
    pub last_error: Option<ClientError>,
    /// Position in the order batches were sealed (over all partitions): a requeued batch goes
    /// back ahead of every batch of its partition sealed after it.
    pub seal_index: u64,
}

#[derive(Debug)]
struct OpenBatch<T> {
    builder: BatchBuilder,
    entries: Vec<QueuedRecord<T>>,
    opened_at: Instant,
}

/// Open and sealed batches for every partition.
#[derive(Debug)]
pub struct Accumulator<T> {
    open: BTreeMap<TopicPartition, OpenBatch<T>>,
    sealed: BTreeMap<TopicPartition, VecDeque<SealedBatch<T>>>,
    batch_bytes_max: usize,
    linger: Duration,
    idempotence: Option<IdempotenceConfig>,
    sequences: HashMap<TopicPartition, i32>,
    next_seal_index: u64,
}

impl<T> Accumulator<T> {
    /// An empty accumulator.
    pub fn new(
        batch_bytes_max: usize,
        linger: Duration,
        idempotence: Option<IdempotenceConfig>,
    ) -> Self {
        Accumulator {
            open: BTreeMap::new(),
            sealed: BTreeMap::new(),
            batch_bytes_max,
            linger,
            idempotence,
            sequences: HashMap::new(),
            next_seal_index: 0,
        }
    }

    /// Appends a record to its partition's open batch, sealing that batch first if the record
    /// would not fit. Returns the partitions whose batches were sealed, or the token back with
    /// the error if the record cannot be batched at all.
    pub fn append(
        &mut self,
        partition: TopicPartition,
        record: &ProducerRecord,
        timestamp_ms: i64,
        token: T,
        now: Instant,
    ) -> Result<Vec<TopicPartition>, (T, ClientError)> {
        let mut sealed = Vec::new();
        let headers: Vec<(&[u8], Option<&[u8]>)> =
            record.headers.iter().map(|(k, v)| (k.as_bytes(), v.as_deref())).collect();
        let key = record.key.as_deref();
        let value = record.value.as_deref();
        if let Some(open) = self.open.get(&partition) {
            let grows = open.builder.record_encoded_len(timestamp_ms, key, value, &headers);
            if !open.builder.is_empty() && open.builder.encoded_len() + grows > self.batch_bytes_max
            {
                self.seal(&partition, now);
                sealed.push(partition.clone());
            }
        }
        // The common case, an open batch to append to, clones no partition name (an atomic
        // reference count pair per record).
        if !self.open.contains_key(&partition) {
            let open = OpenBatch {
                builder: BatchBuilder::with_capacity(self.batch_bytes_max.min(64 * 1024)),
                entries: Vec::new(),
                opened_at: now,
            };
            self.open.insert(partition.clone(), open);
        }
        let open = self.open.get_mut(&partition).expect("inserted above if missing");
        match open.builder.append_with_headers(timestamp_ms, key, value, &headers) {
            Ok(()) => {}
            Err(error) => {
                let error = match error {
                    BuildError::BatchTooLarge { bytes, bytes_max } => {
                        ClientError::RecordTooLarge { bytes, bytes_max }
                    }
                    other => ClientError::InvalidConfig(other.to_string()),
                };
                if open.entries.is_empty() {
                    self.open.remove(&partition);
                }
                return Err((token, error));
            }
        }
        open.entries.push(QueuedRecord {
            token,
            buffered_bytes: record.buffered_bytes(),
            timestamp_ms,
        });
        if open.builder.encoded_len() >= self.batch_bytes_max {
            self.seal(&partition, now);
            sealed.push(partition);
        }
        Ok(sealed)
    }

    /// Seals every open batch whose linger has passed and that could leave now: `can_send`
    /// says its partition has a free in-flight slot, and no sealed batch of the partition is
    /// still waiting. A batch that could not leave keeps filling instead, so a busy producer
    /// sends full batches rather than a queue of small ones (Kafka's accumulator does the same:
    /// a batch closes when the sender drains it). `flush` seals every open batch.
    /// Returns the partitions sealed.
    pub fn seal_expired(
        &mut self,
        now: Instant,
        flush: bool,
        can_send: impl Fn(&TopicPartition) -> bool,
    ) -> Vec<TopicPartition> {
        let due: Vec<TopicPartition> = self
            .open
            .iter()
            .filter(|(partition, open)| {
                flush
                    || (now >= open.opened_at + self.linger
                        && !self.sealed.contains_key(*partition)
                        && can_send(partition))
            })
            .map(|(partition, _)| partition.clone())
            .collect();
        for partition in &due {
            self.seal(partition, now);
        }
        due
    }

    /// When the oldest open batch's linger ends.
    pub fn next_linger_deadline(&self) -> Option<Instant> {
        self.open.values().map(|open| open.opened_at + self.linger).min()
    }

    /// Partitions with sealed batches waiting.
    pub fn sealed_partitions(&self) -> impl Iterator<Item = &TopicPartition> {
        self.sealed.keys()
    }

    /// The oldest sealed batch of `partition`.
    pub fn front(&self, partition: &TopicPartition) -> Option<&SealedBatch<T>> {
        self.sealed.get(partition)?.front()
    }

    /// Takes the oldest sealed batch of `partition`.
    pub fn pop_front(&mut self, partition: &TopicPartition) -> Option<SealedBatch<T>> {
        let queue = self.sealed.get_mut(partition)?;
        let batch = queue.pop_front();
        if queue.is_empty() {
            self.sealed.remove(partition);
        }
        batch
    }

    /// Puts a batch back into its partition's queue ahead of every batch sealed after it, to
    /// be retried before them (this keeps per-partition order across retries, also when
    /// several batches of a partition were in flight and come back in any order).
    pub fn push_front(&mut self, batch: SealedBatch<T>) {
        let queue = self.sealed.entry(batch.partition.clone()).or_default();
        let position =
            queue.iter().position(|b| b.seal_index > batch.seal_index).unwrap_or(queue.len());
        queue.insert(position, batch);
    }

    /// Takes every open and sealed batch of `topic` (the topic turned out not to exist).
    pub fn drain_topic(&mut self, topic: &str, now: Instant) -> Vec<SealedBatch<T>> {
        let open: Vec<TopicPartition> =
            self.open.keys().filter(|p| &*p.topic == topic).cloned().collect();
        for partition in &open {
            self.seal(partition, now);
        }
        let sealed: Vec<TopicPartition> =
            self.sealed.keys().filter(|p| &*p.topic == topic).cloned().collect();
        sealed.into_iter().flat_map(|p| self.sealed.remove(&p).unwrap_or_default()).collect()
    }

    /// Whether no record is buffered.
    pub fn is_empty(&self) -> bool {
        self.open.is_empty() && self.sealed.is_empty()
    }

    fn seal(&mut self, partition: &TopicPartition, now: Instant) {
        let Some(mut open) = self.open.remove(partition) else { return };
        assert!(!open.entries.is_empty(), "an open batch holds at least one record");
        assert_eq!(open.entries.len(), open.builder.records_count());
        if let Some(idempotence) = self.idempotence {
            let sequence = self.sequences.entry(partition.clone()).or_insert(0);
            open.builder.set_producer(
                idempotence.producer_id,
                idempotence.producer_epoch,
                *sequence,
            );
            // Kafka wraps sequence numbers at i32::MAX back to 0.
            *sequence = sequence.wrapping_add(open.entries.len() as i32) & i32::MAX;
        }
        let records = open.builder.finish();
        let seal_index = self.next_seal_index;
        self.next_seal_index += 1;
        self.sealed.entry(partition.clone()).or_default().push_back(SealedBatch {
            partition: partition.clone(),
            records,
            entries: open.entries,
            attempts: 0,
            created_at: open.opened_at,
            not_before: now,
            last_error: None,
            seal_index,
        });
    }
}

#[cfg(test)]
mod tests {
    use sluice_proto::record_batch::Batch;

    use super::*;

    fn record(value: &str) -> ProducerRecord {
        ProducerRecord::new("t", value.as_bytes().to_vec())
    }

    #[test]
    fn given_records_within_linger_when_sealing_expired_should_keep_them_open() {
        let now = Instant::now();
        let mut acc = Accumulator::new(1024, Duration::from_millis(10), None);
        let tp = TopicPartition::new("t", 0);
        acc.append(tp.clone(), &record("a"), 1, 1, now).unwrap();
        assert!(acc.seal_expired(now + Duration::from_millis(9), false, |_| true).is_empty());
        assert_eq!(acc.next_linger_deadline(), Some(now + Duration::from_millis(10)));
        assert_eq!(
            acc.seal_expired(now + Duration::from_millis(10), false, |_| true),
            vec![tp.clone()]
        );
        let batch = acc.pop_front(&tp).unwrap();
        assert_eq!(batch.entries.len(), 1);
        assert!(acc.is_empty());
    }

    #[test]
    fn given_a_full_batch_when_appending_should_seal_it_and_open_another() {
        let now = Instant::now();
        let mut acc = Accumulator::new(200, Duration::from_secs(10), None);
        let tp = TopicPartition::new("t", 0);
        let mut sealed = 0;
        for i in 0..20 {
            sealed +=
                acc.append(tp.clone(), &record(&format!("value-{i:04}")), 1, i, now).unwrap().len();
        }
        assert!(sealed >= 2);
        acc.seal_expired(now, true, |_| true);
        let mut tokens = Vec::new();
        while let Some(batch) = acc.pop_front(&tp) {
            assert!(batch.records.len() <= 200);
            let parsed = Batch::new(batch.records.clone()).unwrap();
            assert_eq!(parsed.header().records_count as usize, batch.entries.len());
            tokens.extend(batch.entries.iter().map(|e| e.token));
        }
        assert_eq!(tokens, (0..20).collect::<Vec<_>>(), "order is kept across batches");
    }

    #[test]
    fn given_idempotence_when_sealing_should_number_batches_by_record_sequence() {
        let now = Instant::now();
        let idempotence = IdempotenceConfig { producer_id: 42, producer_epoch: 3 };
        let mut acc = Accumulator::new(1024, Duration::ZERO, Some(idempotence));
        let tp = TopicPartition::new("t", 0);
        for i in 0..3 {
            acc.append(tp.clone(), &record("x"), 1, i, now).unwrap();
        }
        acc.seal_expired(now, true, |_| true);
        acc.append(tp.clone(), &record("y"), 1, 3, now).unwrap();
        acc.seal_expired(now, true, |_| true);
        let first = Batch::new(acc.pop_front(&tp).unwrap().records).unwrap();
        let second = Batch::new(acc.pop_front(&tp).unwrap().records).unwrap();
        assert_eq!((first.header().producer_id, first.header().producer_epoch), (42, 3));
        assert_eq!(first.header().base_sequence, 0);
        assert_eq!(second.header().base_sequence, 3);
    }

    #[test]
    fn given_a_partition_that_cannot_send_when_linger_passes_should_keep_its_batch_filling() {
        let now = Instant::now();
        let mut acc = Accumulator::new(1024, Duration::ZERO, None);
        let tp = TopicPartition::new("t", 0);
        acc.append(tp.clone(), &record("a"), 1, 0, now).unwrap();
        assert!(acc.seal_expired(now, false, |_| false).is_empty(), "no slot: keep filling");
        acc.append(tp.clone(), &record("b"), 1, 1, now).unwrap();
        assert_eq!(acc.seal_expired(now, false, |_| true), vec![tp.clone()]);
        acc.append(tp.clone(), &record("c"), 1, 2, now).unwrap();
        assert!(
            acc.seal_expired(now, false, |_| true).is_empty(),
            "a sealed batch is still waiting: the open one keeps filling"
        );
        assert_eq!(acc.pop_front(&tp).unwrap().entries.len(), 2);
        assert_eq!(acc.seal_expired(now, true, |_| false), vec![tp], "flush seals regardless");
    }

    #[test]
    fn given_batches_requeued_out_of_order_when_pushing_front_should_restore_seal_order() {
        let now = Instant::now();
        let mut acc = Accumulator::new(1024, Duration::ZERO, None);
        let tp = TopicPartition::new("t", 0);
        for i in 0..4 {
            acc.append(tp.clone(), &record("x"), 1, i, now).unwrap();
            acc.seal_expired(now, true, |_| true);
        }
        let first = acc.pop_front(&tp).unwrap();
        let second = acc.pop_front(&tp).unwrap();
        // Both were in flight and failed; the later one is requeued first.
        acc.push_front(second);
        acc.push_front(first);
        let order: Vec<u32> =
            std::iter::from_fn(|| acc.pop_front(&tp)).map(|b| b.entries[0].token).collect();
        assert_eq!(order, vec![0, 1, 2, 3]);
    }

    #[test]
    fn given_a_record_larger_than_any_batch_when_appending_should_fail_it() {
        let now = Instant::now();
        let mut acc = Accumulator::new(1024, Duration::ZERO, None);
        let huge = ProducerRecord::new("t", vec![0u8; sluice_proto::limits::BATCH_BYTES_MAX]);
        let (token, error) = acc.append(TopicPartition::new("t", 0), &huge, 1, 9, now).unwrap_err();
        assert_eq!(token, 9);
        assert!(matches!(error, ClientError::RecordTooLarge { .. }));
        assert!(acc.is_empty());
    }
}
