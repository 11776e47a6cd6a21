"""Reading a PDF back: its text as poppler extracts it, its bookmarks, and what its embedded
fonts cannot draw."""

import io
import re
import subprocess

from fontTools.ttLib import TTFont
from pypdf import PdfReader

FONT_NAME = "PERER-DejaVu-Sans"


def squeeze(text):
    """Text without any whitespace: line wraps (and wraps after a hyphen) do not matter."""
    return re.sub(r"\s+", "", text or "")


def normalize(text):
    return " ".join((text or "").split())


def pdf_text(data):
    """The text of the PDF as poppler extracts it (what a reader copies or a search indexes)."""
    result = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True, check=True
    )
    return result.stdout.decode()


def outline(data):
    """The bookmarks as (level, title) in document order."""
    reader = PdfReader(io.BytesIO(data))
    found = []

    def walk(items, level):
        for item in items:
            if isinstance(item, list):
                walk(item, level + 1)
            else:
                found.append((level, normalize(item.title)))

    walk(reader.outline, 1)
    return found


def missing_in_order(text, expected):
    """The expected texts not found in `text` after the previous one (empty when all are)."""
    haystack = squeeze(text)
    position, missing = 0, []
    for item in expected:
        found = haystack.find(squeeze(item), position)
        if found < 0:
            missing.append(item)
        else:
            position = found + len(squeeze(item))
    return missing


def _parse_cmap_pairs(data, section, pattern):
    text = data.decode("latin-1")
    for block in re.findall(rf"begin{section}(.*?)end{section}", text, re.S):
        yield from re.findall(pattern, block)


def _hex_pairs(data, section):
    return _parse_cmap_pairs(data, section, r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]*)>")


def to_unicode(stream):
    """code → text of a ToUnicode CMap."""
    data = stream.get_data()
    mapping = {
        int(src, 16): bytes.fromhex(dst).decode("utf-16-be")
        for src, dst in _hex_pairs(data, "bfchar")
    }
    for lo, hi, dst in _parse_cmap_pairs(
        data, "bfrange", r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>"
    ):
        for offset, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
            mapping[code] = chr(int(dst, 16) + offset)
    return mapping


def code_to_glyph(font):
    """code → glyph id: Identity-H, or the custom CMap WeasyPrint writes when it falls back on
    .notdef (code → CID 0). CIDToGIDMap is Identity in both cases."""
    encoding = font["/Encoding"]
    if encoding == "/Identity-H":
        return lambda code: code
    data = encoding.get_object().get_data()
    cids = {
        int(code, 16): int(cid)
        for code, cid in _parse_cmap_pairs(data, "cidchar", r"<([0-9a-fA-F]+)>\s*(\d+)")
    }
    return lambda code: cids.get(code, code)


def font_problems(data):
    """What an embedded font cannot draw: glyphs that are .notdef (an empty box on paper, though
    pdftotext still prints the character) or that are not the font's glyph for the character,
    and fonts other than the shipped DejaVu."""
    reader = PdfReader(io.BytesIO(data))
    problems, seen, checked = [], set(), 0
    for page in reader.pages:
        for ref in page["/Resources"].get("/Font", {}).values():
            font = ref.get_object()
            if ref.idnum in seen:
                continue
            seen.add(ref.idnum)
            name = str(font["/BaseFont"])
            if FONT_NAME not in name:
                problems.append(f"police non fournie par l'application : {name}")
                continue
            descendant = font["/DescendantFonts"][0].get_object()
            program = descendant["/FontDescriptor"]["/FontFile2"].get_data()
            ttfont = TTFont(io.BytesIO(program))
            cmap = ttfont.getBestCmap()
            glyph_of = code_to_glyph(font)
            for code, chars in to_unicode(font["/ToUnicode"]).items():
                glyph = glyph_of(code)
                checked += 1
                if glyph == 0:
                    problems.append(f"{name}: {chars!r} dessiné par .notdef")
                elif any(ord(c) not in cmap for c in chars if not c.isspace()):
                    problems.append(f"{name}: {chars!r} absent de la police")
                elif len(chars) == 1 and ttfont.getGlyphID(cmap[ord(chars)]) != glyph:
                    problems.append(f"{name}: {chars!r} dessiné par un autre glyphe")
    if not checked:
        problems.append("aucun glyphe vérifié")
    return problems
