#!/usr/bin/env python3
"""ttf-seeds.py — writes the seed corpus of fuzz-ttf (fuzz/corpus/ttf/): small TrueType fonts
made from a few glyphs of Droid Sans Fallback (fonts-droid-fallback, Apache-2.0: its CJK
glyphs are mostly composites of radicals, kept with their components) plus one composite glyph
made here, with cmap format 4 (by delta or by glyph array) or 12 and short or long loca, and
broken variants of them: truncated, a loca entry beyond glyf, a composite that contains itself,
composites nested 20 deep.

usage: fuzz/ttf-seeds.py [FONT [DIR]]"""
import os
import struct
import sys

FONT = "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"
# space, 。, 一, 中 (simple glyphs), 焊, 接, 监 (composites); U+E000 is the composite made here
CHARS = [0x20, 0x3002, 0x4E00, 0x4E2D, 0x710A, 0x63A5, 0x76D1]
COMPOSITE_CP = 0xE000
MORE_COMPONENTS, WORD_ARGS, XY_VALUES = 0x20, 0x01, 0x02


def tables_of(data):
    count = struct.unpack_from(">H", data, 4)[0]
    tables = {}
    for i in range(count):
        tag, _, off, length = struct.unpack_from(">4sIII", data, 12 + 16 * i)
        tables[tag.decode("latin-1")] = data[off:off + length]
    return tables


def cmap_lookup(cmap):
    """code point -> glyph of the font's format 4 subtable (platform 3, encoding 1)."""
    for i in range(struct.unpack_from(">H", cmap, 2)[0]):
        platform, encoding, off = struct.unpack_from(">HHI", cmap, 4 + 8 * i)
        if (platform, encoding) == (3, 1) and struct.unpack_from(">H", cmap, off)[0] == 4:
            break
    else:
        sys.exit("ttf-seeds.py: no cmap format 4")
    segs = struct.unpack_from(">H", cmap, off + 6)[0] // 2
    ends, starts = off + 14, off + 16 + 2 * segs
    deltas, ranges = starts + 2 * segs, starts + 4 * segs

    def glyph(cp):
        for i in range(segs):
            end, start = (struct.unpack_from(">H", cmap, a + 2 * i)[0] for a in (ends, starts))
            if cp > end:
                continue
            if cp < start:
                return 0
            delta, rng = (struct.unpack_from(">H", cmap, a + 2 * i)[0] for a in (deltas, ranges))
            if rng == 0:
                return (cp + delta) & 0xFFFF
            g = struct.unpack_from(">H", cmap, ranges + 2 * i + rng + 2 * (cp - start))[0]
            return (g + delta) & 0xFFFF if g else 0
        return 0

    return glyph


def components(data):
    """(offset of the glyph id, glyph id) of each component of a composite glyph."""
    if len(data) < 10 or struct.unpack_from(">h", data, 0)[0] >= 0:
        return []
    out, p = [], 10
    while True:
        flags, gid = struct.unpack_from(">HH", data, p)
        out.append((p + 2, gid))
        p += 4 + (4 if flags & WORD_ARGS else 2)
        p += 2 if flags & 0x08 else 4 if flags & 0x40 else 8 if flags & 0x80 else 0
        if not flags & MORE_COMPONENTS:
            return out


def subset(tables, gids):
    """The glyphs @gids and their components, renumbered in that order."""
    gids = list(gids)
    for g in gids:
        gids += [c for _, c in components(glyphs_of(tables, [g])[0][0]) if c not in gids]
    glyphs = []
    for data, adv, lsb in glyphs_of(tables, gids):
        data = bytearray(data)
        for at, c in components(data):
            struct.pack_into(">H", data, at, gids.index(c))
        glyphs.append((bytes(data), adv, lsb))
    return glyphs


def glyphs_of(tables, gids):
    long_loca = struct.unpack_from(">h", tables["head"], 50)[0] == 1
    loca, glyf = tables["loca"], tables["glyf"]
    hmetrics = struct.unpack_from(">H", tables["hhea"], 34)[0]
    out = []
    for g in gids:
        if long_loca:
            a, b = struct.unpack_from(">II", loca, 4 * g)
        else:
            a, b = (2 * x for x in struct.unpack_from(">HH", loca, 2 * g))
        adv, lsb = struct.unpack_from(">Hh", tables["hmtx"], 4 * min(g, hmetrics - 1))
        out.append((glyf[a:b], adv, lsb))
    return out


def composite(first, second):
    """A composite glyph: glyph @first, then glyph @second shifted by (100, -50) font units."""
    header = struct.pack(">hhhhh", -1, 0, -50, 356, 230)
    return (header +
            struct.pack(">HHhh", MORE_COMPONENTS | WORD_ARGS | XY_VALUES, first, 0, 0) +
            struct.pack(">HHbb", XY_VALUES, second, 100, -50))


def cmap4(mapping, use_ranges):
    cps = sorted(mapping)
    segs = len(cps) + 1
    ends, starts, deltas, ranges, glyph_ids = [], [], [], [], []
    for i, cp in enumerate(cps):
        ends.append(cp)
        starts.append(cp)
        if use_ranges:  # idRangeOffset into glyphIdArray, from this entry of idRangeOffset
            deltas.append(0)
            ranges.append(2 * (segs - i) + 2 * len(glyph_ids))
            glyph_ids.append(mapping[cp])
        else:
            deltas.append((mapping[cp] - cp) & 0xFFFF)
            ranges.append(0)
    ends.append(0xFFFF)
    starts.append(0xFFFF)
    deltas.append(1)
    ranges.append(0)
    body = struct.pack(">HHHH", 2 * segs, 0, 0, 0)  # search fields are not read
    body += struct.pack(f">{segs}H", *ends) + b"\0\0" + struct.pack(f">{segs}H", *starts)
    body += struct.pack(f">{segs}H", *deltas) + struct.pack(f">{segs}H", *ranges)
    body += struct.pack(f">{len(glyph_ids)}H", *glyph_ids)
    sub = struct.pack(">HHH", 4, 6 + len(body), 0) + body
    return struct.pack(">HHHHI", 0, 1, 3, 1, 12) + sub


def cmap12(mapping):
    groups = [(cp, cp, mapping[cp]) for cp in sorted(mapping)]
    sub = struct.pack(">HHIII", 12, 0, 16 + 12 * len(groups), 0, len(groups))
    sub += b"".join(struct.pack(">III", *g) for g in groups)
    return struct.pack(">HHHHI", 0, 1, 3, 10, 12) + sub


def font_file(tables):
    tags = sorted(tables)
    n = len(tags)
    out = struct.pack(">IHHHH", 0x00010000, n, 0, 0, 0)
    offset = 12 + 16 * n
    body = b""
    for tag in tags:
        data = tables[tag]
        out += tag.encode("latin-1") + struct.pack(">III", 0, offset + len(body), len(data))
        body += data + b"\0" * (-len(data) % 4)
    return out + body


def make_font(src, glyphs, mapping, long_loca, cmap):
    glyf, loca = b"", []
    for data, _, _ in glyphs:
        loca.append(len(glyf))
        glyf += data + b"\0" * (-len(data) % 2)
    loca.append(len(glyf))
    head = bytearray(src["head"][:54])
    struct.pack_into(">h", head, 50, 1 if long_loca else 0)
    hhea = bytearray(src["hhea"][:36])
    struct.pack_into(">H", hhea, 34, len(glyphs))
    maxp = bytearray(src["maxp"])
    struct.pack_into(">H", maxp, 4, len(glyphs))
    return font_file({
        "head": bytes(head), "hhea": bytes(hhea), "maxp": bytes(maxp),
        "hmtx": b"".join(struct.pack(">Hh", adv, lsb) for _, adv, lsb in glyphs),
        "loca": struct.pack(f">{len(loca)}{'I' if long_loca else 'H'}",
                            *(x if long_loca else x // 2 for x in loca)),
        "glyf": glyf, "cmap": cmap, "cvt ": src["cvt "], "fpgm": src["fpgm"],
        "prep": src["prep"],
    })


def main():
    font = sys.argv[1] if len(sys.argv) > 1 else FONT
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__),
                                                             "corpus", "ttf")
    src = tables_of(open(font, "rb").read())
    lookup = cmap_lookup(src["cmap"])
    glyphs = subset(src, [0] + [lookup(cp) for cp in CHARS])
    mapping = {cp: i + 1 for i, cp in enumerate(CHARS)}
    composite_gid = len(glyphs)
    upem = struct.unpack_from(">H", src["head"], 18)[0]
    glyphs.append((composite(3, 5), upem, 0))  # 一 over 焊, itself a composite
    mapping[COMPOSITE_CP] = composite_gid
    # the same composite, and one that contains itself
    cycle = glyphs[:-1] + [(composite(1, composite_gid), upem, 0)]
    seeds = {
        "valid-cmap4-short-loca": make_font(src, glyphs, mapping, False, cmap4(mapping, False)),
        "valid-cmap4-ranges-long-loca": make_font(src, glyphs, mapping, True,
                                                  cmap4(mapping, True)),
        "valid-cmap12-long-loca": make_font(src, glyphs, mapping, True, cmap12(mapping)),
        "invalid-composite-cycle": make_font(src, cycle, mapping, False, cmap12(mapping)),
    }
    # a chain of composites, each 一 and the one before: U+E001 at its top nests 20 deep (more
    # than the reader takes), U+E002 in the middle 11
    deep, deep_mapping = list(glyphs), dict(mapping)
    for _ in range(18):
        deep.append((composite(3, len(deep) - 1), upem, 0))
    deep_mapping[0xE001] = len(deep) - 1
    deep_mapping[0xE002] = len(deep) - 10
    seeds["invalid-composite-too-deep"] = make_font(src, deep, deep_mapping, False,
                                                    cmap12(deep_mapping))
    good = seeds["valid-cmap4-short-loca"]
    seeds["invalid-truncated-directory"] = good[:60]
    seeds["invalid-truncated-half"] = good[:len(good) // 2]
    broken = bytearray(seeds["valid-cmap12-long-loca"])
    count = struct.unpack_from(">H", broken, 4)[0]
    for i in range(count):  # the composite's outline starts beyond glyf
        tag, _, off, length = struct.unpack_from(">4sIII", broken, 12 + 16 * i)
        if tag == b"loca":
            struct.pack_into(">I", broken, off + 4 * composite_gid, 0xFFFFFFF0)
    seeds["invalid-loca-past-glyf"] = bytes(broken)
    os.makedirs(out, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


main()
