"""The fonts of the PDFs: only the ones the project ships, whatever the machine has installed.

Invariant: WeasyPrint (Pango, through fontconfig) can find no font but the DejaVu files of
static/fonts/dejavu/ (the @font-face fonts of templates/pdf/protocol.css are the same files).
A character those fonts lack is therefore drawn as .notdef, which the font test reports, instead
of being taken silently from whatever fallback font the machine happens to have (a CJK font,
say); and a given protocol state gives the same PDF bytes on every machine.

How: fontconfig reads the configuration named by FONTCONFIG_FILE, here fonts.conf next to this
module, which lists that one directory, has its own cache directory and includes nothing of
/etc/fonts. fontconfig reads the variable each time a configuration is loaded, and WeasyPrint
loads one per render (FcInitLoadConfigAndFonts in FontConfiguration, plus one check when it is
first imported), so the variable must be set before the first WeasyPrint import and stay set:
pdf.py calls `use_project_fonts()` when it is imported. It is process-wide, so the processes
started afterwards inherit it (their fontconfig sees the shipped DejaVu only).
"""

import os
from pathlib import Path

CONFIG_FILE = Path(__file__).resolve().with_name("fonts.conf")


def use_project_fonts():
    """Make fontconfig, hence WeasyPrint, load the project's configuration from now on."""
    os.environ["FONTCONFIG_FILE"] = str(CONFIG_FILE)
