#!/usr/bin/env python3
"""Independent IENA packet generator: the oracle for the IENA dissector tests.

Written from /work/shared/protocols.md section 4 only; it shares no code with
the TypeScript dissector. It builds IENA packets of every type (P, D, N, M, Q)
with the key-status type bits set and unset, odd-length M/Q datasets with their
pad byte, sequence wraps, and the fault cases the docs name, wraps each in
Ethernet/IPv4/UDP, writes a classic pcap, and writes what each packet must
decode to (JSON) under the documented rules (docs/protocols/iena.md):

  header: key, size (16-bit words, header and trailer included), time (u48 us
  since 1 Jan of the year), key status, N2 status, sequence, ..., end field 0xDEAD.
  type: configured key -> type, else key-status bits (0x80 P; 0x20 message:
  0x10 delay -> M else Q; else 0x10 -> D), else the layouts that tile the
  payload (M, Q exactly with no zero length; D, N by divisibility with
  word count >= 1): one -> that type, several -> Unknown with the candidates,
  none -> P with iena.no_consistent_layout.

Usage: iena_generator.py --out DIR [--seed N]
Writes DIR/iena_generated.pcap and DIR/iena_generated.json.
"""

import argparse
import json
import os
import random
import struct

TRAILER = 0xDEAD
MAX_TIME_US = 366 * 86400 * 1000000

# Key-status bits.
POSITIONAL = 0x80
MESSAGE = 0x20
DELAY = 0x10


def u16(v):
    return struct.pack(">H", v & 0xFFFF)


def time_us(day, h, m, s, us):
    return ((day * 24 + h) * 3600 + m * 60 + s) * 1000000 + us


class Packet:
    """One IENA packet: the header fields, the payload items, and what it must decode to."""

    def __init__(self, key, key_status, n2, seq, time, payload, items, trailer=TRAILER, size_words=None):
        self.key = key
        self.key_status = key_status
        self.n2 = n2
        self.seq = seq
        self.time = time
        self.payload = payload
        self.items = items  # expected params (list of dicts) when the type is known
        self.trailer = trailer
        self.size_words = size_words

    def to_bytes(self):
        total = 14 + len(self.payload) + 2
        size = self.size_words if self.size_words is not None else total // 2
        head = u16(self.key) + u16(size) + struct.pack(">Q", self.time)[2:] + bytes([self.key_status, self.n2]) + u16(self.seq)
        return head + self.payload + u16(self.trailer)


# ----------------------------------------------------------------------------- payload builders

def words(rnd, n):
    return [rnd.randrange(0, 0x10000) for _ in range(n)]


def p_payload(rnd, nwords):
    data = b"".join(u16(w) for w in words(rnd, nwords))
    return data, [{"param_id": -1, "delay": None, "length": None, "data": data.hex()}], nwords


def d_payload(rnd, nparams, wc, with_delay):
    out = b""
    items = []
    for i in range(nparams):
        pid = rnd.choice([0xFFFF, rnd.randrange(0, 0x10000)])
        delay = rnd.randrange(0, 0x10000)
        data = b"".join(u16(w) for w in words(rnd, wc))
        out += u16(pid) + (u16(delay) if with_delay else b"") + data
        items.append({"param_id": pid, "delay": delay if with_delay else None, "length": None, "data": data.hex()})
    return out, items, nparams


def m_payload(rnd, lengths, with_delay):
    out = b""
    items = []
    for length in lengths:
        pid = rnd.randrange(0, 0x10000)
        delay = rnd.randrange(0, 0x10000)
        data = bytes(rnd.randrange(0, 256) for _ in range(length))
        pad = b"\x00" if length % 2 else b""
        out += u16(pid) + (u16(delay) if with_delay else b"") + u16(length) + data + pad
        items.append({"param_id": pid, "delay": delay if with_delay else None, "length": length, "data": data.hex()})
    return out, items, len(lengths)


# ----------------------------------------------------------------------------- independent layout checks

def tiles_messages(payload, with_delay):
    head = 6 if with_delay else 4
    off = 0
    n = 0
    while off < len(payload):
        if len(payload) - off < head:
            return False
        (length,) = struct.unpack_from(">H", payload, off + head - 2)
        if length == 0:
            return False
        off += head + length + (length & 1)
        n += 1
    return off == len(payload) and n > 0


def candidates(payload, wc):
    out = []
    if tiles_messages(payload, True):
        out.append("M")
    if tiles_messages(payload, False):
        out.append("Q")
    if wc >= 1 and payload and len(payload) % ((wc + 2) * 2) == 0:
        out.append("D")
    if wc >= 1 and payload and len(payload) % ((wc + 1) * 2) == 0:
        out.append("N")
    return out


def type_from_bits(ks):
    if ks & POSITIONAL:
        return "P"
    if ks & MESSAGE:
        return "M" if ks & DELAY else "Q"
    if ks & DELAY:
        return "D"
    return None


# ----------------------------------------------------------------------------- cases

def build_cases(rnd):
    """Returns (frames, key_types): frames = list of (dst_port, payload bytes, expectation or None)."""
    key_types = {}
    frames = []
    t0 = time_us(200, 12, 34, 56, 789012)

    def expect(pkt, typ, source, items, count, candidates_=None, errors=()):
        return {
            "frame_type": "IENA-" + typ,
            "key": pkt.key, "size_words": pkt.size_words if pkt.size_words is not None else (16 + len(pkt.payload)) // 2,
            "time_us": pkt.time, "key_status": pkt.key_status, "n2_status": pkt.n2, "sequence": pkt.seq,
            "type": typ, "type_source": source, "type_candidates": candidates_ if candidates_ is not None else [],
            "trailer": pkt.trailer, "param_count": count, "params": items, "errors": sorted(errors),
        }

    def add(port, pkt, exp):
        frames.append((port, pkt.to_bytes(), exp))

    # 1. Type from the key-status bits (no configuration).
    seq = 100
    for port, ks, kind in [(50000, POSITIONAL | 2, "P"), (50000, DELAY | 3, "D"), (50001, MESSAGE | DELAY, "M"),
                           (50001, MESSAGE, "Q"), (5548, DELAY | 1, "D"), (5550, MESSAGE | DELAY | 0x40, "M")]:
        for _ in range(3):
            if kind == "P":
                payload, items, count = p_payload(rnd, rnd.randrange(1, 40))
            elif kind == "D":
                payload, items, count = d_payload(rnd, rnd.randrange(1, 12), ks & 7, True)
            else:
                lengths = [rnd.choice([1, 3, 5, 7, 8, 13, 64, 101]) for _ in range(rnd.randrange(1, 5))]
                payload, items, count = m_payload(rnd, lengths, kind == "M")
            pkt = Packet(0x1000 + ks, ks, rnd.randrange(0, 256), seq, t0 + seq * 1000, payload, items)
            seq += 1
            add(port, pkt, expect(pkt, kind, "key_status", items, count))

    # 2. Bits unset, type from configuration (every type, incl. N which the bits cannot name).
    for key, kind, wc in [(0x2CFA, "D", 2), (0x24FB, "N", 2), (0x0A01, "N", 1), (0xA33D, "M", 0), (0x0B0B, "Q", 0),
                          (0x0C0C, "P", 0)]:
        key_types["0x%04x" % key] = kind
        for i in range(3):
            if kind == "P":
                payload, items, count = p_payload(rnd, rnd.randrange(1, 30))
            elif kind in "DN":
                payload, items, count = d_payload(rnd, rnd.randrange(1, 14), wc, kind == "D")
            else:
                lengths = [rnd.choice([1, 2, 3, 9, 103, 200]) for _ in range(rnd.randrange(1, 4))]
                payload, items, count = m_payload(rnd, lengths, kind == "M")
            pkt = Packet(key, wc, 0, 7 + i, t0 + i, payload, items)
            add(1024, pkt, expect(pkt, kind, "config", items, count))

    # 3. Sequence wrap 65534, 65535, 0, 1 on one key (D from the bits).
    for s in [65534, 65535, 0, 1]:
        payload, items, count = d_payload(rnd, 4, 2, True)
        pkt = Packet(0x5EEE, DELAY | 2, 0, s, t0 + s, payload, items)
        add(50000, pkt, expect(pkt, "D", "key_status", items, count))

    # 4. Heuristic, exactly one layout fits (bits unset, key not configured): retry until unique.
    made = {"M": 0, "Q": 0, "D": 0, "N": 0}
    tries = 0
    while min(made.values()) < 2 and tries < 10000:
        tries += 1
        kind = rnd.choice([k for k, v in made.items() if v < 2])
        wc = rnd.randrange(1, 4) if kind in "DN" else rnd.randrange(0, 8)
        if kind in "DN":
            payload, items, count = d_payload(rnd, rnd.randrange(1, 9), wc, kind == "D")
        else:
            lengths = [rnd.choice([1, 3, 5, 17, 33, 100]) for _ in range(rnd.randrange(1, 4))]
            payload, items, count = m_payload(rnd, lengths, kind == "M")
        if candidates(payload, wc) != [kind]:
            continue
        made[kind] += 1
        pkt = Packet(0x7000 + len(frames), wc, 0, tries, t0, payload, items)
        add(5549, pkt, expect(pkt, kind, "heuristic", items, count, [kind]))

    # 5. Heuristic, several layouts fit: Unknown with the candidates (the iena_test.pcap case, M and N with wc=1).
    payload, _, _ = m_payload(rnd, [26], True)
    pkt = Packet(0x001A, 0x01, 0x01, 195, time_us(90, 7, 0, 0, 0), payload, [])
    cands = candidates(payload, 1)
    assert cands == ["M", "N"], cands
    add(1024, pkt, expect(pkt, "Unknown", "heuristic-ambiguous", [], 0, cands, ["iena.ambiguous_type"]))

    # 6. Heuristic, nothing fits: P with the flag (a zero-length M message, wc 0).
    payload = u16(0xFFFF) + u16(0xFFFF) + u16(0) + b"\x00" * 10
    assert candidates(payload, 0) == []
    pkt = Packet(0x001B, 0, 0, 5, t0, payload, [])
    add(1024, pkt, expect(pkt, "P", "heuristic", [{"param_id": -1, "delay": None, "length": None, "data": payload.hex()}],
                          len(payload) // 2, [], ["iena.no_consistent_layout"]))

    # 7. Faults.
    # 7a. Bad trailer (a warning; still IENA by size + time + layout).
    payload, items, count = d_payload(rnd, 5, 2, True)
    pkt = Packet(0x4001, DELAY | 2, 0, 1, t0, payload, items, trailer=0xBEEF)
    add(50000, pkt, expect(pkt, "D", "key_status", items, count, None, ["iena.bad_trailer"]))
    # 7b. Time out of range.
    payload, items, count = d_payload(rnd, 2, 1, True)
    pkt = Packet(0x4002, DELAY | 1, 0, 2, MAX_TIME_US + 5, payload, items)
    add(50000, pkt, expect(pkt, "D", "key_status", items, count, None, ["iena.time_out_of_range"]))
    # 7c. Zero-length message in a configured M key.
    key_types["0x4003"] = "M"
    body = u16(0x0001) + u16(0x0002) + u16(0) + u16(0x0003) + u16(0x0004) + u16(3) + b"abc" + b"\x00"
    items = [{"param_id": 1, "delay": 2, "length": 0, "data": ""},
             {"param_id": 3, "delay": 4, "length": 3, "data": b"abc".hex()}]
    pkt = Packet(0x4003, 0, 0, 3, t0, body, items)
    add(1024, pkt, expect(pkt, "M", "config", items, 2, None, ["iena.zero_length_message"]))
    # 7d. D payload that does not tile (one spare word) in a configured D key.
    key_types["0x4004"] = "D"
    payload, items, count = d_payload(rnd, 3, 2, True)
    pkt = Packet(0x4004, 2, 0, 4, t0, payload + u16(0x1234), items)
    add(1024, pkt, expect(pkt, "D", "config", items, count, None, ["iena.bad_body"]))
    # 7e. Size counted in bytes (the corrupt_ienad trap): size_mismatch, body read to the payload end.
    payload, items, count = d_payload(rnd, 6, 2, True)
    total = 16 + len(payload)
    pkt = Packet(0x4005, DELAY | 2, 0, 5, t0, payload, items, size_words=total)
    add(5548, pkt, expect(pkt, "D", "key_status", items, count, None, ["iena.size_mismatch"]))

    # 8. Not IENA: must be left alone (null).
    not_iena = [
        (53, bytes.fromhex("abcd01000001000000000000076578616d706c6503636f6d0000010001")),       # DNS query
        (50000, bytes(rnd.randrange(0, 256) for _ in range(64))),                                 # random bytes
        (50000, b"\x25\xeb" + bytes(40)),                                                           # Chapter 10 sync at 0
        (320, Packet(0x6001, DELAY | 1, 0, 1, t0, d_payload(rnd, 2, 1, True)[0], []).to_bytes()),  # PTP port
    ]
    for port, data in not_iena:
        frames.append((port, data, None))
    return frames, key_types


# ----------------------------------------------------------------------------- pcap writing

def ipv4_checksum(header):
    s = sum(struct.unpack(">10H", header))
    while s > 0xFFFF:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def udp_frame(dst_port, payload, src_port=40000):
    udp = struct.pack(">HHHH", src_port, dst_port, 8 + len(payload), 0) + payload
    ip = bytearray(struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 1, 17, 0,
                               bytes([192, 168, 28, 8]), bytes([235, 0, 0, 1])))
    struct.pack_into(">H", ip, 10, ipv4_checksum(bytes(ip)))
    eth = bytes.fromhex("01005e000001") + bytes.fromhex("020000000001") + b"\x08\x00"
    return eth + bytes(ip) + udp


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        for i, data in enumerate(frames):
            f.write(struct.pack("<IIII", 1700000000 + i, 0, len(data), len(data)))
            f.write(data)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1106)
    args = ap.parse_args()
    rnd = random.Random(args.seed)
    frames, key_types = build_cases(rnd)
    os.makedirs(args.out, exist_ok=True)
    write_pcap(os.path.join(args.out, "iena_generated.pcap"), [udp_frame(port, data) for port, data, _ in frames])
    doc = {
        "seed": args.seed,
        "key_types": key_types,
        "frames": [{"frame": i + 1, "dst_port": port, "expect": exp} for i, (port, _, exp) in enumerate(frames)],
    }
    with open(os.path.join(args.out, "iena_generated.json"), "w") as f:
        json.dump(doc, f, indent=1)


if __name__ == "__main__":
    main()
