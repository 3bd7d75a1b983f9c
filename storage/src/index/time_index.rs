//! The sparse time index of one segment: `(max timestamp so far, offset - base)` pairs, both
//! strictly increasing. A lookup for a timestamp gives an offset at or before the first batch
//! whose max timestamp reaches it; the caller scans forward from there.

use super::index_header::{le_i64, le_u32};

/// Time index of one segment, in memory.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TimeIndex {
    base_offset: i64,
    entries: Vec<(i64, u32)>,
}

impl TimeIndex {
    /// An empty index for the segment starting at `base_offset`.
    pub fn new(base_offset: i64) -> TimeIndex {
        TimeIndex { base_offset, entries: Vec::new() }
    }

    /// Records that the batch at `offset` has max timestamp `timestamp`, if it is a new maximum.
    pub fn push_if_newer(&mut self, timestamp: i64, offset: i64) {
        let relative = offset - self.base_offset;
        assert!(relative >= 0 && relative <= i64::from(u32::MAX), "offset within segment");
        match self.entries.last() {
            Some(&(last_ts, last_relative)) if timestamp <= last_ts => {
                assert!(relative as u32 >= last_relative, "offsets never go back");
            }
            Some(&(_, last_relative)) => {
                assert!(relative as u32 > last_relative, "offsets strictly increase");
                self.entries.push((timestamp, relative as u32));
            }
            None => self.entries.push((timestamp, relative as u32)),
        }
    }

    /// An offset from which a forward scan finds the first batch with max timestamp at or above
    /// `timestamp`: the offset of the last entry whose timestamp is below it, or the base.
    pub fn scan_start(&self, timestamp: i64) -> i64 {
        let below = self.entries.partition_point(|&(ts, _)| ts < timestamp);
        match below {
            0 => self.base_offset,
            n => self.base_offset + i64::from(self.entries[n - 1].1),
        }
    }

    /// Drops every entry for offsets at or above `offset`.
    pub fn truncate_from(&mut self, offset: i64) {
        let relative = offset - self.base_offset;
        self.entries.retain(|&(_, r)| i64::from(r) < relative);
    }

    /// Largest timestamp recorded, which is the segment's max timestamp: every new maximum
    /// gets an entry.
    pub fn max_timestamp(&self) -> Option<i64> {
        self.entries.last().map(|&(ts, _)| ts)
    }

    /// Timestamp of the first entry, which is the first batch's max timestamp.
    pub fn first_timestamp(&self) -> Option<i64> {
        self.entries.first().map(|&(ts, _)| ts)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the index has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries as stored on disk.
    pub fn encode_entries(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.entries.len() * 12);
        for &(ts, r) in &self.entries {
            out.extend_from_slice(&ts.to_le_bytes());
            out.extend_from_slice(&r.to_le_bytes());
        }
        out
    }

    /// Rebuilds an index from stored entries, refusing entries that do not strictly increase or
    /// that point at or past `next_offset`.
    pub fn decode_entries(
        base_offset: i64,
        bytes: &[u8],
        next_offset: i64,
    ) -> Result<TimeIndex, String> {
        let mut index = TimeIndex::new(base_offset);
        for chunk in bytes.chunks_exact(12) {
            let (ts, r) = (le_i64(chunk, 0), le_u32(chunk, 8));
            if let Some(&(lts, lr)) = index.entries.last() {
                if ts <= lts || r <= lr {
                    return Err(format!("entry ({ts}, {r}) does not increase"));
                }
            }
            if base_offset + i64::from(r) >= next_offset {
                return Err(format!("entry offset {r} is past the segment end"));
            }
            index.entries.push((ts, r));
        }
        Ok(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_entries_when_finding_scan_start_should_stop_before_target() {
        let mut index = TimeIndex::new(10);
        index.push_if_newer(1000, 10);
        index.push_if_newer(900, 12); // older timestamp: no entry
        index.push_if_newer(2000, 20);
        assert_eq!(index.len(), 2);
        assert_eq!(index.scan_start(500), 10);
        assert_eq!(index.scan_start(1500), 10);
        assert_eq!(index.scan_start(2500), 20);
        let bytes = index.encode_entries();
        assert_eq!(TimeIndex::decode_entries(10, &bytes, 30), Ok(index.clone()));
        assert!(TimeIndex::decode_entries(10, &bytes, 20).is_err());
        index.truncate_from(20);
        assert_eq!(index.len(), 1);
    }
}
