"""The Unicode font every PDF of the ENT embeds: DejaVu Sans (Bitstream Vera
licence, see LICENSE-DejaVu.txt), shipped in the repository so `make run` (a venv,
no system packages) and the Docker image have the same files.

reportlab's built-in Helvetica knows only Latin-1 (WinAnsi): "Łukasz Ştefan
Nguyễn Çağrı" would print as black boxes. A TrueType font is embedded (subset to
the glyphs used) and covers Latin Extended, Vietnamese, Greek and Cyrillic.
"""

from functools import cache
from pathlib import Path

FONTS_DIR = Path(__file__).resolve().parent

REGULAR = "DejaVuSans"
BOLD = "DejaVuSans-Bold"
ITALIC = "DejaVuSans-Oblique"
MONO_BOLD = "DejaVuSansMono-Bold"


@cache
def register() -> str:
    """Register the fonts with reportlab (once per process) and return the family
    name, usable as `fontName` in styles and with <b>/<i> in Paragraph markup."""
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    for name in (REGULAR, BOLD, ITALIC, MONO_BOLD):
        pdfmetrics.registerFont(TTFont(name, str(FONTS_DIR / f"{name}.ttf")))
    # No bold oblique shipped: bold italic text prints bold.
    for bold, italic, name in ((0, 0, REGULAR), (1, 0, BOLD), (0, 1, ITALIC), (1, 1, BOLD)):
        addMapping(REGULAR, bold, italic, name)
    return REGULAR


def styles():
    """reportlab's sample style sheet, every style in DejaVu Sans."""
    from reportlab.lib.styles import getSampleStyleSheet

    register()
    sheet = getSampleStyleSheet()
    for style in sheet.byName.values():
        name = getattr(style, "fontName", "")
        if "Bold" in name:  # bold italic too: no bold oblique shipped
            style.fontName = BOLD
        elif "Italic" in name or "Oblique" in name:
            style.fontName = ITALIC
        elif name:
            style.fontName = REGULAR
    return sheet
