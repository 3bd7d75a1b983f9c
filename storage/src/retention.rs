//! Which closed segments retention deletes. Sans-IO: the log passes in each segment's size and
//! newest timestamp and the current time, and deletes what this decides.

use crate::config::LogConfig;

/// What retention needs to know about one segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SegmentFacts {
    /// Bytes of batch data.
    pub log_bytes: u64,
    /// Newest batch max timestamp, -1 when empty.
    pub max_timestamp: i64,
}

/// How many segments, counted from the oldest, retention deletes. The last (active) segment is
/// never counted; a segment goes if the log without it is still at least `retention_bytes_max`
/// big, or if its newest batch is older than `retention_age_ms_max` at `now_ms`.
pub fn segments_to_delete(segments: &[SegmentFacts], config: &LogConfig, now_ms: i64) -> usize {
    let mut remaining_bytes: u64 = segments.iter().map(|s| s.log_bytes).sum();
    let closed = segments.len().saturating_sub(1);
    let mut count = 0;
    for segment in &segments[..closed] {
        let too_big = config
            .retention_bytes_max
            .is_some_and(|max| remaining_bytes - segment.log_bytes >= max);
        let too_old = config
            .retention_age_ms_max
            .is_some_and(|max_age| now_ms.saturating_sub(segment.max_timestamp) > max_age as i64);
        if !(too_big || too_old) {
            break;
        }
        remaining_bytes -= segment.log_bytes;
        count += 1;
    }
    assert!(count < segments.len().max(1), "the active segment is never deleted");
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(sizes: &[(u64, i64)]) -> Vec<SegmentFacts> {
        sizes
            .iter()
            .map(|&(log_bytes, max_timestamp)| SegmentFacts { log_bytes, max_timestamp })
            .collect()
    }

    #[test]
    fn given_size_limit_when_log_is_bigger_should_delete_oldest_closed_segments() {
        let config = LogConfig {
            retention_bytes_max: Some(250),
            retention_age_ms_max: None,
            ..LogConfig::default()
        };
        let segments = facts(&[(100, 0), (100, 0), (100, 0), (100, 0)]);
        assert_eq!(segments_to_delete(&segments, &config, 0), 1);
        let config = LogConfig { retention_bytes_max: Some(0), ..config };
        assert_eq!(segments_to_delete(&segments, &config, 0), 3, "never the active one");
    }

    #[test]
    fn given_age_limit_when_segments_are_old_should_delete_only_old_prefix() {
        let config = LogConfig {
            retention_bytes_max: None,
            retention_age_ms_max: Some(1000),
            ..LogConfig::default()
        };
        let segments = facts(&[(10, 100), (10, 5000), (10, 200), (10, 100)]);
        assert_eq!(segments_to_delete(&segments, &config, 5500), 1);
        assert_eq!(segments_to_delete(&segments, &config, 100_000), 3);
        assert_eq!(segments_to_delete(&segments[..1], &config, 100_000), 0);
    }
}
