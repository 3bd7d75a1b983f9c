//! The sparse offset index of one segment: `(offset - base, file position)` pairs, both strictly
//! increasing, one entry per `index_interval_bytes` of log data. A lookup gives a position at or
//! before the wanted batch; the reader scans forward from there.

use super::index_header::le_u32;

/// Offset index of one segment, in memory.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OffsetIndex {
    base_offset: i64,
    entries: Vec<(u32, u32)>,
}

impl OffsetIndex {
    /// An empty index for the segment starting at `base_offset`.
    pub fn new(base_offset: i64) -> OffsetIndex {
        OffsetIndex { base_offset, entries: Vec::new() }
    }

    /// Adds an entry for the batch starting at `offset` and `position`.
    pub fn push(&mut self, offset: i64, position: u64) {
        let relative = offset - self.base_offset;
        assert!(relative >= 0 && relative <= i64::from(u32::MAX), "offset within segment");
        assert!(position <= u64::from(u32::MAX), "position within segment");
        if let Some(&(last_relative, last_position)) = self.entries.last() {
            assert!(relative as u32 > last_relative, "index offsets strictly increase");
            assert!(position as u32 > last_position, "index positions strictly increase");
        }
        self.entries.push((relative as u32, position as u32));
    }

    /// The last entry at or before `offset` as `(offset, position)`, or the segment start.
    pub fn lookup(&self, offset: i64) -> (i64, u64) {
        let relative = offset - self.base_offset;
        if relative < 0 {
            return (self.base_offset, 0);
        }
        let found = self.entries.partition_point(|&(r, _)| i64::from(r) <= relative);
        match found {
            0 => (self.base_offset, 0),
            n => {
                let (r, p) = self.entries[n - 1];
                (self.base_offset + i64::from(r), u64::from(p))
            }
        }
    }

    /// The last entry as `(offset, position)`.
    pub fn last(&self) -> Option<(i64, u64)> {
        self.entries.last().map(|&(r, p)| (self.base_offset + i64::from(r), u64::from(p)))
    }

    /// Drops every entry for offsets at or above `offset`.
    pub fn truncate_from(&mut self, offset: i64) {
        let relative = offset - self.base_offset;
        self.entries.retain(|&(r, _)| i64::from(r) < relative);
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the index has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries as stored on disk (little-endian pairs).
    pub fn encode_entries(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.entries.len() * 8);
        for &(r, p) in &self.entries {
            out.extend_from_slice(&r.to_le_bytes());
            out.extend_from_slice(&p.to_le_bytes());
        }
        out
    }

    /// Rebuilds an index from stored entries, refusing entries that are not strictly increasing
    /// or that point past `log_bytes` (the checksum passed, but the index must still be sane).
    pub fn decode_entries(
        base_offset: i64,
        bytes: &[u8],
        log_bytes: u64,
    ) -> Result<OffsetIndex, String> {
        let mut index = OffsetIndex::new(base_offset);
        for chunk in bytes.chunks_exact(8) {
            let (r, p) = (le_u32(chunk, 0), le_u32(chunk, 4));
            if let Some(&(lr, lp)) = index.entries.last() {
                if r <= lr || p <= lp {
                    return Err(format!("entry ({r}, {p}) does not increase"));
                }
            }
            if u64::from(p) >= log_bytes {
                return Err(format!("entry position {p} is past the log end {log_bytes}"));
            }
            index.entries.push((r, p));
        }
        Ok(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_entries_when_looking_up_should_return_last_entry_at_or_before() {
        let mut index = OffsetIndex::new(100);
        index.push(110, 4096);
        index.push(120, 8192);
        assert_eq!(index.lookup(99), (100, 0));
        assert_eq!(index.lookup(105), (100, 0));
        assert_eq!(index.lookup(110), (110, 4096));
        assert_eq!(index.lookup(119), (110, 4096));
        assert_eq!(index.lookup(500), (120, 8192));
        index.truncate_from(120);
        assert_eq!(index.last(), Some((110, 4096)));
    }

    #[test]
    fn given_encoded_entries_when_decoding_should_round_trip_and_refuse_bad_ones() {
        let mut index = OffsetIndex::new(0);
        index.push(3, 100);
        index.push(9, 300);
        let bytes = index.encode_entries();
        assert_eq!(OffsetIndex::decode_entries(0, &bytes, 1000), Ok(index));
        assert!(OffsetIndex::decode_entries(0, &bytes, 200).is_err());
        let mut swapped = bytes[8..].to_vec();
        swapped.extend_from_slice(&bytes[..8]);
        assert!(OffsetIndex::decode_entries(0, &swapped, 1000).is_err());
    }
}
