#!/usr/bin/env python3
"""Writes the record-batch and murmur2 test vectors under proto/tests/vectors/.

The batches are built by kafka-python's pure-Python DefaultRecordBatchBuilder (magic 2, no
compression), an implementation independent of ours, so the Rust tests can check that our
reader decodes what a Kafka client writes and that our builder writes the very same bytes.
The murmur2 vectors come from kafka-python's port of the Java client's Utils.murmur2.

Run through scripts/gen-batch-vectors.sh, which installs kafka-python in a private venv.
The output is deterministic: rerunning it must leave the committed files unchanged.
"""

import os
import random
import struct
import sys

import kafka
from kafka.partitioner.default import murmur2
from kafka.record.default_records import DefaultRecordBatchBuilder

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "proto", "tests", "vectors")

TS = 1_700_000_000_000  # a fixed creation time, so the vectors never change


def pattern(length, seed):
    """Deterministic filler bytes; the Rust tests rebuild them from `pattern:<len>:<seed>`."""
    return bytes((seed + i * 31) % 251 for i in range(length))


def enc(field):
    """Encodes one optional byte string for the manifest."""
    if field is None:
        return "-"
    if isinstance(field, tuple):  # ("pattern", length, seed): too large to write out in hex
        return "pattern:%d:%d" % (field[1], field[2])
    return "hex:" + field.hex()


def materialise(field):
    if isinstance(field, tuple):
        return pattern(field[1], field[2])
    return field


# Each case: name, header settings, records as (timestamp, key, value, [(header key, value)]).
# Keys and values are bytes, None (null) or ("pattern", length, seed).
def cases():
    yield "single", {}, [(TS, b"key", b"value", [])]
    yield "empty_key", {}, [(TS, b"", b"value with an empty key", [])]
    yield "null_key", {}, [(TS, None, b"value with a null key", [])]
    yield "null_value", {}, [(TS, b"tombstone", None, [])]
    yield "empty_value", {}, [(TS, b"k", b"", [])]
    yield "null_key_and_value", {}, [(TS, None, None, [])]
    yield "headers", {}, [
        (TS, b"k1", b"v1", [("trace-id", b"abc123"), ("empty", b""), ("null", None)]),
        (TS + 1, None, b"v2", [("unicode-\u00e9\u4e2d", b"\x00\xff\x80"), ("dup", b"1"), ("dup", b"2")]),
        (TS + 2, b"k3", None, []),
    ]
    yield "many_records", {}, [
        (TS + i * 7, b"key-%d" % i if i % 5 else None, b"value-%d" % (i * i), [])
        for i in range(1000)
    ]
    yield "large_values", {}, [
        (TS, b"big-1", ("pattern", 200_000, 1), []),
        (TS + 1, None, ("pattern", 70_000, 2), [("h", ("pattern", 300, 3))]),
        (TS + 2, ("pattern", 20_000, 4), b"small", []),
    ]
    yield "nonzero_base_offset", {"base_offset": 1_234_567_890_123}, [
        (TS, b"a", b"1", []),
        (TS, b"b", b"2", []),
        (TS, b"c", b"3", []),
    ]
    yield "fixed_timestamps", {}, [
        (0, b"epoch", b"zero", []),
        (TS, b"now", b"later", []),
        (TS - 5_000, b"earlier", b"out of order", []),
        (-1, b"no-timestamp", b"minus one", []),
        (2**62, b"far", b"future", []),
    ]
    yield "idempotent_producer", {"producer_id": 4242, "producer_epoch": 3, "base_sequence": 17}, [
        (TS + i, b"k%d" % i, b"v%d" % i, []) for i in range(10)
    ]
    yield "varint_boundaries", {}, [
        (TS + (1 << s), b"x" * 63, b"y" * 64, [("z" * 127, b"w" * 128)]) for s in (0, 6, 7, 13, 14, 20, 21, 27, 28, 34, 35)
    ]


def build(settings, records):
    builder = DefaultRecordBatchBuilder(
        magic=2,
        compression_type=0,
        is_transactional=False,
        producer_id=settings.get("producer_id", -1),
        producer_epoch=settings.get("producer_epoch", -1),
        base_sequence=settings.get("base_sequence", -1),
        batch_size=1 << 30,
    )
    for offset_delta, (ts, key, value, headers) in enumerate(records):
        meta = builder.append(
            offset_delta,
            timestamp=ts,
            key=materialise(key),
            value=materialise(value),
            headers=[(k, materialise(v)) for k, v in headers],
        )
        assert meta is not None, "kafka-python refused a record"
    batch = bytearray(builder.build())
    # kafka-python always writes base offset 0 (the broker assigns it); the field is outside
    # the CRC, so stamping it afterwards is exactly what a broker does.
    struct.pack_into(">q", batch, 0, settings.get("base_offset", 0))
    return bytes(batch)


def main():
    os.makedirs(OUT, exist_ok=True)
    lines = [
        "# Record-batch vectors built by kafka-python %s (DefaultRecordBatchBuilder, magic 2,"
        % kafka.__version__,
        "# no compression). Regenerate with scripts/gen-batch-vectors.sh; do not edit by hand.",
        "# batch <name> file=<bin> base_offset= leader_epoch= producer_id= producer_epoch= base_sequence=",
        "# record ts=<ms> key=<f> value=<f> headers=<utf8 key hex>/<f>,...   then `end`",
        "# <f> is `-` (null), `hex:<bytes>` or `pattern:<len>:<seed>` (byte i = (seed + 31 i) % 251)",
    ]
    for name, settings, records in cases():
        data = build(settings, records)
        file = name + ".bin"
        with open(os.path.join(OUT, file), "wb") as f:
            f.write(data)
        lines.append(
            "batch %s file=%s base_offset=%d leader_epoch=0 producer_id=%d producer_epoch=%d base_sequence=%d"
            % (
                name,
                file,
                settings.get("base_offset", 0),
                settings.get("producer_id", -1),
                settings.get("producer_epoch", -1),
                settings.get("base_sequence", -1),
            )
        )
        for ts, key, value, headers in records:
            hs = ",".join("%s/%s" % (k.encode("utf-8").hex(), enc(v)) for k, v in headers)
            lines.append("record ts=%d key=%s value=%s headers=%s" % (ts, enc(key), enc(value), hs))
        lines.append("end")
    with open(os.path.join(OUT, "batches.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")

    rng = random.Random(0x5EED)
    keys = [s.encode() for s in ("21", "foobar", "a-little-bit-long-string", "abc", "")]
    keys += [bytes(rng.randrange(256) for _ in range(rng.randrange(0, 80))) for _ in range(400)]
    mlines = [
        "# murmur2 vectors from kafka-python %s (kafka.partitioner.default.murmur2)." % kafka.__version__,
        "# <key hex> <murmur2 as a Java int> <partition for 1..=12 partitions, space separated>",
    ]
    for key in keys:
        h = murmur2(key)
        signed = h - (1 << 32) if h >= 1 << 31 else h
        parts = " ".join(str((h & 0x7FFFFFFF) % n) for n in range(1, 13))
        mlines.append("hex:%s %d %s" % (key.hex(), signed, parts))
    with open(os.path.join(OUT, "murmur2.txt"), "w") as f:
        f.write("\n".join(mlines) + "\n")
    print("wrote %d batch vectors and %d murmur2 vectors to %s" % (sum(1 for _ in cases()), len(keys), OUT))


if __name__ == "__main__":
    sys.exit(main())
