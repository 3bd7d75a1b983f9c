//! Zigzag variable-length integers, as Kafka writes them inside records.
//!
//! A signed value is first zigzag-mapped (0, -1, 1, -2, … → 0, 1, 2, 3, …) so small magnitudes of
//! either sign stay short, then written seven bits per byte, least significant group first, with
//! the high bit of each byte set while more bytes follow. A `varint` carries an `i32` in at most
//! 5 bytes, a `varlong` an `i64` in at most 10.
//!
//! Decoding is stricter than Kafka's Java reader in one way: Java silently drops bits that spill
//! past 32 (or 64) in the last byte, so two different byte strings decode to the same value; we
//! refuse such bytes as [`VarintError::Overflow`]. No correct encoder writes them. Non-minimal
//! encodings (redundant `0x80` groups) within the byte limit are accepted, as Java accepts them.

/// Longest encoding of a 32-bit varint.
pub const VARINT_BYTES_MAX: usize = 5;
/// Longest encoding of a 64-bit varlong.
pub const VARLONG_BYTES_MAX: usize = 10;

/// Why bytes are not a varint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VarintError {
    /// The input ended while the continuation bit asked for another byte.
    #[error("varint truncated")]
    Truncated,
    /// More bytes, or more significant bits, than the integer type holds.
    #[error("varint overflows its integer type")]
    Overflow,
}

/// Zigzag-maps a signed 32-bit value to an unsigned one.
#[inline]
pub const fn zigzag32(value: i32) -> u32 {
    ((value << 1) ^ (value >> 31)) as u32
}

/// Inverse of [`zigzag32`].
#[inline]
pub const fn unzigzag32(raw: u32) -> i32 {
    ((raw >> 1) as i32) ^ -((raw & 1) as i32)
}

/// Zigzag-maps a signed 64-bit value to an unsigned one.
#[inline]
pub const fn zigzag64(value: i64) -> u64 {
    ((value << 1) ^ (value >> 63)) as u64
}

/// Inverse of [`zigzag64`].
#[inline]
pub const fn unzigzag64(raw: u64) -> i64 {
    ((raw >> 1) as i64) ^ -((raw & 1) as i64)
}

/// Bytes [`encode_varint`] writes for `value`.
#[inline]
pub const fn varint_len(value: i32) -> usize {
    unsigned_len(zigzag32(value) as u64)
}

/// Bytes [`encode_varlong`] writes for `value`.
#[inline]
pub const fn varlong_len(value: i64) -> usize {
    unsigned_len(zigzag64(value))
}

#[inline]
const fn unsigned_len(raw: u64) -> usize {
    // Seven payload bits per byte; zero still takes one byte.
    let bits = 64 - (raw | 1).leading_zeros() as usize;
    bits.div_ceil(7)
}

/// Appends the zigzag varint encoding of `value` to `out`.
#[inline]
pub fn encode_varint(value: i32, out: &mut impl bytes::BufMut) {
    encode_unsigned(zigzag32(value) as u64, out);
}

/// Appends the zigzag varlong encoding of `value` to `out`.
#[inline]
pub fn encode_varlong(value: i64, out: &mut impl bytes::BufMut) {
    encode_unsigned(zigzag64(value), out);
}

#[inline]
fn encode_unsigned(mut raw: u64, out: &mut impl bytes::BufMut) {
    // Build the encoding on the stack and hand it over in one call, so a growable buffer checks
    // its capacity once per integer rather than once per byte.
    let mut scratch = [0u8; VARLONG_BYTES_MAX];
    let mut len = 0;
    while raw >= 0x80 {
        scratch[len] = (raw as u8) | 0x80;
        raw >>= 7;
        len += 1;
    }
    scratch[len] = raw as u8;
    len += 1;
    out.put_slice(&scratch[..len]);
}

/// Decodes a zigzag varint from the start of `buf`; returns the value and the bytes it took.
#[inline]
pub fn decode_varint(buf: &[u8]) -> Result<(i32, usize), VarintError> {
    let (raw, len) = decode_unsigned(buf, VARINT_BYTES_MAX, 32)?;
    Ok((unzigzag32(raw as u32), len))
}

/// Decodes a zigzag varlong from the start of `buf`; returns the value and the bytes it took.
#[inline]
pub fn decode_varlong(buf: &[u8]) -> Result<(i64, usize), VarintError> {
    let (raw, len) = decode_unsigned(buf, VARLONG_BYTES_MAX, 64)?;
    Ok((unzigzag64(raw), len))
}

#[inline]
fn decode_unsigned(buf: &[u8], bytes_max: usize, bits: u32) -> Result<(u64, usize), VarintError> {
    // Fast path: most lengths and deltas in a record fit one byte.
    if let Some(&first) = buf.first() {
        if first < 0x80 {
            return Ok((u64::from(first), 1));
        }
    }
    let mut raw: u64 = 0;
    for (index, &byte) in buf.iter().take(bytes_max).enumerate() {
        let shift = 7 * index as u32;
        let payload = u64::from(byte & 0x7f);
        if index + 1 == bytes_max {
            // The last allowed byte may carry only the bits the type still has room for, and
            // must not ask for another byte.
            let room = bits - shift;
            if byte & 0x80 != 0 || payload >> room != 0 {
                return Err(VarintError::Overflow);
            }
        }
        raw |= payload << shift;
        if byte & 0x80 == 0 {
            return Ok((raw, index + 1));
        }
    }
    // The loop returns on the terminating byte or errors on the last allowed one, so only
    // running out of input reaches here.
    debug_assert!(buf.len() < bytes_max);
    Err(VarintError::Truncated)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn varint_bytes(value: i32) -> Vec<u8> {
        let mut out = Vec::new();
        encode_varint(value, &mut out);
        out
    }

    fn varlong_bytes(value: i64) -> Vec<u8> {
        let mut out = Vec::new();
        encode_varlong(value, &mut out);
        out
    }

    #[test]
    fn given_known_values_when_encoding_should_match_kafkas_bytes() {
        // Worked by hand: zigzag, then seven bits per byte, low group first.
        assert_eq!(varint_bytes(0), [0x00]);
        assert_eq!(varint_bytes(-1), [0x01]);
        assert_eq!(varint_bytes(1), [0x02]);
        assert_eq!(varint_bytes(-64), [0x7f]);
        assert_eq!(varint_bytes(64), [0x80, 0x01]);
        assert_eq!(varint_bytes(300), [0xd8, 0x04]);
        assert_eq!(varint_bytes(i32::MAX), [0xfe, 0xff, 0xff, 0xff, 0x0f]);
        assert_eq!(varint_bytes(i32::MIN), [0xff, 0xff, 0xff, 0xff, 0x0f]);
        assert_eq!(
            varlong_bytes(i64::MIN),
            [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]
        );
    }

    #[test]
    fn given_edge_values_when_round_tripping_should_return_value_and_length() {
        for value in [0, 1, -1, 63, -64, 64, -65, 8191, 8192, i32::MAX, i32::MIN] {
            let bytes = varint_bytes(value);
            assert_eq!(bytes.len(), varint_len(value));
            assert_eq!(decode_varint(&bytes), Ok((value, bytes.len())));
        }
        for value in [0, 1, -1, i64::from(i32::MAX) + 1, i64::MAX, i64::MIN, -1_700_000_000_000] {
            let bytes = varlong_bytes(value);
            assert_eq!(bytes.len(), varlong_len(value));
            assert_eq!(decode_varlong(&bytes), Ok((value, bytes.len())));
        }
    }

    #[test]
    fn given_empty_or_cut_input_when_decoding_should_report_truncated() {
        assert_eq!(decode_varint(&[]), Err(VarintError::Truncated));
        assert_eq!(decode_varint(&[0x80]), Err(VarintError::Truncated));
        assert_eq!(decode_varint(&[0xff, 0xff, 0xff, 0xff]), Err(VarintError::Truncated));
        assert_eq!(decode_varlong(&[0xff; 9]), Err(VarintError::Truncated));
    }

    #[test]
    fn given_too_many_bytes_when_decoding_should_report_overflow() {
        assert_eq!(
            decode_varint(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x00]),
            Err(VarintError::Overflow)
        );
        assert_eq!(decode_varlong(&[0x80; 11]), Err(VarintError::Overflow));
    }

    #[test]
    fn given_bits_past_the_type_in_the_last_byte_when_decoding_should_report_overflow() {
        assert_eq!(decode_varint(&[0xff, 0xff, 0xff, 0xff, 0x1f]), Err(VarintError::Overflow));
        assert_eq!(
            decode_varlong(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02]),
            Err(VarintError::Overflow)
        );
    }

    #[test]
    fn given_non_minimal_encoding_when_decoding_should_accept_it_like_java() {
        assert_eq!(decode_varint(&[0x82, 0x80, 0x00]), Ok((1, 3)));
    }

    #[test]
    fn given_trailing_bytes_when_decoding_should_stop_at_the_terminating_byte() {
        assert_eq!(decode_varint(&[0x02, 0xff, 0xff]), Ok((1, 1)));
    }

    proptest::proptest! {
        #[test]
        fn given_any_i32_when_round_tripping_should_return_it(value: i32) {
            let bytes = varint_bytes(value);
            proptest::prop_assert_eq!(decode_varint(&bytes), Ok((value, bytes.len())));
        }

        #[test]
        fn given_any_i64_when_round_tripping_should_return_it(value: i64) {
            let bytes = varlong_bytes(value);
            proptest::prop_assert_eq!(decode_varlong(&bytes), Ok((value, bytes.len())));
        }

        #[test]
        fn given_any_bytes_when_decoding_should_error_or_consume_a_prefix(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..12),
        ) {
            // Whatever it decodes, it never reads past the input, and the value re-encodes to
            // at most as many bytes (non-minimal inputs shrink).
            if let Ok((value, len)) = decode_varint(&bytes) {
                proptest::prop_assert!(len <= bytes.len() && len <= VARINT_BYTES_MAX);
                proptest::prop_assert!(varint_len(value) <= len);
            }
            if let Ok((value, len)) = decode_varlong(&bytes) {
                proptest::prop_assert!(len <= bytes.len() && len <= VARLONG_BYTES_MAX);
                proptest::prop_assert!(varlong_len(value) <= len);
            }
        }
    }
}
