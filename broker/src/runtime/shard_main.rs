//! The life of one shard: join the mesh, open its partitions, accept connections, publish
//! metrics, enforce retention, and on shutdown drain and close.

use std::cell::RefCell;
use std::os::fd::FromRawFd;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use glommio::channels::channel_mesh::{Full, MeshBuilder};
use glommio::net::TcpListener;
use glommio::sync::Gate;
use sluice_storage::BatchCache;

use super::{ShardShutdown, ShardSockets};
use crate::connection;
use crate::group::coordinator_host::CoordinatorHost;
use crate::group::{Coordinator, CoordinatorConfig};
use crate::metadata::MetadataImage;
use crate::metrics::{PartitionGauge, ShardMetrics, SnapshotSlot, PUBLISH_INTERVAL};
use crate::shard::shard_message::ShardMessage;
use crate::shard::{apply_metadata, BrokerShared, ShardContext};

/// How often each shard deletes segments past their topic's retention.
pub const RETENTION_CHECK_INTERVAL: Duration = Duration::from_secs(30);

/// How often each shard expires group members whose session ran out; well under the
/// shortest session timeout accepted.
pub const GROUP_TICK_INTERVAL: Duration = Duration::from_millis(50);

/// Everything a shard needs to start, moved onto its thread.
pub struct ShardStart {
    /// Shard id (also its mesh peer id).
    pub id: usize,
    /// Shared configuration and addresses.
    pub shared: Arc<BrokerShared>,
    /// The metadata loaded at start-up.
    pub image: Arc<MetadataImage>,
    /// Its listening sockets.
    pub sockets: ShardSockets,
    /// The mesh every shard joins.
    pub mesh: MeshBuilder<ShardMessage, Full>,
    /// Where it publishes metrics.
    pub metrics_slot: SnapshotSlot,
    /// Yields once when the broker must stop.
    pub shutdown_rx: flume::Receiver<()>,
    /// Told once the shard serves (or why it cannot).
    pub ready: flume::Sender<Result<(), String>>,
}

/// Runs a shard to completion. Returns an error only for start-up failures.
pub async fn run_shard(start: ShardStart) -> Result<(), String> {
    let ShardStart { id, shared, image, sockets, mesh, metrics_slot, shutdown_rx, ready } = start;
    let (senders, mut receivers) =
        mesh.join().await.map_err(|_| format!("shard {id}: cannot join the channel mesh"))?;
    // Shards are spawned in id order, so mesh peer ids match shard ids; everything that
    // forwards relies on it.
    assert_eq!(senders.peer_id(), id, "mesh peer id must equal the shard id");
    let shard = Rc::new(ShardContext {
        id,
        shared: shared.clone(),
        metadata: RefCell::new(Arc::new(MetadataImage::default())),
        partitions: Default::default(),
        cache: BatchCache::new(shared.config.cache_bytes_per_shard),
        metrics: Rc::new(RefCell::new(ShardMetrics::new(id))),
        mesh: senders,
        shutdown: ShardShutdown::default(),
        metadata_lock: glommio::sync::Semaphore::new(1),
        admin_lock: glommio::sync::Semaphore::new(1),
        groups: CoordinatorHost::new(
            Coordinator::new(CoordinatorConfig::default(), coordinator_incarnation(id)),
            shared.config.data_dir.clone(),
            id,
        ),
    });

    for (_, receiver) in receivers.streams() {
        let shard = shard.clone();
        glommio::spawn_local(async move {
            while let Some(message) = receiver.recv().await {
                shard.serve_message(message);
            }
        })
        .detach();
    }

    if let Err(e) = apply_metadata(&shard, image).await {
        // A partition that cannot be opened is reported and left unavailable; the rest serve.
        tracing::error!(shard = id, error = %e, "some partitions could not be opened");
    }

    match shard.groups.load(shared.config.shards).await {
        Ok(restored) => tracing::debug!(shard = id, restored, "committed offsets loaded"),
        Err(e) => {
            let message = format!("shard {id}: cannot load committed offsets: {e}");
            let _ = ready.send_async(Err(message.clone())).await;
            return Err(message);
        }
    }

    {
        let shard = shard.clone();
        glommio::spawn_local(async move {
            // The signal thread may be gone at exit; either way this shard stops.
            let _ = shutdown_rx.recv_async().await;
            shard.shutdown.trigger();
        })
        .detach();
    }
    spawn_metrics_publisher(&shard, metrics_slot);
    spawn_timer_lag_probe(&shard);
    spawn_retention(&shard);
    spawn_group_ticker(&shard);

    // SAFETY: the descriptors were created by BoundListeners for this shard alone and are
    // wrapped exactly once here.
    let client = unsafe { TcpListener::from_raw_fd(sockets.client_fd) };
    let direct = unsafe { TcpListener::from_raw_fd(sockets.direct_fd) };
    let connections = Rc::new(Gate::new());
    let accept_client =
        glommio::spawn_local(accept_loop(shard.clone(), client, connections.clone()));
    let accept_direct =
        glommio::spawn_local(accept_loop(shard.clone(), direct, connections.clone()));
    let _ = ready.send_async(Ok(())).await;
    tracing::debug!(shard = id, "serving");

    shard.shutdown.triggered().await;
    accept_client.await;
    accept_direct.await;
    let drain = shared.config.shutdown_timeout;
    let drained = futures_lite::future::or(
        async {
            let _ = connections.close().await;
            true
        },
        async {
            glommio::timer::sleep(drain).await;
            false
        },
    )
    .await;
    if !drained {
        tracing::warn!(shard = id, "connections still open after {drain:?}; closing logs anyway");
    }
    for (key, partition) in shard.partitions.all() {
        if let Err(e) = partition.log.close().await {
            tracing::error!(topic = %partition.topic, partition = key.partition, error = %e, "closing the log failed");
        }
    }
    shard.mesh.close();
    tracing::debug!(shard = id, "stopped");
    Ok(())
}

async fn accept_loop(shard: Rc<ShardContext>, listener: TcpListener, connections: Rc<Gate>) {
    loop {
        let accepted = futures_lite::future::or(async { Some(listener.accept().await) }, async {
            shard.shutdown.triggered().await;
            None
        })
        .await;
        let stream = match accepted {
            None => return,
            Some(Ok(stream)) => stream,
            Some(Err(e)) => {
                // EMFILE and friends: log, back off briefly, keep serving the others.
                tracing::warn!(shard = shard.id, error = %e, "accept failed");
                glommio::timer::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let open = &shard.shared.connections_open;
        let limit = shard.shared.config.max_connections;
        if open.fetch_add(1, std::sync::atomic::Ordering::Relaxed) >= limit {
            open.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
            shard.metrics.borrow_mut().connections_refused_total += 1;
            tracing::warn!(shard = shard.id, limit, "connection limit reached; refusing a client");
            drop(stream);
            continue;
        }
        {
            let mut metrics = shard.metrics.borrow_mut();
            metrics.connections_accepted_total += 1;
            metrics.connections_open += 1;
        }
        let task_shard = shard.clone();
        let spawned = connections.spawn(async move {
            connection::serve(task_shard.clone(), stream).await;
            task_shard.shared.connections_open.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
            task_shard.metrics.borrow_mut().connections_open -= 1;
        });
        match spawned {
            Ok(task) => task.detach(),
            Err(_) => return, // the gate closed: shutting down
        };
    }
}

fn spawn_metrics_publisher(shard: &Rc<ShardContext>, slot: SnapshotSlot) {
    let shard = shard.clone();
    glommio::spawn_local(async move {
        loop {
            {
                let mut metrics = shard.metrics.borrow_mut();
                metrics.partitions = shard
                    .partitions
                    .all()
                    .into_iter()
                    .map(|(key, p)| PartitionGauge {
                        topic: p.topic.to_string(),
                        partition: key.partition,
                        log_start_offset: p.log.log_start_offset(),
                        log_end_offset: p.log.log_end_offset(),
                    })
                    .collect();
                slot.publish(&metrics);
            }
            if shard.shutdown.is_triggered() {
                return;
            }
            shard.shutdown.sleep(PUBLISH_INTERVAL).await;
        }
    })
    .detach();
}

/// How often the timer-lag probe wakes: often enough for a distribution over a benchmark's
/// seconds, rarely enough to cost an idle shard nothing (100 wake-ups a second).
const TIMER_LAG_PROBE_INTERVAL: Duration = Duration::from_millis(10);

/// Measures how late a timer on this shard fires. glommio looks at timers and socket
/// completions at the same moments (when the task queue runs dry or preemption is due), so the
/// lateness is how long a request that has arrived can wait before the shard even reads it:
/// the part of a produce's latency that the produce histogram, which starts at decode, cannot
/// see.
fn spawn_timer_lag_probe(shard: &Rc<ShardContext>) {
    let shard = shard.clone();
    glommio::spawn_local(async move {
        loop {
            let due = Instant::now() + TIMER_LAG_PROBE_INTERVAL;
            if !shard.shutdown.sleep(TIMER_LAG_PROBE_INTERVAL).await {
                return;
            }
            shard
                .metrics
                .borrow_mut()
                .record_timer_lag(Instant::now().saturating_duration_since(due));
        }
    })
    .detach();
}

fn spawn_retention(shard: &Rc<ShardContext>) {
    let shard = shard.clone();
    glommio::spawn_local(async move {
        while shard.shutdown.sleep(RETENTION_CHECK_INTERVAL).await {
            let now_ms = SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as i64);
            for (key, partition) in shard.partitions.all() {
                match partition.log.enforce_retention(now_ms).await {
                    Ok(outcome) if outcome.segments_deleted > 0 => tracing::info!(
                        topic = %partition.topic,
                        partition = key.partition,
                        segments = outcome.segments_deleted,
                        bytes = outcome.bytes_deleted,
                        log_start_offset = outcome.log_start_offset,
                        "retention deleted segments"
                    ),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(topic = %partition.topic, partition = key.partition, error = %e, "retention failed"),
                }
                glommio::yield_if_needed().await;
            }
        }
    })
    .detach();
}

/// Distinct per shard and per run, so member ids never repeat across restarts.
fn coordinator_incarnation(shard: usize) -> u64 {
    let nanos =
        SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    (nanos as u64) ^ ((shard as u64) << 56)
}

fn spawn_group_ticker(shard: &Rc<ShardContext>) {
    let shard = shard.clone();
    glommio::spawn_local(async move {
        while shard.shutdown.sleep(GROUP_TICK_INTERVAL).await {
            let image = shard.metadata.borrow().clone();
            shard.groups.tick(&image).await;
        }
    })
    .detach();
}
