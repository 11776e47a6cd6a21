"""The PDFs use the fonts the project ships and no other (commitments/rendering/fonts.py).

A font installed on the machine that has a glyph DejaVu lacks (here a tiny font drawing 中, made
for the test and installed for the user, where fontconfig's default configuration finds it) would
be Pango's fallback for that glyph. With the project's fontconfig configuration it is invisible:
the PDF embeds the shipped DejaVu only, draws the glyph as .notdef (which the font check reports)
and is byte for byte the PDF rendered by the test process, on the machine as it is.

fontconfig is set up once per process and the test process has its own HOME, so the renders that
see the extra font run in subprocesses whose HOME (user fonts, caches) is a temporary directory.
"""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from pypdf import PdfReader

from tests.support.pdf import font_problems

ROOT = Path(settings.BASE_DIR)
CHAR = "中"  # a CJK ideograph: DejaVu Sans has none
EXTRA_FAMILY = "Fallback Test CJK"

# Renders through commitments.rendering.pdf.render_pdf (its WeasyPrint call, base URL, URL
# fetcher and fonts), with a small HTML document instead of a protocol read from the database.
RENDER = """
import os, sys
import django

django.setup()
from commitments.rendering import pdf

if sys.argv[1] == "default-configuration":
    os.environ.pop("FONTCONFIG_FILE", None)  # the control: the machine's configuration
html = sys.stdin.read()
pdf.document_context = lambda document: {}
pdf.render_to_string = lambda template, context: html
sys.stdout.buffer.write(pdf.render_pdf(pdf.ProtocolPdf(None, False, (), ())))
"""


def document():
    css = (ROOT / "templates" / "pdf" / "protocol.css").read_text()
    return (
        f'<!doctype html><html lang="fr"><head><meta charset="utf-8">'
        f"<title>Corbeil-Essonnes {CHAR}</title><style>{css}</style></head><body>"
        f"<h1>Corbeil-Essonnes {CHAR}</h1>"
        f"<p>Protocole d'Engagements « Renforcés » et Réciproques {CHAR} œuvre</p>"
        f"</body></html>"
    )


def build_font(path):
    """A TrueType font whose only drawn glyph is CHAR."""
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    def box():
        pen = TTGlyphPen(None)
        pen.moveTo((100, 0))
        pen.lineTo((100, 700))
        pen.lineTo((900, 700))
        pen.lineTo((900, 0))
        pen.closePath()
        return pen.glyph()

    order = [".notdef", "space", "uni4E2D"]
    builder = FontBuilder(1000, isTTF=True)
    builder.setupGlyphOrder(order)
    builder.setupCharacterMap({0x20: "space", ord(CHAR): "uni4E2D"})
    builder.setupGlyf({".notdef": box(), "space": TTGlyphPen(None).glyph(), "uni4E2D": box()})
    builder.setupHorizontalMetrics(dict.fromkeys(order, (1000, 0)))
    builder.setupHorizontalHeader(ascent=800, descent=-200)
    builder.setupNameTable({"familyName": EXTRA_FAMILY, "styleName": "Regular"})
    builder.setupOS2(sTypoAscender=800, sTypoDescender=-200, usWinAscent=800, usWinDescent=200)
    builder.setupPost()
    path.parent.mkdir(parents=True)
    builder.save(str(path))


def home(path, *, extra_font):
    """The environment of a user whose home is `path`, with or without the extra font."""
    env = dict(os.environ)
    env.update(
        HOME=str(path),
        XDG_DATA_HOME=str(path / "share"),
        XDG_CACHE_HOME=str(path / "cache"),
        XDG_CONFIG_HOME=str(path / "config"),
        DJANGO_SETTINGS_MODULE="perer.settings",
    )
    path.mkdir()
    if extra_font:
        build_font(path / "share" / "fonts" / "fallback-test-cjk.ttf")
    return env


def render_here(html):
    """The same render in this process, on this machine as it is (its fonts, its HOME)."""
    from commitments.rendering import pdf

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pdf, "document_context", lambda document: {})
        patch.setattr(pdf, "render_to_string", lambda template, context: html)
        return pdf.render_pdf(pdf.ProtocolPdf(None, False, (), ()))


def render_all(jobs):
    """{name: PDF bytes} of the subprocess renders (name, configuration, env), run side by
    side, and of the "reference" render of this process."""
    html = document()
    running = {
        name: subprocess.Popen(
            [sys.executable, "-c", RENDER, configuration],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for name, configuration, env in jobs
    }
    results = {"reference": render_here(html)}
    for name, process in running.items():
        out, err = process.communicate(html.encode(), timeout=120)
        assert process.returncode == 0, f"{name}: {err.decode()}"
        results[name] = out
    return results


def embedded_fonts(data):
    reader = PdfReader(io.BytesIO(data))
    return {
        str(ref.get_object()["/BaseFont"]).split("+")[-1]
        for page in reader.pages
        for ref in page["/Resources"].get("/Font", {}).values()
    }


@pytest.fixture(scope="module")
def renders(tmp_path_factory):
    with_font = home(tmp_path_factory.mktemp("homes") / "with-font", extra_font=True)
    return render_all(
        [
            ("control", "default-configuration", with_font),
            ("with extra font", "project-configuration", with_font),
        ]
    )


def test_control_the_machines_configuration_would_use_the_extra_font(renders):
    """Without the project's configuration, Pango takes CHAR from the extra font: this is the
    situation the configuration prevents, so the other test can fail."""
    control = renders["control"]
    assert any("Fallback-Test-CJK" in name for name in embedded_fonts(control))
    assert any("police non fournie" in problem for problem in font_problems(control))
    assert control != renders["reference"]


def test_only_the_shipped_fonts_whatever_the_machine_has(renders):
    data = renders["with extra font"]
    fonts = embedded_fonts(data)
    assert fonts, "aucune police embarquée"
    assert all(name.startswith("PERER-DejaVu-Sans") for name in fonts), fonts
    # The glyph DejaVu lacks is an empty box on paper, and the font check says so.
    assert any(".notdef" in problem for problem in font_problems(data))
    assert data == renders["reference"]
