//! The 64-byte header of an index file: magic, version, entry size, the segment facts the index
//! summarises, and CRC-32C checksums of the entries and of the header itself.
//!
//! ```text
//! offset size field
//!      0    4 magic            "SLOI" (offset index) or "SLTI" (time index)
//!      4    2 version          1
//!      6    2 entry_size       bytes per entry
//!      8    8 base_offset      the segment's base offset
//!     16    8 next_offset      offset after the segment's last batch when written
//!     24    8 max_timestamp    largest batch max_timestamp in the segment, -1 if none
//!     32    8 log_bytes        length of the segment's .log data when written
//!     40    4 entry_count
//!     44    4 entries_crc      CRC-32C of the entries
//!     48   12 reserved         zero
//!     60    4 header_crc       CRC-32C of bytes 0..60
//! ```
//! All integers little-endian.

/// Length of the header in bytes.
pub const INDEX_HEADER_BYTES: usize = 64;
/// The only version this code writes and reads.
pub const INDEX_VERSION: u16 = 1;

/// Which index a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IndexKind {
    /// Offset → file position.
    Offset,
    /// Timestamp → offset.
    Time,
}

impl IndexKind {
    fn magic(self) -> &'static [u8; 4] {
        match self {
            IndexKind::Offset => b"SLOI",
            IndexKind::Time => b"SLTI",
        }
    }

    /// Bytes per entry.
    pub fn entry_bytes(self) -> usize {
        match self {
            IndexKind::Offset => 8,
            IndexKind::Time => 12,
        }
    }

    /// File name extension.
    pub fn extension(self) -> &'static str {
        match self {
            IndexKind::Offset => "index",
            IndexKind::Time => "timeindex",
        }
    }
}

/// The segment facts an index file records beside its entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IndexFileMeta {
    /// The segment's base offset.
    pub base_offset: i64,
    /// Offset after the segment's last batch.
    pub next_offset: i64,
    /// Largest batch max_timestamp, -1 when the segment is empty.
    pub max_timestamp: i64,
    /// Length of the segment's log data.
    pub log_bytes: u64,
}

/// Builds the bytes of a whole index file.
pub fn encode_index_file(kind: IndexKind, meta: &IndexFileMeta, entries: &[u8]) -> Vec<u8> {
    assert_eq!(entries.len() % kind.entry_bytes(), 0, "entries are whole");
    let mut out = Vec::with_capacity(INDEX_HEADER_BYTES + entries.len());
    out.extend_from_slice(kind.magic());
    out.extend_from_slice(&INDEX_VERSION.to_le_bytes());
    out.extend_from_slice(&(kind.entry_bytes() as u16).to_le_bytes());
    out.extend_from_slice(&meta.base_offset.to_le_bytes());
    out.extend_from_slice(&meta.next_offset.to_le_bytes());
    out.extend_from_slice(&meta.max_timestamp.to_le_bytes());
    out.extend_from_slice(&meta.log_bytes.to_le_bytes());
    out.extend_from_slice(&((entries.len() / kind.entry_bytes()) as u32).to_le_bytes());
    out.extend_from_slice(&crc32c::crc32c(entries).to_le_bytes());
    out.extend_from_slice(&[0u8; 12]);
    let header_crc = crc32c::crc32c(&out);
    out.extend_from_slice(&header_crc.to_le_bytes());
    assert_eq!(out.len(), INDEX_HEADER_BYTES);
    out.extend_from_slice(entries);
    out
}

/// Checks an index file and returns its meta and entry bytes, or why it cannot be trusted.
pub fn decode_index_file(
    kind: IndexKind,
    bytes: &[u8],
    expected_base_offset: i64,
) -> Result<(IndexFileMeta, &[u8]), String> {
    if bytes.len() < INDEX_HEADER_BYTES {
        return Err(format!("{} bytes is shorter than the header", bytes.len()));
    }
    let header = &bytes[..INDEX_HEADER_BYTES];
    let stored_header_crc = le_u32(header, 60);
    if crc32c::crc32c(&header[..60]) != stored_header_crc {
        return Err("header checksum mismatch".into());
    }
    if &header[0..4] != kind.magic() {
        return Err("wrong magic".into());
    }
    let version = u16::from_le_bytes([header[4], header[5]]);
    if version != INDEX_VERSION {
        return Err(format!("unsupported version {version}"));
    }
    if u16::from_le_bytes([header[6], header[7]]) as usize != kind.entry_bytes() {
        return Err("wrong entry size".into());
    }
    let meta = IndexFileMeta {
        base_offset: le_i64(header, 8),
        next_offset: le_i64(header, 16),
        max_timestamp: le_i64(header, 24),
        log_bytes: le_i64(header, 32) as u64,
    };
    if meta.base_offset != expected_base_offset {
        return Err(format!("base offset {} is not {expected_base_offset}", meta.base_offset));
    }
    if meta.next_offset < meta.base_offset {
        return Err("next offset below base offset".into());
    }
    let count = le_u32(header, 40) as usize;
    let entries_len =
        count.checked_mul(kind.entry_bytes()).ok_or_else(|| "entry count overflows".to_string())?;
    let entries = bytes
        .get(INDEX_HEADER_BYTES..INDEX_HEADER_BYTES + entries_len)
        .ok_or_else(|| format!("{count} entries announced, file too short"))?;
    if crc32c::crc32c(entries) != le_u32(header, 44) {
        return Err("entries checksum mismatch".into());
    }
    Ok((meta, entries))
}

pub(crate) fn le_u32(buf: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(buf[at..at + 4].try_into().expect("4 bytes"))
}

pub(crate) fn le_i64(buf: &[u8], at: usize) -> i64 {
    i64::from_le_bytes(buf[at..at + 8].try_into().expect("8 bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn meta() -> IndexFileMeta {
        IndexFileMeta { base_offset: 100, next_offset: 200, max_timestamp: 5, log_bytes: 4096 }
    }

    #[test]
    fn given_encoded_file_when_decoding_should_round_trip() {
        let entries = [7u8; 16];
        let file = encode_index_file(IndexKind::Offset, &meta(), &entries);
        let (decoded, got) = decode_index_file(IndexKind::Offset, &file, 100).expect("valid");
        assert_eq!(decoded, meta());
        assert_eq!(got, &entries);
    }

    #[test]
    fn given_wrong_kind_or_base_when_decoding_should_refuse() {
        let file = encode_index_file(IndexKind::Offset, &meta(), &[]);
        assert!(decode_index_file(IndexKind::Time, &file, 100).is_err());
        assert!(decode_index_file(IndexKind::Offset, &file, 101).is_err());
    }

    proptest! {
        #[test]
        fn given_any_flipped_byte_when_decoding_should_refuse(
            at in 0usize..(INDEX_HEADER_BYTES + 24), bit in 0u8..8
        ) {
            let mut file = encode_index_file(IndexKind::Time, &meta(), &[3u8; 24]);
            file[at] ^= 1 << bit;
            prop_assert!(decode_index_file(IndexKind::Time, &file, 100).is_err());
        }

        #[test]
        fn given_any_truncation_when_decoding_should_refuse(len in 0usize..(INDEX_HEADER_BYTES + 24)) {
            let file = encode_index_file(IndexKind::Time, &meta(), &[3u8; 24]);
            prop_assert!(decode_index_file(IndexKind::Time, &file[..len], 100).is_err());
        }
    }
}
