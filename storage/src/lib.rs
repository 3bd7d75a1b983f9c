//! # sluice-storage
//!
//! The per-partition segmented log on glommio direct I/O. Lands with the storage issue.
