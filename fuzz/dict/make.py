#!/usr/bin/env python3
"""make.py — writes the libFuzzer dictionaries fuzz/dict/{cbor,json,coap,code}.dict from the code's
own tables: the check-in map's keys (core/checkin.c), the admin API's JSON field names and values
(server/api/), the routes' Uri-Path segments (server/loop/routes.c), the Base45 alphabet
(core/base45.c) and the COSE constants (core/cose.h), plus the fixed grammar of each format.
Run it again after changing those tables; fuzz/run.sh gives each target its dictionaries."""
import glob
import os
import re

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def read(*paths):
    return "".join(open(os.path.join(ROOT, p), encoding="utf-8").read() for p in paths)


def entry(data):
    """One dictionary line: printable ASCII as is, everything else as \\xNN."""
    out = "".join(chr(b) if 0x20 <= b < 0x7F and chr(b) not in '"\\' else "\\x%02X" % b
                  for b in data)
    return '"%s"' % out


def cbor_head(major, value):
    if value < 24:
        return bytes([major << 5 | value])
    if value < 256:
        return bytes([major << 5 | 24, value])
    return bytes([major << 5 | 25]) + value.to_bytes(2, "big")


def cbor_text(s):
    b = s.encode()
    return cbor_head(3, len(b)) + b


def write(name, comment, entries):
    seen, lines = set(), ["# %s.dict: %s (written by fuzz/dict/make.py)" % (name, comment)]
    for e in entries:
        line = entry(e if isinstance(e, bytes) else e.encode())
        if line not in seen:
            seen.add(line)
            lines.append(line)
    with open(os.path.join(ROOT, "fuzz", "dict", name + ".dict"), "w", encoding="ascii") as f:
        f.write("\n".join(lines) + "\n")


def checkin_keys():
    src = read("core/checkin.c")
    keys = re.findall(r'\{"([a-z]+)", KEY_', src)
    events = re.findall(r'\[CHECKIN_[A-Z]+\] = "([a-z]+)"', src)
    return keys, events


def cbor_entries():
    keys, events = checkin_keys()
    out = [bytes([b]) for b in (0x00, 0x17, 0x18, 0x19, 0x1A, 0x1B, 0x20, 0x38, 0x40, 0x58,
                                0x60, 0x78, 0x80, 0x98, 0x9F, 0xA0, 0xB8, 0xBF, 0xC0, 0xC1,
                                0xD2, 0xD8, 0xF4, 0xF5, 0xF6, 0xF7, 0xF9, 0xFA, 0xFB, 0xFF)]
    out += [b"\xd8\x3d", b"\xf9\x7c\x00", b"\xf9\x7e\x00", b"\xfb\x7f\xf8\x00\x00\x00\x00\x00\x00",
            b"\x1b\xff\xff\xff\xff\xff\xff\xff\xff", b"\x3b\x7f\xff\xff\xff\xff\xff\xff\xff"]
    out += [cbor_text(k) for k in keys + events] + keys + events
    out += [cbor_head(5, n) for n in range(1, 8)]
    return out


def json_entries():
    src = read(*sorted(os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, "server/api/*.c"))))
    words = sorted(set(re.findall(r'"([a-z][a-z0-9_]{1,30})"', src)))
    out = ['"%s":' % w for w in words] + ['"%s"' % w for w in words]
    out += ["{", "}", "[", "]", ":", ",", '"', "true", "false", "null", "-0", "1e308", "-1E-7",
            "0.5", "9007199254740993", "\\u0000", "\\ud83d\\ude00", "\\ud800", "\\\"", "\\\\",
            "\\/", "\\b", "\\f", "\\n", "\\r", "\\t", "\\u00e9", "{}", "[]", '""', " ", "\t"]
    return out


def coap_entries():
    segments = sorted({s for route in re.findall(r'\{"(v1/[a-z/-]+)"', read("server/loop/routes.c"))
                       for s in route.split("/")})
    out = [b"\x40\x01", b"\x40\x02", b"\x40\x03", b"\x40\x04", b"\x50\x01", b"\x60\x00", b"\x70\x00",
           b"\x41\x01", b"\x48\x02", b"\xff"]
    for s in segments:  # a Uri-Path option (number 11) first and after another
        b = s.encode()
        out += [s, bytes([0xB0 | len(b)]) + b, bytes([len(b)]) + b]
    # option deltas from Uri-Path (11): Content-Format 12, Uri-Query 15, Accept 17, Block2 23,
    # Block1 27, Size2 28, Size1 60; Observe 6 as a first option
    out += [b"\x10", b"\x11\x3c", b"\x11\x32", b"\x41\x3c", b"\x61\x3c", b"\x61\x32",
            b"\xc1\x06", b"\xd1\x03\x06", b"\xd1\x0f\x06", b"\xd1\x0f\x0e", b"\xd1\x0f\x0e",
            b"\xd2\x10\x00\x40", b"\x61\x00", b"\x60", b"\x0d\x00", b"\x0e\x00\x00", b"\x0f",
            b"\xd0", b"\xe0", b"\xf0", b"since=", b"limit=", b"after="]
    return out


def code_entries():
    alphabet = re.search(r'base45_alphabet\[45\] = "([^"]+)"', read("core/base45.c")).group(1)
    out = ["WR3:", "wr3:", "WR3"] + list(alphabet)
    # COSE_Sign1 (tag 18) and CWT (tag 61) heads, the protected header {1: alg}, claim keys
    cose = read("core/cose.h")
    tag = int(re.search(r"COSE_TAG_SIGN1 +(\d+)", cose).group(1))
    algs = [int(a) for a in re.findall(r"COSE_ALG_[A-Z0-9]+ +\((-\d+)\)", cose)]
    raw = [cbor_head(6, tag) + b"\x84", b"\xd8\x3d", b"\xa1\x04\x48"]
    for alg in algs:
        h = b"\xa1\x01" + bytes([0x20 | (-1 - alg)])
        raw += [h, cbor_head(2, len(h)) + h]
    raw += [bytes([k]) for k in (1, 2, 4, 6, 7)] + [b"\x58\x40", b"\x50"]
    out += raw
    return out


write("cbor", "CBOR heads, simple values, the check-in map's keys and events", cbor_entries())
write("json", "JSON punctuation, escapes, numbers and the admin API's field names", json_entries())
write("coap", "CoAP headers, options and the Uri-Path segments of the routes", coap_entries())
write("code", 'the code format: "WR3:", the Base45 alphabet, COSE_Sign1/CWT heads', code_entries())
