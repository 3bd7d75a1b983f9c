//! Start-up and shutdown of the whole broker: everything that happens on the main thread.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;

use glommio::channels::channel_mesh::MeshBuilder;
use glommio::{CpuSet, LocalExecutorBuilder, Placement};
use sluice_storage::reactor_tick::with_reactor_tick;

use super::shard_cores::shard_cores;
use super::shard_main::{run_shard, ShardStart};
use super::{install_signal_handler, BoundListeners};
use crate::admin::{metadata_path, METADATA_DIR};
use crate::config::BrokerConfig;
use crate::metadata::MetadataImage;
use crate::metrics::{MetricsEndpoint, SnapshotSlot};
use crate::shard::shard_message::MESH_CHANNEL_CAPACITY;
use crate::shard::BrokerShared;

/// Registered DMA memory per shard. glommio's default (10 MiB) exceeds a common 8 MiB
/// RLIMIT_MEMLOCK; DMA buffers beyond this come from ordinary aligned allocations.
const SHARD_IO_MEMORY_BYTES: usize = 512 * 1024;

/// How long an idle shard spins before parking in the kernel. An executor that parks wakes
/// late for I/O completions on a loaded machine (milliseconds, seen in the storage
/// benchmarks); a short spin keeps acknowledgement latency low at the cost of a little CPU
/// right after each burst of work.
const SHARD_SPIN_BEFORE_PARK: std::time::Duration = std::time::Duration::from_micros(200);

/// Why the broker could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    /// The data directory is unusable.
    #[error("data directory {path}: {reason}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// Another process uses the data directory.
    #[error("data directory {0} is in use by another sluice-broker")]
    DataDirLocked(PathBuf),
    /// The metadata file could not be read.
    #[error("cannot load metadata: {0}")]
    Metadata(String),
    /// A listener could not be bound.
    #[error(transparent)]
    Bind(#[from] super::BindError),
    /// The metrics listener could not be bound.
    #[error(transparent)]
    Metrics(#[from] crate::metrics::MetricsEndpointError),
    /// A thread or executor could not start.
    #[error("cannot start {what}: {reason}")]
    Spawn {
        /// Which.
        what: String,
        /// Why.
        reason: String,
    },
    /// A shard failed.
    #[error("shard {shard} failed: {reason}")]
    Shard {
        /// Which.
        shard: usize,
        /// Why.
        reason: String,
    },
}

/// Runs the broker until SIGINT/SIGTERM and a clean drain.
pub fn run(mut config: BrokerConfig) -> Result<(), BrokerError> {
    prepare_data_dir(&config.data_dir)?;
    // glommio's directory operations fail on relative paths (EBADF), and an absolute path
    // in the start-up line and logs is clearer anyway.
    config.data_dir =
        std::fs::canonicalize(&config.data_dir).map_err(|e| BrokerError::DataDir {
            path: config.data_dir.clone(),
            reason: format!("cannot resolve: {e}"),
        })?;
    let data_dir = config.data_dir.clone();
    let _lock = lock_data_dir(&data_dir)?;
    let mut image = load_metadata(&data_dir)?;
    if image.cluster_id.is_empty() {
        image.cluster_id = new_cluster_id();
    }
    remove_orphan_topics(&data_dir, &image);

    let listeners = BoundListeners::bind(config.listen, config.shard_port_base, config.shards)?;
    let metrics = MetricsEndpoint::bind(config.metrics_listen)?;
    let metrics_addr = metrics.local_addr().map_err(|e| BrokerError::Spawn {
        what: "metrics endpoint".into(),
        reason: e.to_string(),
    })?;
    let shutdown_receivers = install_signal_handler(config.shards)
        .map_err(|e| BrokerError::Spawn { what: "signal handler".into(), reason: e.to_string() })?;
    let slots: Vec<SnapshotSlot> = (0..config.shards).map(|_| SnapshotSlot::default()).collect();
    metrics
        .spawn(slots.clone())
        .map_err(|e| BrokerError::Spawn { what: "metrics thread".into(), reason: e.to_string() })?;

    let shared = Arc::new(BrokerShared {
        client_addr: listeners.client_addr,
        direct_addrs: listeners.direct_addrs.clone(),
        connections_open: AtomicUsize::new(0),
        cluster_id: image.cluster_id.clone(),
        config: config.clone(),
    });
    let image = Arc::new(image);
    let online: Vec<usize> =
        CpuSet::online().map(|set| set.iter().map(|l| l.cpu).collect()).unwrap_or_default();
    let cores = shard_cores(config.cores.as_deref(), online, config.shards)
        .map_err(|reason| BrokerError::Spawn { what: "shards".into(), reason })?;
    let mesh = MeshBuilder::full(config.shards, MESH_CHANNEL_CAPACITY);
    let (ready_tx, ready_rx) = flume::unbounded();
    let mut handles = Vec::with_capacity(config.shards);
    for (((id, sockets), shutdown_rx), core) in
        listeners.per_shard.into_iter().enumerate().zip(shutdown_receivers).zip(cores)
    {
        let placement = core.map_or(Placement::Unbound, Placement::Fixed);
        let start = ShardStart {
            id,
            shared: shared.clone(),
            image: image.clone(),
            sockets,
            mesh: mesh.clone(),
            metrics_slot: slots[id].clone(),
            shutdown_rx,
            ready: ready_tx.clone(),
        };
        let handle = LocalExecutorBuilder::new(placement)
            .name(&format!("shard-{id}"))
            .io_memory(SHARD_IO_MEMORY_BYTES)
            .spin_before_park(SHARD_SPIN_BEFORE_PARK)
            .spawn(move || async move {
                let span = tracing::info_span!("shard", id);
                let _enter = span.enter();
                with_reactor_tick(run_shard(start)).await
            })
            .map_err(|e| BrokerError::Spawn {
                what: format!("shard {id}"),
                reason: e.to_string(),
            })?;
        handles.push(handle);
    }
    drop(ready_tx);
    for _ in 0..config.shards {
        match ready_rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(reason)) => return Err(BrokerError::Shard { shard: 0, reason }),
            Err(_) => break, // a shard died before reporting; its join below says why
        }
    }
    announce(&config, &shared, metrics_addr);

    let mut failure = None;
    for (id, handle) in handles.into_iter().enumerate() {
        match handle.join() {
            Ok(Ok(())) => {}
            Ok(Err(reason)) => failure = failure.or(Some(BrokerError::Shard { shard: id, reason })),
            Err(e) => {
                failure = failure.or(Some(BrokerError::Shard { shard: id, reason: e.to_string() }))
            }
        }
    }
    match failure {
        None => {
            tracing::info!("stopped cleanly");
            Ok(())
        }
        Some(e) => Err(e),
    }
}

/// The one start-up line: tests and operators read the resolved addresses from it.
fn announce(config: &BrokerConfig, shared: &BrokerShared, metrics: std::net::SocketAddr) {
    let direct: Vec<String> = shared.direct_addrs.iter().map(ToString::to_string).collect();
    println!(
        "sluice-broker {} node {} listening on {} (shard-direct {}), metrics http://{}/metrics, {} shard{}, data {}",
        env!("CARGO_PKG_VERSION"),
        config.node_id,
        shared.client_addr,
        direct.join(","),
        metrics,
        config.shards,
        if config.shards == 1 { "" } else { "s" },
        config.data_dir.display(),
    );
}

fn prepare_data_dir(data_dir: &Path) -> Result<(), BrokerError> {
    let meta = data_dir.join(METADATA_DIR);
    std::fs::create_dir_all(&meta).map_err(|e| BrokerError::DataDir {
        path: data_dir.to_owned(),
        reason: format!("cannot create: {e}"),
    })
}

/// Holds an exclusive lock on the data directory for as long as the returned file lives, so
/// two brokers never write the same logs.
fn lock_data_dir(data_dir: &Path) -> Result<File, BrokerError> {
    let path = data_dir.join(METADATA_DIR).join("lock");
    let file = File::create(&path).map_err(|e| BrokerError::DataDir {
        path: data_dir.to_owned(),
        reason: format!("cannot create {}: {e}", path.display()),
    })?;
    // SAFETY: flock on a descriptor we own; no memory is involved.
    let locked = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if locked != 0 {
        return Err(BrokerError::DataDirLocked(data_dir.to_owned()));
    }
    Ok(file)
}

/// Reads the metadata document on a short-lived executor (the storage crate's file API is
/// async); a missing document is a fresh broker.
fn load_metadata(data_dir: &Path) -> Result<MetadataImage, BrokerError> {
    let path = metadata_path(data_dir);
    let executor = LocalExecutorBuilder::new(Placement::Unbound)
        .io_memory(SHARD_IO_MEMORY_BYTES)
        .make()
        .map_err(|e| BrokerError::Spawn { what: "loader".into(), reason: e.to_string() })?;
    executor
        .run(with_reactor_tick(async move {
            match sluice_storage::metadata_file::read::<MetadataImage>(&path).await {
                Err(sluice_storage::StorageError::NotFound { .. }) => Ok(MetadataImage::default()),
                other => other,
            }
        }))
        .map_err(|e| BrokerError::Metadata(e.to_string()))
}

/// Deletes topic directories the metadata does not name: left behind when the broker died
/// between persisting a topic deletion and removing its files. Names starting with `__` are
/// never topics (topic names cannot start so): they hold the broker's own state (metadata,
/// committed offsets) and are left alone.
fn remove_orphan_topics(data_dir: &Path, image: &MetadataImage) {
    let Ok(entries) = std::fs::read_dir(data_dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_dir = entry.file_type().map(|t| t.is_dir()).unwrap_or(false);
        if !is_dir || name.starts_with("__") || image.topics.contains_key(&name) {
            continue;
        }
        match std::fs::remove_dir_all(entry.path()) {
            Ok(()) => tracing::warn!(topic = %name, "removed files of a deleted topic"),
            Err(e) => {
                tracing::warn!(topic = %name, error = %e, "cannot remove files of a deleted topic")
            }
        }
    }
}

fn new_cluster_id() -> String {
    let mut bytes = [0u8; 16];
    // SAFETY: getrandom writes at most `len` bytes into the buffer we pass.
    let filled = unsafe { libc::getrandom(bytes.as_mut_ptr().cast(), bytes.len(), 0) };
    if filled != bytes.len() as isize {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        bytes = (nanos ^ u128::from(std::process::id())).to_le_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
