//! The storage error type: every failure a caller or the disk can cause, typed, so the broker
//! can map each one to a wire error code in one place and tell a retryable condition (disk full,
//! offset out of range) from a fatal one (failed log).

use std::path::{Path, PathBuf};

use sluice_proto::record_batch::BatchError;

/// Result alias for storage operations.
pub type StorageResult<T> = Result<T, StorageError>;

/// What went wrong in the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The device has no space left (ENOSPC, EDQUOT). Appends are refused; the log stays
    /// readable and accepts appends again once space is freed.
    #[error("no space left on device while {op} {path:?}")]
    DiskFull {
        /// What was being done.
        op: &'static str,
        /// The file or directory concerned.
        path: PathBuf,
    },
    /// Permission denied (EACCES, EPERM) or a read-only file system (EROFS).
    #[error("permission denied while {op} {path:?}: {source}")]
    PermissionDenied {
        /// What was being done.
        op: &'static str,
        /// The file or directory concerned.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A file or directory that must exist does not (ENOENT).
    #[error("not found while {op} {path:?}")]
    NotFound {
        /// What was being done.
        op: &'static str,
        /// The file or directory concerned.
        path: PathBuf,
    },
    /// Any other I/O error, EIO included.
    #[error("I/O error while {op} {path:?}: {source}")]
    Io {
        /// What was being done.
        op: &'static str,
        /// The file or directory concerned.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The log hit an error after which its on-disk state cannot be trusted (an fdatasync or a
    /// write failed). Every later append fails with this; reopen the log to recover it.
    #[error("log {path:?} has failed and must be reopened: {reason}")]
    LogFailed {
        /// The partition directory.
        path: PathBuf,
        /// The first error that failed the log.
        reason: String,
    },
    /// The log was closed.
    #[error("log {0:?} is closed")]
    Closed(PathBuf),
    /// A batch offered for append is not a valid RecordBatch v2.
    #[error("invalid batch: {0}")]
    InvalidBatch(#[from] BatchError),
    /// The buffer offered for append holds more than the one batch it starts with.
    #[error("append buffer of {buffer_bytes} bytes holds a {batch_bytes}-byte batch and more")]
    TrailingBytes {
        /// Length of the batch at the start of the buffer.
        batch_bytes: usize,
        /// Length of the buffer.
        buffer_bytes: usize,
    },
    /// The appended batch was removed by `truncate_to` before it became durable.
    #[error("batch ending at offset {offset} was truncated before it became durable")]
    TruncatedBeforeDurable {
        /// Last offset of the batch.
        offset: i64,
    },
    /// A read or truncation asked for an offset outside `[log start, log end]`.
    #[error("offset {offset} is out of range [{log_start_offset}, {log_end_offset}]")]
    OffsetOutOfRange {
        /// The offset asked for.
        offset: i64,
        /// First offset still in the log.
        log_start_offset: i64,
        /// Next offset to be assigned.
        log_end_offset: i64,
    },
    /// Bytes read back from disk did not form a valid batch where one was expected.
    #[error("corrupt data in {path:?} at byte {position}: {reason}")]
    Corrupt {
        /// The file concerned.
        path: PathBuf,
        /// Byte position in the file.
        position: u64,
        /// What was wrong.
        reason: String,
    },
    /// A metadata file's envelope or payload failed its checks.
    #[error("corrupt metadata file {path:?}: {reason}")]
    CorruptMetadata {
        /// The file concerned.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// The configuration is not usable.
    #[error("invalid log configuration: {0}")]
    InvalidConfig(String),
}

impl StorageError {
    /// Classifies an OS error by errno, so callers match on a kind instead of a number.
    pub fn from_io(op: &'static str, path: &Path, source: std::io::Error) -> StorageError {
        let path = path.to_path_buf();
        match source.raw_os_error() {
            Some(libc::ENOSPC) | Some(libc::EDQUOT) => StorageError::DiskFull { op, path },
            Some(libc::EACCES) | Some(libc::EPERM) | Some(libc::EROFS) => {
                StorageError::PermissionDenied { op, path, source }
            }
            Some(libc::ENOENT) => StorageError::NotFound { op, path },
            _ => StorageError::Io { op, path, source },
        }
    }

    /// Converts a glommio error, keeping the errno that glommio's own `From` impl would drop.
    pub fn from_glommio(op: &'static str, path: &Path, err: glommio::GlommioError<()>) -> Self {
        let source = match err {
            glommio::GlommioError::IoError(source) => source,
            glommio::GlommioError::EnhancedIoError { source, .. } => source,
            other => std::io::Error::other(other.to_string()),
        };
        StorageError::from_io(op, path, source)
    }

    /// Whether retrying the same operation later can succeed (space freed, offset changed).
    /// A write that fails mid-segment fails the log even when its error is `DiskFull` (the
    /// first caller gets the cause, later ones [`StorageError::LogFailed`]): check
    /// `PartitionLog::is_failed` before retrying.
    pub fn is_retryable(&self) -> bool {
        matches!(self, StorageError::DiskFull { .. } | StorageError::OffsetOutOfRange { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_enospc_when_classifying_should_be_disk_full() {
        let err = StorageError::from_io(
            "writing",
            Path::new("/x"),
            std::io::Error::from_raw_os_error(libc::ENOSPC),
        );
        assert!(matches!(err, StorageError::DiskFull { .. }));
        assert!(err.is_retryable());
    }

    #[test]
    fn given_eacces_and_eio_when_classifying_should_be_typed() {
        let denied = StorageError::from_io(
            "opening",
            Path::new("/x"),
            std::io::Error::from_raw_os_error(libc::EACCES),
        );
        assert!(matches!(denied, StorageError::PermissionDenied { .. }));
        let eio = StorageError::from_io(
            "reading",
            Path::new("/x"),
            std::io::Error::from_raw_os_error(libc::EIO),
        );
        assert!(matches!(eio, StorageError::Io { .. }));
        assert!(!eio.is_retryable());
    }
}
