//! Kafka's default key partitioner: `toPositive(murmur2(key)) % partitions`.
//!
//! Matching the Java client bit for bit means a key lands on the same partition whether a Sluice
//! or a Kafka client produced it, so per-key ordering survives a mixed fleet or a migration.

/// The seed the Java client's `Utils.murmur2` uses.
pub const MURMUR2_SEED: u32 = 0x9747_b28c;

/// MurmurHash2 (32-bit) as Kafka's Java `Utils.murmur2` computes it, returned as the Java `int`
/// it yields.
///
/// This is Austin Appleby's MurmurHash2 with Kafka's seed; Java reads the tail bytes in the same
/// order as the reference C code, and `>>>` is a logical shift, which `u32` gives us.
pub fn murmur2(data: &[u8]) -> i32 {
    const M: u32 = 0x5bd1_e995;
    const R: u32 = 24;

    // Java mixes the length in as an int; keys longer than 2^32 bytes cannot reach a partitioner
    // (batches are far smaller), so truncating like Java does is exact for every real key.
    let mut h = MURMUR2_SEED ^ (data.len() as u32);
    let mut chunks = data.chunks_exact(4);
    for chunk in &mut chunks {
        let mut k = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }
    let tail = chunks.remainder();
    if tail.len() >= 3 {
        h ^= u32::from(tail[2]) << 16;
    }
    if tail.len() >= 2 {
        h ^= u32::from(tail[1]) << 8;
    }
    if !tail.is_empty() {
        h ^= u32::from(tail[0]);
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h as i32
}

/// Kafka's `Utils.toPositive`: clears the sign bit (not `abs`, which overflows on `i32::MIN`).
pub const fn to_positive(value: i32) -> u32 {
    (value & 0x7fff_ffff) as u32
}

/// The partition Kafka's default partitioner picks for a keyed record.
///
/// # Panics
/// If `partitions` is zero: a topic always has at least one partition, so a zero here is a bug
/// in the caller's metadata handling.
pub fn partition_for_key(key: &[u8], partitions: u32) -> u32 {
    assert!(partitions > 0, "a topic has at least one partition");
    to_positive(murmur2(key)) % partitions
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pairs asserted by Kafka's own `UtilsTest.testMurmur2`.
    const KAFKA_UTILS_TEST: &[(&[u8], i32)] = &[
        (b"21", -973_932_308),
        (b"foobar", -790_332_482),
        (&[12, 42, 56, 24, 109, 111], 274_204_207),
        (b"a-little-bit-long-string", -985_981_536),
        (b"a-little-bit-longer-string", -1_486_304_829),
        (b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58_897_971),
        (b"abc", 479_470_107),
    ];

    #[test]
    fn given_kafkas_test_keys_when_hashing_should_match_the_java_client() {
        for (key, expected) in KAFKA_UTILS_TEST {
            assert_eq!(murmur2(key), *expected, "key {:?}", String::from_utf8_lossy(key));
        }
    }

    #[test]
    fn given_a_negative_hash_when_choosing_a_partition_should_clear_the_sign_bit() {
        // -790332482 & 0x7fffffff = 1357151166.
        assert_eq!(partition_for_key(b"foobar", 10), 1_357_151_166 % 10);
        assert_eq!(to_positive(i32::MIN), 0);
        assert_eq!(to_positive(-1), 0x7fff_ffff);
    }

    #[test]
    fn given_any_key_when_choosing_a_partition_should_stay_in_range() {
        for partitions in 1..=64 {
            for key in [&b""[..], b"a", b"ab", b"abc", b"abcd", b"abcde"] {
                assert!(partition_for_key(key, partitions) < partitions);
            }
        }
    }
}
