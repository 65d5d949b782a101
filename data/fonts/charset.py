#!/usr/bin/env python3
"""The character set of the shipped CJK font subset (see README.md in this folder).

Usage (from anywhere; paths are relative to the repository root):

    python3 data/fonts/charset.py            # rewrite data/fonts/charset.txt
    python3 data/fonts/charset.py --check    # exit 1 if the repository uses a character
                                             # that charset.txt does not list

Needs only the Python standard library. The rule:

  1. GB 2312: every two-byte code A1A1..F7FE, decoded with both the GB 2312 and the
     GB 18030 mapping (they differ on A1A4 -> U+30FB / U+00B7 and A1AA -> U+2015 / U+2014):
     the 6763 hanzi and the 682 symbols, Greek, Cyrillic, kana, pinyin, box drawing, plus
     the few symbols GB 18030 adds in the same rows (A6, A8, A9: vertical punctuation forms,
     more pinyin letters, box drawing); its private-use mappings are left out.
  2. ASCII printable U+0020..U+007E, Latin-1 U+00A0..U+00FF, pinyin letters with tone marks.
  3. Full-width forms U+FF01..U+FF5E and U+FFE0..U+FFE6, CJK punctuation U+3000..U+303F.
  4. The SYMBOLS listed below (typographic punctuation, maths, arrows, shapes, check marks,
     circled and Roman numerals, units).
  5. RARE_NAME_CHARS below: characters of personal names that legacy systems lack.
  6. Every non-ASCII character in the repository's text files: data/** (except data/fonts),
     docs/**/*.md, the top-level *.md, crates/**/*.rs, crates/**/templates/**,
     crates/**/*.html and crates/**/*.jinja (target/ folders excluded). This covers region
     names, templates, messages and the generator's name lists (crates/hedui-gen/src/names.rs).

Control characters, surrogates, private-use code points and variation selectors are never
listed. Characters the source font lacks are listed too; make-subset.sh reports them.
"""

import os
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent / "charset.txt"

PINYIN = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿĀÁǍÀĒÉĚÈĪÍǏÌŌÓǑÒŪÚǓÙǕǗǙǛÜ"

SYMBOLS = (
    # typographic punctuation and spaces
    "\u2002\u2003"
    "‐‑‒–—―‖‘’‚“”„†‡•‥…‰′″‹›※‼⁇⁈⁉"
    # currency, letter-like, units
    "€￥¥£¢℃℉№℡™®©Ω℮㎎㎏㎜㎝㎞㎡㏄㏎㏑㏒㏕"
    # maths
    "×÷±−∓∕∙√∞∝∟∠∣∥∧∨∩∪∫∮∴∵∶∷∼≈≌≒≠≡≤≥≦≧≮≯⊕⊙⊥⊿⌒"
    # arrows
    "←↑→↓↔↕↖↗↘↙⇐⇒⇔"
    # shapes, check marks
    "■□▪▫▬▲△▶▷►▼▽◀◁◄◆◇◈○◎●◐◑◯★☆☐☑☒☓✓✔✕✖✗✘"
    # numerals
    "〇①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳⑴⑵⑶⑷⑸⑹⑺⑻⑼⑽⑾⑿⒀⒁⒂⒃⒄⒅⒆⒇"
    "⒈⒉⒊⒋⒌⒍⒎⒏⒐⒑⒒⒓⒔⒕⒖⒗⒘⒙⒚⒛㈠㈡㈢㈣㈤㈥㈦㈧㈨㈩"
    "ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩⅪⅫⅰⅱⅲⅳⅴⅵⅶⅷⅸⅹ"
    "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻₀₁₂₃₄₅₆₇₈₉"
    # middle dots used as name separators (U+00B7 is the prescribed one) and look-alikes
    "·・•‧∙⋅"
)

# Characters commonly cited as missing from legacy (GB 2312-era) systems in personal names,
# plus common name characters; several are in GB 2312 already, which is harmless.
RARE_NAME_CHARS = (
    "䶮龑堃喆玥昇璟燚犇淼焱鑫垚昕晞翀彧奕槿霂沄滢珺琤婳祎禛禕赟燊𠇔𠮷"
    "旻昊晗晟暐曌炜烜焜煜熠燏玙玚玮珏珂珅珈珩珲琦琨琬琰琮琸瑄瑆瑛瑨瑷璇璐璘璠璨璞瓒瓅"
    "甦皛皞瞐祐祯禤秾筠箐綦翊翾脩芃芮苒莜菁萁蕤薏骞骎骐骕驎鹍钰铖镕锘锟铠锴镛锜隽霈霏"
    "靓韡颀颋飏馥骁鲲鸾黉弢恺悫憙戬旸昀昉昶晔暄暻曈曦杲杺枏栎桢梽棨楦槊樾橦歆毓沅泓洺"
    "浛浠淏淯渌湉溥滟澍澔濬灏炅炘烨焓煊燮爔玏玗玠珉珣琛瑀瑢瑱璁璋璩瓘甯畯睍竑纮缙罡翛"
    "翯胤舣芊苡荠莳菡萦蓁蓥蘅虓蘧衎谞贇赑逯遹郗钊钺铎铧镔镠闿阗陟霁韪頔颉飒骅鹓鼐龢"
    "堉垲埕埙崟崑嵘嫣婕婧婵媛嫚姞妤妍姝娅婼孖宬宸寯彤徕忻怿恪惇慜懋敩昳晁晫晳暎杪柘"
    "桉楷榕檠沣泷泫洹浔涓淇湜溱漪潆炀炯焯熹玹珝珞琇琅琚瑾璀璿瓀甄皙祉祚稹篪纡绮羿翕"
    "翥聃臻芸苓茉茵荀莘萸蓓蕙藜袆谌谧贲轶邰酃钏钤铄镌闵阚陉雯靳韫颢飚骊骋鹂鹄麒"
    "昇堃喆啬雩燧烺煦熳燿曜暘曚璎璜璠瑭瑒瑗琭琯琳琼珮珺琪珽瑃瑔瑝瑧瑫瑮璆璈璒璥"
)

SCANNED = [
    ("data", lambda p: "fonts" not in p.relative_to(ROOT / "data").parts[:1]),
    ("docs", lambda p: p.suffix == ".md"),
    ("crates", lambda p: p.suffix in (".rs", ".html", ".jinja") or "templates" in p.parts),
]


def scanned_files():
    files = sorted(p for p in ROOT.glob("*.md") if p.is_file())
    for top, keep in SCANNED:
        for dirpath, dirnames, filenames in os.walk(ROOT / top):
            dirnames[:] = sorted(d for d in dirnames if d != "target" and not d.startswith("."))
            for name in sorted(filenames):
                p = Path(dirpath) / name
                if keep(p):
                    files.append(p)
    return files


def listable(ch):
    cat = unicodedata.category(ch)
    if cat in ("Cc", "Cs", "Co", "Cn"):
        return False
    cp = ord(ch)
    return not (0xFE00 <= cp <= 0xFE0F or 0xE0100 <= cp <= 0xE01EF or cp == 0xFEFF)


def gb2312_chars():
    out = set()
    for lead in range(0xA1, 0xF8):
        for trail in range(0xA1, 0xFF):
            for codec in ("gb2312", "gb18030"):
                try:
                    out.add(bytes([lead, trail]).decode(codec))
                except UnicodeDecodeError:
                    pass
    return out


def repo_chars():
    """Non-ASCII characters of the scanned files, each with the first file it appears in."""
    found = {}
    for p in scanned_files():
        try:
            text = p.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        for ch in text:
            if ord(ch) > 0x7E and ch not in found:
                found[ch] = p.relative_to(ROOT).as_posix()
    return found


def charset():
    """code point -> tag saying why it is in the set (the first rule that adds it)."""
    tags = {}

    def add(chars, tag):
        for ch in chars:
            if listable(ch):
                tags.setdefault(ord(ch), tag)

    add((chr(c) for c in range(0x20, 0x7F)), "ascii")
    add(gb2312_chars(), "gb2312")
    add((chr(c) for c in range(0xA0, 0x100)), "latin1")
    add(PINYIN, "pinyin")
    add((chr(c) for c in range(0xFF01, 0xFF5F)), "fullwidth")
    add((chr(c) for c in range(0xFFE0, 0xFFE7)), "fullwidth")
    add((chr(c) for c in range(0x3000, 0x3040)), "cjk-punct")
    add(SYMBOLS, "symbol")
    add(RARE_NAME_CHARS, "rare-name")
    for ch, path in repo_chars().items():
        add(ch, "repo:" + path)
    return tags


def write(tags):
    lines = [
        "# Characters of the CJK font subset: one code point a line, with the reason it is in.",
        "# Generated by data/fonts/charset.py; do not edit by hand. Read by pyftsubset --unicodes-file.",
    ]
    for cp in sorted(tags):
        lines.append(f"U+{cp:04X}  # {chr(cp)} {tags[cp]}")
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")


def read_listed():
    listed = set()
    for line in OUT.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            listed.add(int(line[2:], 16))
    return listed


def main(argv):
    if argv[1:] == ["--check"]:
        listed = read_listed()
        missing = {ch: p for ch, p in repo_chars().items() if listable(ch) and ord(ch) not in listed}
        for ch, path in sorted(missing.items()):
            print(f"U+{ord(ch):04X} {ch} ({path}) is not in data/fonts/charset.txt")
        if missing:
            print("run data/fonts/make-subset.sh to add them to the font subset")
            return 1
        print(f"data/fonts/charset.txt ({len(listed)} code points) lists every character in use")
        return 0
    if argv[1:]:
        print(__doc__)
        return 2
    tags = charset()
    write(tags)
    print(f"{OUT.relative_to(ROOT)}: {len(tags)} code points")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
