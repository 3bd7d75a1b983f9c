//! One segment of a partition log: the `<base offset, 20 digits>.log` file, its indexes, and for
//! the active segment the aligned tail-block writer; and the spare file the next segment is
//! made from.

pub mod batch_scan;
pub mod dma_appender;
pub mod log_segment;
pub mod spare_segment;

pub use dma_appender::DmaAppender;
pub use log_segment::{segment_file_name, Segment};
