//! How long a log's disk operations take, reported to whoever runs the log (the broker's shard
//! metrics), so an operator can tell the disk's tail from the broker's own.
//!
//! Storage does not keep the figures itself: a shard owns thousands of logs and one set of
//! histograms, so each log holds a cheap handle to the shard's recorder. The recorder runs
//! on the log's executor, right after the operation completes.

use std::rc::Rc;
use std::time::Duration;

/// Which disk operation a latency belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiskOp {
    /// One direct write of log data (a chunk or a group commit's tail).
    Write,
    /// One fdatasync of a log segment.
    Fdatasync,
}

/// Where a log reports each write's and fdatasync's latency. Called on the log's executor,
/// never while the log holds a borrow of its own state.
pub type DiskLatencySink = Rc<dyn Fn(DiskOp, Duration)>;
