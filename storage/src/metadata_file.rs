//! Small metadata files (the broker's topic table, shard table, checkpoints) in rkyv, written
//! atomically and read back only after their checks pass.
//!
//! A write goes to `<name>.tmp`, is fdatasynced, renamed over `<name>`, and the directory is
//! fsynced, so after a crash a reader finds either the old file or the new one, whole. The file
//! is an envelope around the rkyv bytes:
//!
//! ```text
//! offset size field
//!      0    4 magic         "SLMF"
//!      4    2 version       1 (of the envelope)
//!      6    2 reserved      0
//!      8    8 payload_len
//!     16    4 payload_crc   CRC-32C of the payload
//!     20    4 header_crc    CRC-32C of bytes 0..20
//!     24    … payload       rkyv archive, validated (bytecheck) before it is deserialised
//! ```
//! All integers little-endian. The payload's own schema version belongs to the caller's type.

use std::path::{Path, PathBuf};

use rkyv::api::high::{HighSerializer, HighValidator};
use rkyv::bytecheck::CheckBytes;
use rkyv::de::Pool;
use rkyv::rancor::{Error as RkyvError, Strategy};
use rkyv::ser::allocator::ArenaHandle;
use rkyv::util::AlignedVec;
use rkyv::{Archive, Deserialize, Serialize};

use crate::dma_file_io::{ensure_device_probed, read_whole_file, sync_directory, write_whole_file};
use crate::error::{StorageError, StorageResult};

const MAGIC: &[u8; 4] = b"SLMF";
const ENVELOPE_VERSION: u16 = 1;
const ENVELOPE_BYTES: usize = 24;

/// Writes `value` to `path` atomically: temp file, fdatasync, rename, directory fsync.
pub async fn write_atomic<T>(path: &Path, value: &T) -> StorageResult<()>
where
    T: for<'a> Serialize<HighSerializer<AlignedVec, ArenaHandle<'a>, RkyvError>>,
{
    let payload =
        rkyv::to_bytes::<RkyvError>(value).map_err(|e| StorageError::CorruptMetadata {
            path: path.to_path_buf(),
            reason: format!("cannot serialise: {e}"),
        })?;
    let bytes = encode_envelope(&payload);
    let dir = parent_dir(path);
    ensure_device_probed(&dir).await?;
    let temp = temp_path(path);
    write_whole_file(&temp, &bytes).await?;
    glommio::io::rename(&temp, path)
        .await
        .map_err(|e| StorageError::from_glommio("renaming", &temp, e))?;
    sync_directory(&dir).await
}

/// Reads and checks the file at `path`: envelope, checksums, then the rkyv archive's own
/// validation. A missing file is [`StorageError::NotFound`]; anything else wrong is
/// [`StorageError::CorruptMetadata`].
pub async fn read<T>(path: &Path) -> StorageResult<T>
where
    T: Archive,
    T::Archived: for<'a> CheckBytes<HighValidator<'a, RkyvError>>
        + Deserialize<T, Strategy<Pool, RkyvError>>,
{
    ensure_device_probed(&parent_dir(path)).await?;
    let bytes = read_whole_file(path).await?.ok_or_else(|| StorageError::NotFound {
        op: "reading metadata",
        path: path.to_path_buf(),
    })?;
    let corrupt =
        |reason: String| StorageError::CorruptMetadata { path: path.to_path_buf(), reason };
    let payload = decode_envelope(&bytes).map_err(corrupt)?;
    // rkyv reads archives in place and needs them aligned.
    let mut aligned = AlignedVec::<16>::with_capacity(payload.len());
    aligned.extend_from_slice(payload);
    rkyv::from_bytes::<T, RkyvError>(&aligned).map_err(|e| corrupt(format!("invalid archive: {e}")))
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".tmp");
    path.with_file_name(name)
}

fn encode_envelope(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(ENVELOPE_BYTES + payload.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&ENVELOPE_VERSION.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&crc32c::crc32c(payload).to_le_bytes());
    let header_crc = crc32c::crc32c(&out);
    out.extend_from_slice(&header_crc.to_le_bytes());
    assert_eq!(out.len(), ENVELOPE_BYTES);
    out.extend_from_slice(payload);
    out
}

fn decode_envelope(bytes: &[u8]) -> Result<&[u8], String> {
    if bytes.len() < ENVELOPE_BYTES {
        return Err(format!("{} bytes is shorter than the envelope", bytes.len()));
    }
    let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
    if crc32c::crc32c(&bytes[..20]) != u32_at(20) {
        return Err("envelope checksum mismatch".into());
    }
    if &bytes[..4] != MAGIC {
        return Err("wrong magic".into());
    }
    let version = u16::from_le_bytes([bytes[4], bytes[5]]);
    if version != ENVELOPE_VERSION {
        return Err(format!("unsupported envelope version {version}"));
    }
    let len = u64::from_le_bytes(bytes[8..16].try_into().expect("8 bytes"));
    let payload = usize::try_from(len)
        .ok()
        .and_then(|len| bytes.get(ENVELOPE_BYTES..ENVELOPE_BYTES.checked_add(len)?))
        .ok_or_else(|| format!("payload of {len} bytes announced, file too short"))?;
    if bytes.len() != ENVELOPE_BYTES + payload.len() {
        return Err("trailing bytes after the payload".into());
    }
    if crc32c::crc32c(payload) != u32_at(16) {
        return Err("payload checksum mismatch".into());
    }
    Ok(payload)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn given_envelope_when_decoding_should_return_payload() {
        let bytes = encode_envelope(b"hello");
        assert_eq!(decode_envelope(&bytes), Ok(&b"hello"[..]));
        assert_eq!(temp_path(Path::new("/a/topics.bin")), PathBuf::from("/a/topics.bin.tmp"));
    }

    proptest! {
        #[test]
        fn given_any_flipped_bit_or_truncation_when_decoding_should_refuse(
            at in 0usize..40, bit in 0u8..8, len in 0usize..40
        ) {
            let bytes = encode_envelope(&[9u8; 16]);
            let mut flipped = bytes.clone();
            flipped[at] ^= 1 << bit;
            prop_assert!(decode_envelope(&flipped).is_err());
            prop_assert!(decode_envelope(&bytes[..len]).is_err());
        }
    }
}
