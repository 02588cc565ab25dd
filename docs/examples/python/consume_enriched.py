#!/usr/bin/env python3
"""Subscribe to the StreamLens enriched topic from Python, with only the
published .avsc files: no StreamLens code.

Debian/Ubuntu: apt install python3-confluent-kafka python3-avro

    consume_enriched.py --brokers 127.0.0.1:9092 --topic streamlens.enriched \
        --schemas /path/to/streamlens/schemas/avro [--group my-app] [--max-messages N] [--json]

Every message value is an Avro single-object encoding: 0xC3 0x01, the 8-byte
little-endian CRC-64-AVRO fingerprint of the writer schema's Parsing
Canonical Form, then the Avro binary body. We fingerprint every published
schema, pick the one the message names, and decode the body with it.
"""
import argparse
import glob
import io
import json
import os
import sys
import warnings

import avro.io
import avro.schema
from confluent_kafka import Consumer, KafkaError

warnings.filterwarnings("ignore", category=Warning, module="avro")  # timestamp-nanos is read as a plain long

EMPTY = 0xC15D213AA4D7A795
TABLE = []
for i in range(256):
    fp = i
    for _ in range(8):
        fp = (fp >> 1) ^ (EMPTY & -(fp & 1))
    TABLE.append(fp & 0xFFFFFFFFFFFFFFFF)


def rabin(data: bytes) -> int:
    fp = EMPTY
    for b in data:
        fp = (fp >> 8) ^ TABLE[(fp ^ b) & 0xFF]
    return fp


def canonical(schema) -> str:
    """Parsing Canonical Form (Avro spec): full names, only type-defining attributes, fixed key order, no spaces."""
    def pcf(s, ns=None, seen=None):
        seen = seen if seen is not None else set()
        if isinstance(s, str):
            if s in ("null", "boolean", "int", "long", "float", "double", "bytes", "string"):
                return json.dumps(s)
            return json.dumps(s if "." in s or ns is None else f"{ns}.{s}")
        if isinstance(s, list):
            return "[" + ",".join(pcf(x, ns, seen) for x in s) + "]"
        t = s["type"]
        if t in ("record", "error", "enum", "fixed"):
            name = s["name"] if "." in s["name"] else (f"{s.get('namespace', ns)}.{s['name']}" if s.get("namespace", ns) else s["name"])
            if name in seen:
                return json.dumps(name)
            seen.add(name)
            child_ns = name.rsplit(".", 1)[0] if "." in name else None
            if t == "enum":
                return '{"name":%s,"type":"enum","symbols":%s}' % (json.dumps(name), json.dumps(s["symbols"], separators=(",", ":")))
            if t == "fixed":
                return '{"name":%s,"type":"fixed","size":%d}' % (json.dumps(name), s["size"])
            fields = ",".join('{"name":%s,"type":%s}' % (json.dumps(f["name"]), pcf(f["type"], child_ns, seen)) for f in s["fields"])
            return '{"name":%s,"type":"record","fields":[%s]}' % (json.dumps(name), fields)
        if t == "array":
            return '{"type":"array","items":%s}' % pcf(s["items"], ns, seen)
        if t == "map":
            return '{"type":"map","values":%s}' % pcf(s["values"], ns, seen)
        return pcf(t, ns, seen)  # {"type": "long", "logicalType": ...} and the like
    return pcf(schema)


def load_schemas(directory: str) -> dict:
    """fingerprint -> (full name, parsed schema) for every published (self-contained) .avsc."""
    out = {}
    for path in sorted(glob.glob(os.path.join(directory, "*.avsc"))):
        if path.endswith(".src.avsc"):
            continue
        with open(path) as f:
            raw = json.load(f)
        parsed = avro.schema.parse(json.dumps(raw))
        out[rabin(canonical(raw).encode())] = (parsed.fullname, parsed)
    return out


def decode(value: bytes, schemas: dict):
    if len(value) < 10 or value[0] != 0xC3 or value[1] != 0x01:
        raise ValueError("not an Avro single-object message")
    fp = int.from_bytes(value[2:10], "little")
    if fp not in schemas:
        raise ValueError(f"unknown schema fingerprint {fp:016x}")
    name, schema = schemas[fp]
    return name, avro.io.DatumReader(schema).read(avro.io.BinaryDecoder(io.BytesIO(value[10:])))


def summary(batch: dict) -> dict:
    """One JSON line per record: the fields a downstream application typically wants."""
    out = []
    for r in batch["records"]:
        p = r["packet"]
        out.append({
            "agent_id": batch["agent_id"],
            "interface": batch["interface"],
            "ts_ns": batch["base_ts_ns"] + p["ts_offset_ns"],
            "frame_no": p["frame_no"],
            "frame_type": r["frame_type"],
            "protocols": r["protocols"],
            "src_ip": p["src_ip"].hex(), "dst_ip": p["dst_ip"].hex(),
            "src_port": p["src_port"], "dst_port": p["dst_port"],
            "wire_len": p["wire_len"],
            "ptp_sequence_id": r["ptp"]["sequence_id"] if r["ptp"] else None,
            "ptp_clock": r["ptp"]["source_clock_id"] if r["ptp"] else None,
            "iena_key": r["iena"]["key"] if r["iena"] else None,
            "iena_sequence": r["iena"]["sequence"] if r["iena"] else None,
            "ch10_channels": [c["channel_id"] for c in r["ch10"]["packets"]] if r["ch10"] else None,
            "tmats_program": r["ch10"]["tmats"]["program_name"] if r["ch10"] and r["ch10"]["tmats"] else None,
            "errors": r["errors"],
        })
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--brokers", required=True)
    ap.add_argument("--topic", default="streamlens.enriched")
    ap.add_argument("--schemas", required=True, help="directory with the published .avsc files")
    ap.add_argument("--group", default="streamlens-python-example")
    ap.add_argument("--max-messages", type=int, default=0, help="stop after N messages (0 = run forever)")
    ap.add_argument("--idle-timeout", type=float, default=0, help="stop after this many seconds without a message (0 = never)")
    args = ap.parse_args()

    schemas = load_schemas(args.schemas)
    consumer = Consumer({
        "bootstrap.servers": args.brokers,
        "group.id": args.group,
        "auto.offset.reset": "earliest",
        "isolation.level": "read_committed",  # the dissector writes in transactions
        "enable.auto.commit": True,
    })
    consumer.subscribe([args.topic])
    seen, idle = 0, 0.0
    try:
        while args.max_messages == 0 or seen < args.max_messages:
            msg = consumer.poll(0.5)
            if msg is None:
                idle += 0.5
                if args.idle_timeout and idle >= args.idle_timeout:
                    break
                continue
            idle = 0.0
            if msg.error():
                if msg.error().code() != KafkaError._PARTITION_EOF:
                    print(f"kafka error: {msg.error()}", file=sys.stderr)
                continue
            seen += 1
            try:
                name, batch = decode(msg.value(), schemas)
            except ValueError as e:
                print(f"skipping message at {msg.topic()}/{msg.partition()}/{msg.offset()}: {e}", file=sys.stderr)
                continue
            for line in summary(batch):
                print(json.dumps(line), flush=True)
    finally:
        consumer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
