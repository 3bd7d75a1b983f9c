//! One shard: the state its executor owns (partitions, metadata image, metrics) and the routing
//! of partition operations to whichever shard owns each partition.
//!
//! Architecture invariant: a partition's log is touched only by its owning shard. A request
//! that arrives elsewhere is forwarded over the mesh and its reply comes back over a channel
//! that request carried; nothing on the data path is shared or locked.

pub mod partition_op;
pub mod partition_registry;
pub mod shard_message;

mod metadata_apply;

use std::cell::RefCell;
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;

use glommio::channels::channel_mesh::Senders;
use glommio::task::JoinHandle;
use sluice_proto::ErrorCode;
use sluice_storage::BatchCache;

use crate::config::BrokerConfig;
use crate::metadata::MetadataImage;
use crate::metrics::ShardMetrics;
use crate::runtime::ShardShutdown;
pub use metadata_apply::apply_metadata;
use partition_op::{execute, PartitionOp, PartitionReply};
use partition_registry::{PartitionKey, PartitionRegistry};
use shard_message::ShardMessage;

/// What every shard shares, read-only after start-up (plus one atomic counter).
#[derive(Debug)]
pub struct BrokerShared {
    /// The validated configuration.
    pub config: BrokerConfig,
    /// The client address, port resolved.
    pub client_addr: SocketAddr,
    /// Each shard's direct address.
    pub direct_addrs: Vec<SocketAddr>,
    /// Client connections open across all shards (checked on accept only).
    pub connections_open: AtomicUsize,
    /// Identifies this cluster to clients.
    pub cluster_id: String,
}

/// The state one shard's executor owns.
pub struct ShardContext {
    /// This shard's id.
    pub id: usize,
    /// Shared, read-only configuration and addresses.
    pub shared: Arc<BrokerShared>,
    /// The newest metadata image this shard has applied.
    pub metadata: RefCell<Arc<MetadataImage>>,
    /// Partitions this shard owns.
    pub partitions: PartitionRegistry,
    /// The shard's cache of recent batches, shared by its logs.
    pub cache: BatchCache,
    /// Counters and histograms.
    pub metrics: Rc<RefCell<ShardMetrics>>,
    /// Senders to every other shard.
    pub mesh: Senders<ShardMessage>,
    /// Shutdown signal for this shard's tasks.
    pub shutdown: ShardShutdown,
    /// Serialises metadata application on this shard.
    pub metadata_lock: glommio::sync::Semaphore,
    /// Serialises metadata changes (used on shard 0 only).
    pub admin_lock: glommio::sync::Semaphore,
    /// The consumer groups this shard coordinates.
    pub groups: crate::group::coordinator_host::CoordinatorHost,
}

/// A reply that will arrive: computed here, running in a local task, or coming back over the
/// mesh.
pub enum PendingReply {
    /// Known at dispatch (unknown topic, bad partition...).
    Ready(PartitionReply),
    /// Running on this shard.
    Local(JoinHandle<PartitionReply>),
    /// Running on another shard.
    Remote(flume::Receiver<PartitionReply>),
}

impl PendingReply {
    /// Waits for the reply.
    pub async fn wait(self) -> PartitionReply {
        match self {
            PendingReply::Ready(reply) => reply,
            // A task only vanishes if the shard is going down.
            PendingReply::Local(task) => task.await.unwrap_or(Err(ErrorCode::BrokerShuttingDown)),
            PendingReply::Remote(rx) => {
                rx.recv_async().await.unwrap_or(Err(ErrorCode::BrokerShuttingDown))
            }
        }
    }
}

impl ShardContext {
    /// The shard that owns `partition` of `topic`, with the partition's key.
    pub fn locate(&self, topic: &str, partition: u32) -> Result<(usize, PartitionKey), ErrorCode> {
        let image = self.metadata.borrow();
        let record = image.topic(topic).ok_or(ErrorCode::UnknownTopic)?;
        let shard =
            image.shard_table.shard_of(record.id, partition).ok_or(ErrorCode::UnknownPartition)?;
        Ok((shard as usize, PartitionKey { topic_id: record.id, partition }))
    }

    /// Starts `op` on the partition's owner and returns its pending reply.
    ///
    /// The operation is handed to its owner before this returns (the local task is spawned, or
    /// the mesh send has completed), so operations dispatched one after another on the same
    /// partition reach it in that order. Awaiting here is how mesh backpressure reaches the
    /// caller.
    pub async fn dispatch(
        self: &Rc<Self>,
        topic: &str,
        partition: u32,
        op: PartitionOp,
    ) -> PendingReply {
        let (owner, key) = match self.locate(topic, partition) {
            Ok(found) => found,
            Err(code) => return PendingReply::Ready(Err(code)),
        };
        if owner == self.id {
            return self.run_local(key, op);
        }
        self.metrics.borrow_mut().forwarded_requests_total += 1;
        let (reply, rx) = flume::bounded(1);
        let message = ShardMessage::Partition { key, op, reply };
        match self.mesh.send_to(owner, message).await {
            Ok(()) => PendingReply::Remote(rx),
            Err(_) => PendingReply::Ready(Err(ErrorCode::BrokerShuttingDown)),
        }
    }

    /// Runs an operation on a partition this shard owns, in a task of its own.
    pub fn run_local(self: &Rc<Self>, key: PartitionKey, op: PartitionOp) -> PendingReply {
        match self.partitions.get(key) {
            // Spawned tasks start in spawn order, which keeps per-partition order.
            Some(partition) => PendingReply::Local(
                glommio::spawn_local(async move { execute(&partition, op).await }).detach(),
            ),
            // Owned in the image but not opened yet: metadata is still being applied.
            None => PendingReply::Ready(Err(ErrorCode::LeaderNotAvailable)),
        }
    }

    /// Serves a message another shard sent.
    pub fn serve_message(self: &Rc<Self>, message: ShardMessage) {
        match message {
            ShardMessage::Partition { key, op, reply } => {
                let pending = self.run_local(key, op);
                glommio::spawn_local(async move {
                    // The requester may have gone (connection closed); nothing to do then.
                    let _ = reply.send_async(pending.wait().await).await;
                })
                .detach();
            }
            ShardMessage::ApplyMetadata { image, reply } => {
                let shard = self.clone();
                glommio::spawn_local(async move {
                    let result = apply_metadata(&shard, image).await;
                    let _ = reply.send_async(result).await;
                })
                .detach();
            }
            ShardMessage::Group { request, reply } => {
                let shard = self.clone();
                glommio::spawn_local(async move {
                    let image = shard.metadata.borrow().clone();
                    let answer = shard.groups.serve(&image, request).await;
                    let _ = reply.send_async(answer).await;
                })
                .detach();
            }
            ShardMessage::Admin { request, reply } => {
                let shard = self.clone();
                glommio::spawn_local(async move {
                    let results = crate::admin::handle_admin(&shard, request).await;
                    let _ = reply.send_async(results).await;
                })
                .detach();
            }
        }
    }
}
