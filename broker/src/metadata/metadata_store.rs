//! Reading and durably replacing the metadata document.

use std::path::Path;

use sluice_storage::dma_file_io::{read_whole_file, sync_directory, write_whole_file};
use sluice_storage::{StorageError, StorageResult};

use super::MetadataImage;

/// Loads the document; `None` when none was ever written.
pub async fn load(path: &Path) -> StorageResult<Option<MetadataImage>> {
    let Some(bytes) = read_whole_file(path).await? else { return Ok(None) };
    let mut aligned = rkyv::util::AlignedVec::<16>::with_capacity(bytes.len());
    aligned.extend_from_slice(&bytes);
    rkyv::from_bytes::<MetadataImage, rkyv::rancor::Error>(&aligned)
        .map(Some)
        .map_err(|e| StorageError::CorruptMetadata { path: path.to_owned(), reason: e.to_string() })
}

/// Replaces the document atomically: write a temporary file, fdatasync it, rename it over the
/// old one, fsync the directory. A crash leaves either the old or the new document.
pub async fn save(path: &Path, image: &MetadataImage) -> StorageResult<()> {
    let bytes = rkyv::to_bytes::<rkyv::rancor::Error>(image)
        .expect("serialising plain owned data cannot fail");
    let tmp = path.with_extension("tmp");
    write_whole_file(&tmp, &bytes).await?;
    glommio::io::rename(&tmp, path)
        .await
        .map_err(|e| StorageError::from_glommio("renaming", path, e))?;
    sync_directory(path.parent().expect("the metadata file lives in a directory")).await
}
