#!/usr/bin/env python3
"""Independent oracle for the Chapter 10 dissector tests: dumps every packet
pychapter10 (PyPI `pychapter10`) finds in a Chapter 10 file as one JSON
document on stdout.

    python3 ch10_dump.py FILE.c10

Per packet: byte offset, primary header fields (flags rebuilt from
pychapter10's bit fields), whether pychapter10's header sum matches, the CSDW
message count where the type has one, the number of messages pychapter10's
iterator yields, Time F1 fields, and for TMATS the text and the attributes
pychapter10's own lookup returns. pychapter10's sub-byte CSDW flags that
protocols.md §7 #13 shows are misplaced (TMATS SRCC/format, Event IPDH) are
not dumped.

Exit status 3 with a message when pychapter10 is not installed.
"""
import json
import sys

try:
    from chapter10 import C10
except ImportError:  # pragma: no cover - reported to the test, which skips
    sys.stderr.write('pychapter10 is not installed (pip install pychapter10)\n')
    sys.exit(3)

# Types whose messages pychapter10 iterates with a layout we compare counts for.
ITERATED = {0x19, 0x30, 0x38, 0x40, 0x50, 0x68, 0x69, 0x29}


def flags_of(p):
    return ((p.secondary_header << 7) | (p.ipts_source << 6) | (p.rtc_sync_error << 5)
            | (p.data_overflow_error << 4) | (p.secondary_format << 2) | p.data_checksum)


def tmats_attributes(p):
    """pychapter10's attribute lookup (line based), keeping only lines it parses
    whole: the line ends with ';' and the line before it did too (a value that
    runs over several lines is not something a line-based reader gets right)."""
    attrs = {}
    whole = set()
    prev_closed = True
    for raw in p.data.splitlines():
        line = raw.strip()
        if not line:
            continue
        if prev_closed and line.endswith(b';') and b':' in line:
            whole.add(line[:-1].split(b':', 1)[0])
        prev_closed = line.endswith(b';')
    for code, value in p[''].items():
        if code in whole:
            attrs[code.decode('latin1')] = value.decode('latin1')
    return attrs


def dump(path):
    c10 = C10(path)
    packets = []
    for p in c10:
        end = c10.file.tell()
        d = {
            'offset': end - p.packet_length,
            'channel_id': p.channel_id,
            'packet_length': p.packet_length,
            'data_length': p.data_length,
            'data_type_version': p.header_version,
            'seq': p.sequence_number,
            'flags': flags_of(p),
            'data_type': p.data_type,
            'rtc': p.rtc,
            'header_checksum_ok': p.header_sums == p.header_checksum,
        }
        if hasattr(p, 'count'):
            d['csdw_count'] = p.count
        if p.data_type in ITERATED:
            try:
                d['messages'] = len(list(p))
            except Exception as e:  # a body pychapter10 cannot walk
                d['messages_error'] = repr(e)
        if p.data_type == 0x11:
            t = p.time
            d['time'] = {
                'time_format': p.time_format,
                'time_source': p.time_source,
                'date_format': p.date_format,
                'leap': p.leap,
                'day_of_year': t.timetuple().tm_yday,
                'month': t.month,
                'day': t.day,
                'year': t.year,
                'hms_ms': '%02d:%02d:%02d.%03d' % (t.hour, t.minute, t.second, t.microsecond // 1000),
            }
        if p.data_type == 0x01:
            d['tmats'] = {
                'version': p.version,
                'text': p.data.decode('latin1'),
                'attributes': tmats_attributes(p),
            }
        packets.append(d)
    return {'file': path, 'packets': packets}


if __name__ == '__main__':
    if len(sys.argv) != 2:
        sys.stderr.write(__doc__)
        sys.exit(2)
    json.dump(dump(sys.argv[1]), sys.stdout)
