//! One shard with no listeners, on the caller's executor: the request path in-process, for
//! the fuzz target and tests that feed it bytes directly.

use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;

use clap::Parser;
use glommio::channels::channel_mesh::MeshBuilder;
use sluice_storage::BatchCache;

use super::ShardShutdown;
use crate::config::{Args, BrokerConfig, FileConfig};
use crate::group::coordinator_host::CoordinatorHost;
use crate::group::{Coordinator, CoordinatorConfig};
use crate::metadata::MetadataImage;
use crate::metrics::ShardMetrics;
use crate::shard::shard_message::MESH_CHANNEL_CAPACITY;
use crate::shard::{BrokerShared, ShardContext};

/// Builds shard 0 of a one-shard broker whose data lives in `data_dir`. Must run on a
/// glommio executor, which then owns the shard.
pub async fn standalone_shard(data_dir: &Path) -> Result<Rc<ShardContext>, String> {
    let args =
        Args::try_parse_from(["sluice-broker", "--shards", "1"]).map_err(|e| e.to_string())?;
    let mut config = BrokerConfig::merge(args, FileConfig::default()).map_err(|e| e.to_string())?;
    config.data_dir = data_dir.to_owned();
    sluice_storage::dma_file_io::create_directory_all(&data_dir.join(crate::admin::METADATA_DIR))
        .await
        .map_err(|e| e.to_string())?;
    let (mesh, _receivers) = MeshBuilder::full(1, MESH_CHANNEL_CAPACITY)
        .join()
        .await
        .map_err(|_| "cannot join a one-shard mesh".to_string())?;
    let loopback = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    let shared = Arc::new(BrokerShared {
        config,
        client_addr: loopback,
        direct_addrs: vec![loopback],
        connections_open: AtomicUsize::new(0),
        cluster_id: "standalone".into(),
    });
    Ok(Rc::new(ShardContext {
        id: 0,
        shared: shared.clone(),
        metadata: RefCell::new(Arc::new(MetadataImage::default())),
        partitions: Default::default(),
        cache: BatchCache::new(shared.config.cache_bytes_per_shard),
        metrics: Rc::new(RefCell::new(ShardMetrics::new(0))),
        mesh,
        shutdown: ShardShutdown::default(),
        metadata_lock: glommio::sync::Semaphore::new(1),
        admin_lock: glommio::sync::Semaphore::new(1),
        groups: CoordinatorHost::new(
            Coordinator::new(CoordinatorConfig::default(), 1),
            data_dir.to_owned(),
            0,
        ),
    }))
}
