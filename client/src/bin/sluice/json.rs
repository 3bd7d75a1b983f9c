//! The `--format json` line format: hand-written so the CLI needs no serialisation framework.

use std::fmt::Write as _;

use sluice_client::ConsumerRecord;

/// One record as one JSON object. Key and value are UTF-8 strings, or, when either is not
/// valid UTF-8, both are base64 and the object carries `"encoding":"base64"`. A header value
/// that is not UTF-8 is base64 with `"encoding":"base64"` on that header.
pub fn record_line(record: &ConsumerRecord) -> String {
    let mut out = String::with_capacity(128 + record.value.as_ref().map_or(0, |v| v.len()));
    let key = record.key.as_deref();
    let value = record.value.as_deref();
    let utf8 = |field: Option<&[u8]>| field.is_none_or(|bytes| std::str::from_utf8(bytes).is_ok());
    let base64 = !(utf8(key) && utf8(value));
    out.push_str("{\"topic\":");
    push_string(&mut out, &record.topic);
    let _ = write!(
        out,
        ",\"partition\":{},\"offset\":{},\"timestamp\":{},\"key\":",
        record.partition, record.offset, record.timestamp_ms
    );
    push_field(&mut out, key, base64);
    out.push_str(",\"value\":");
    push_field(&mut out, value, base64);
    if base64 {
        out.push_str(",\"encoding\":\"base64\"");
    }
    out.push_str(",\"headers\":[");
    for (index, header) in record.headers.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        out.push_str("{\"key\":");
        push_string(&mut out, &String::from_utf8_lossy(&header.key));
        out.push_str(",\"value\":");
        let value = header.value.as_deref();
        let header_base64 = !utf8(value);
        push_field(&mut out, value, header_base64);
        if header_base64 {
            out.push_str(",\"encoding\":\"base64\"");
        }
        out.push('}');
    }
    out.push_str("]}");
    out
}

fn push_field(out: &mut String, field: Option<&[u8]>, base64: bool) {
    match field {
        None => out.push_str("null"),
        Some(bytes) if base64 => {
            out.push('"');
            push_base64(out, bytes);
            out.push('"');
        }
        Some(bytes) => push_string(out, std::str::from_utf8(bytes).unwrap_or_default()),
    }
}

/// A JSON string literal (RFC 8259 escaping).
pub fn push_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Standard base64 with padding (RFC 4648).
pub fn push_base64(out: &mut String, bytes: &[u8]) {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let symbols = chunk.len() + 1;
        for i in 0..4 {
            if i < symbols {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 0x3f) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base64(bytes: &[u8]) -> String {
        let mut out = String::new();
        push_base64(&mut out, bytes);
        out
    }

    #[test]
    fn given_rfc4648_vectors_when_encoding_base64_should_match() {
        let cases =
            [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foobar", "Zm9vYmFy")];
        for (input, expected) in cases {
            assert_eq!(base64(input.as_bytes()), expected);
        }
    }

    #[test]
    fn given_control_characters_when_escaping_should_produce_valid_json() {
        let mut out = String::new();
        push_string(&mut out, "a\"b\\c\nd\u{1}");
        assert_eq!(out, "\"a\\\"b\\\\c\\nd\\u0001\"");
    }
}
