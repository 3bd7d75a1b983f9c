//! The stamp at the start of every value: the run id and the message's intended send time, so
//! a consumer can compute end-to-end latency and ignore records from other runs.
//!
//! Kafka record timestamps have millisecond resolution; end-to-end latencies are tens of
//! microseconds, so the load generator carries its own nanosecond stamp in the value.

/// Bytes of the stamp: run id (u64 LE) then intended time (u64 LE, ns since the run's base).
pub const STAMP_BYTES: usize = 16;

/// What the producer wrote into a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PayloadStamp {
    /// The run that produced the record.
    pub run_id: u64,
    /// Intended send time, nanoseconds since the run's base instant.
    pub intended_ns: u64,
}

impl PayloadStamp {
    /// Writes the stamp over the first [`STAMP_BYTES`] of `value`.
    pub fn write(&self, value: &mut [u8]) {
        assert!(value.len() >= STAMP_BYTES, "values are at least {STAMP_BYTES} bytes");
        value[..8].copy_from_slice(&self.run_id.to_le_bytes());
        value[8..16].copy_from_slice(&self.intended_ns.to_le_bytes());
    }

    /// Reads a stamp; `None` for a value too short to carry one (a foreign record).
    pub fn read(value: &[u8]) -> Option<PayloadStamp> {
        let run_id = u64::from_le_bytes(value.get(..8)?.try_into().ok()?);
        let intended_ns = u64::from_le_bytes(value.get(8..16)?.try_into().ok()?);
        Some(PayloadStamp { run_id, intended_ns })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_a_stamp_when_written_and_read_back_should_round_trip() {
        let stamp = PayloadStamp { run_id: 0xDEAD_BEEF, intended_ns: 123_456_789 };
        let mut value = vec![0u8; 100];
        stamp.write(&mut value);
        assert_eq!(PayloadStamp::read(&value), Some(stamp));
        assert_eq!(PayloadStamp::read(&value[..10]), None);
    }
}
