#!/usr/bin/env python3
"""Cut the shipped font subset out of Noto Sans CJK SC Regular; run by make-subset.sh.

    python3 subset.py SOURCE.ttc CHARSET.txt OUT.ttf [DEBIAN_COPYRIGHT OFL.txt]

SOURCE is Debian's NotoSansCJK-Regular.ttc; the Simplified Chinese face is picked by its
PostScript name, not by its index. The subset keeps the code points of CHARSET that the face
maps (the rest are printed), with no layout features, no vertical metrics and no hinting; its
CFF outlines are converted to TrueType (glyf) quadratic outlines with cu2qu (at most 1 unit
of 1000 off), and its family is renamed "Hedui Sans SC" (see README.md). Given Debian's
copyright file of fonts-noto-cjk, it also writes OFL.txt: the face's copyright and trademark
notices followed by the SIL Open Font License text of that file. Needs fontTools.
"""

import sys
import unicodedata

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTCollection, TTFont, newTable

SOURCE_PS_NAME = "NotoSansCJKsc-Regular"
FAMILY = "Hedui Sans SC"
PS_NAME = "HeduiSansSC-Regular"
MAX_ERR = 1.0  # font units (UPM 1000)

# Never needed for horizontal Chinese text in a PDF; dropped on top of fontTools' defaults.
DROP = ["GSUB", "GPOS", "GDEF", "BASE", "JSTF", "MATH", "VORG", "vhea", "vmtx", "DSIG", "meta"]


def read_charset(path):
    cps = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                cps.append(int(line[2:], 16))
    return cps


def gb2312_hanzi():
    """The 6763 hanzi of GB 2312: rows B0..F7 (row D7 ends at FA)."""
    out = set()
    for lead in range(0xB0, 0xF8):
        for trail in range(0xA1, 0xFF):
            try:
                out.add(ord(bytes([lead, trail]).decode("gb2312")))
            except UnicodeDecodeError:
                pass
    return out


def source_face(path):
    for i, font in enumerate(TTCollection(path, lazy=True).fonts):
        if font["name"].getDebugName(6) == SOURCE_PS_NAME:
            return TTFont(path, fontNumber=i, recalcTimestamp=False, recalcBBoxes=True)
    sys.exit(f"{path}: no face named {SOURCE_PS_NAME}")


def cff_to_glyf(font):
    """Replace the CFF outlines by quadratic TrueType ones (fontTools' otf2ttf recipe)."""
    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyphs = {}
    for name in order:
        tt_pen = TTGlyphPen(glyph_set)
        # CFF contours run counter-clockwise, TrueType ones clockwise.
        glyph_set[name].draw(Cu2QuPen(tt_pen, MAX_ERR, reverse_direction=True))
        glyphs[name] = tt_pen.glyph()
    font["loca"] = newTable("loca")
    font["glyf"] = glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = glyphs
    del font["CFF "]
    glyf.compile(font)
    hmtx = font["hmtx"]
    for name, g in glyphs.items():
        hmtx[name] = (hmtx[name][0], getattr(g, "xMin", 0))
    maxp = font["maxp"] = newTable("maxp")
    maxp.tableVersion = 0x00010000
    maxp.maxZones = 1
    for attr in (
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
        "maxComponentDepth",
    ):
        setattr(maxp, attr, 0)
    maxp.numGlyphs = len(order)
    post = font["post"]
    post.formatType = 3.0  # no glyph names: a CID font has none worth keeping
    post.extraNames = []
    post.mapping = {}
    font["head"].glyphDataFormat = 0
    font.sfntVersion = "\x00\x01\x00\x00"


def rename(font):
    name = font["name"]
    old_unique = name.getDebugName(3)
    new = {
        1: FAMILY,
        3: f"{old_unique};subset {PS_NAME}",
        4: FAMILY,
        6: PS_NAME,
    }
    for rec in list(name.names):
        if rec.nameID in (16, 17, 21, 22, 25):
            name.removeNames(nameID=rec.nameID)
        elif rec.nameID in new:
            rec.string = new[rec.nameID]
    # Say what this is after the Original Version's description (its credits).
    note = (
        f"{FAMILY} is a subset of {SOURCE_PS_NAME} (Noto Sans CJK SC) made for the hedui "
        "project, with TrueType outlines, no layout features and no hinting."
    )
    credits = name.getName(10, 3, 1, 0x409)
    name.setName(f"{credits}. {note}" if credits else note, 10, 3, 1, 0x409)


def write_license(font, debian_copyright, out):
    """The face's own notices, then the license text of Debian's copyright file."""
    with open(debian_copyright, encoding="utf-8") as f:
        lines = f.read().splitlines()
    # The last "License: SIL-1.1" line opens the stand-alone stanza holding the text.
    start = len(lines) - lines[::-1].index("License: SIL-1.1")
    body = []
    for line in lines[start:]:
        if not line.startswith(" "):
            break
        body.append("" if line == " ." else line[1:])
    while body and not body[-1].strip():
        body.pop()
    if not any("SIL OPEN FONT LICENSE Version 1.1" in line for line in body):
        sys.exit(f"{debian_copyright}: no SIL Open Font License text found")
    name = font["name"]
    head = [name.getDebugName(0), name.getDebugName(7), "", name.getDebugName(13), ""]
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n".join(head + body) + "\n")


def main(src, charset_path, out, debian_copyright=None, license_out=None):
    wanted = read_charset(charset_path)
    font = source_face(src)
    if license_out:
        write_license(font, debian_copyright, license_out)
    cmap = font.getBestCmap()
    missing = [cp for cp in wanted if cp not in cmap]
    kept = [cp for cp in wanted if cp in cmap]

    opts = subset.Options()
    opts.layout_features = []
    opts.drop_tables += DROP
    opts.hinting = False
    opts.desubroutinize = True
    opts.name_IDs = ["*"]
    opts.name_languages = ["*"]
    opts.name_legacy = True
    opts.notdef_outline = True  # a visible box for a character the font lacks
    opts.glyph_names = False
    opts.prune_unicode_ranges = True
    opts.recalc_bounds = True
    opts.recalc_timestamp = False
    sub = subset.Subsetter(opts)
    sub.populate(unicodes=kept)
    sub.subset(font)

    # Variation sequences (format 14) are not used; keep the plain Unicode maps.
    font["cmap"].tables = [t for t in font["cmap"].tables if t.format != 14]

    cff_to_glyf(font)
    rename(font)
    font.save(out, reorderTables=True)

    check = TTFont(out)
    got = check.getBestCmap()
    lost = [cp for cp in kept if cp not in got]
    if lost:
        sys.exit("lost in the subset: " + " ".join(f"U+{cp:04X}" for cp in lost))
    print(f"{out}: {len(check.getGlyphOrder())} glyphs, {len(got)} code points, TrueType outlines")
    hanzi = gb2312_hanzi()
    print(f"  GB 2312 hanzi mapped: {sum(cp in got for cp in hanzi)} of {len(hanzi)}")
    if 0x00B7 not in got or any(cp not in got for cp in hanzi):
        sys.exit("the subset lacks U+00B7 or a GB 2312 hanzi")
    for cp in missing:
        print(f"  not in the source font: U+{cp:04X} {unicodedata.name(chr(cp), '?')}")


if __name__ == "__main__":
    if len(sys.argv) not in (4, 6):
        sys.exit(__doc__)
    main(*sys.argv[1:])
