//! Fetch: a long poll. Reads every requested partition from its owner; if fewer than
//! `min_bytes` came back it waits (up to `max_wait_ms`) for any of the partitions to receive
//! data, then reads again. Batch bytes are returned exactly as stored, as payload chunks.

use std::rc::Rc;
use std::time::{Duration, Instant};

use sluice_proto::message::{
    BatchBytes, FetchPartitionResult, FetchRequest, FetchResponse, FetchTopicResult,
};
use sluice_proto::ErrorCode;

use crate::shard::partition_op::{PartitionOp, PartitionOutcome};
use crate::shard::ShardContext;

/// Longest long poll a client may ask for; longer requests are clamped.
pub const FETCH_WAIT_MS_MAX: u32 = 60_000;

/// Serves a fetch.
pub async fn handle(shard: &Rc<ShardContext>, request: FetchRequest) -> FetchResponse {
    let started = Instant::now();
    let deadline =
        started + Duration::from_millis(u64::from(request.max_wait_ms.min(FETCH_WAIT_MS_MAX)));
    let min_bytes = request.min_bytes.max(1) as usize;
    let response = loop {
        let response = read_all(shard, &request).await;
        let bytes: usize = payload_bytes(&response);
        let errors = response
            .topics
            .iter()
            .flat_map(|t| &t.partitions)
            .any(|p| p.error_code != ErrorCode::None);
        if bytes >= min_bytes
            || errors
            || Instant::now() >= deadline
            || shard.shutdown.is_triggered()
        {
            break response;
        }
        if !wait_for_any(shard, &request, &response, deadline).await {
            break response;
        }
    };
    let mut metrics = shard.metrics.borrow_mut();
    metrics.bytes_out_total += payload_bytes(&response) as u64;
    metrics.record_fetch(started.elapsed());
    response
}

fn payload_bytes(response: &FetchResponse) -> usize {
    response.topics.iter().flat_map(|t| &t.partitions).map(|p| p.records.len()).sum()
}

/// Reads every partition once, within the response byte budget.
async fn read_all(shard: &Rc<ShardContext>, request: &FetchRequest) -> FetchResponse {
    // Start every read before awaiting any, so partitions on other shards are read in parallel.
    let mut pending = Vec::new();
    for topic in &request.topics {
        for partition in &topic.partitions {
            let op = PartitionOp::Read {
                offset: partition.fetch_offset,
                max_bytes: partition.partition_max_bytes.max(1) as usize,
            };
            pending.push(shard.dispatch(&topic.name, partition.partition, op).await);
        }
    }
    let mut pending = pending.into_iter();
    let mut budget = request.max_bytes.max(1) as usize;
    let mut any_data = false;
    let mut topics = Vec::with_capacity(request.topics.len());
    for topic in &request.topics {
        let mut partitions = Vec::with_capacity(topic.partitions.len());
        for partition in &topic.partitions {
            let reply = pending.next().expect("one pending read per partition").wait().await;
            let mut result = FetchPartitionResult {
                partition: partition.partition,
                error_code: ErrorCode::None,
                high_watermark: -1,
                log_start_offset: -1,
                last_stable_offset: -1,
                records: BatchBytes::default(),
            };
            match reply {
                Ok(PartitionOutcome::Read { records, high_watermark, log_start_offset }) => {
                    result.high_watermark = high_watermark;
                    result.last_stable_offset = high_watermark;
                    result.log_start_offset = log_start_offset;
                    // The first non-empty partition always goes in whole, so a batch larger
                    // than the budget cannot stall a consumer; later ones must fit.
                    if !records.is_empty() && (!any_data || records.len() <= budget) {
                        budget = budget.saturating_sub(records.len());
                        any_data = true;
                        result.records = BatchBytes::from(records);
                    }
                }
                Ok(other) => unreachable!("a read answers Read, got {other:?}"),
                Err(code) => result.error_code = code,
            }
            partitions.push(result);
        }
        topics.push(FetchTopicResult { name: topic.name.clone(), partitions });
    }
    FetchResponse { error_code: ErrorCode::None, topics }
}

/// Waits until any partition that returned nothing gets data, or the deadline. Returns whether
/// reading again is worthwhile.
async fn wait_for_any(
    shard: &Rc<ShardContext>,
    request: &FetchRequest,
    response: &FetchResponse,
    deadline: Instant,
) -> bool {
    let mut waits = Vec::new();
    for (topic, result) in request.topics.iter().zip(&response.topics) {
        for (partition, result) in topic.partitions.iter().zip(&result.partitions) {
            if result.records.is_empty() {
                let op = PartitionOp::WaitForData { offset: partition.fetch_offset, deadline };
                waits.push(Box::pin(
                    shard.dispatch(&topic.name, partition.partition, op).await.wait(),
                ));
            }
        }
    }
    if waits.is_empty() {
        return false;
    }
    let shutdown = shard.shutdown.clone();
    let any_arrived = async {
        // Resolves with the first wait to finish: a partition got data, or every wait timed out
        // at the same deadline.
        let (first, _, _) = futures_util::future::select_all(waits).await;
        matches!(first, Ok(PartitionOutcome::Waited { data_arrived: true }))
    };
    futures_lite::future::or(any_arrived, async {
        shutdown.triggered().await;
        false
    })
    .await
}
