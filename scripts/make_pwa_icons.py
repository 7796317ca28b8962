"""Draw the installed app's icons (ent/static/ent/pwa/icon-*.png) from the
favicon's design: white "ENT" on the brand blue. Run once after a change:
    .venv/bin/python scripts/make_pwa_icons.py
"""

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "ent" / "static" / "ent" / "pwa"
FONT = ROOT / "ent" / "fonts" / "DejaVuSans-Bold.ttf"
BRAND = (0x1D, 0x4E, 0x89)


def icon(size: int, *, maskable: bool) -> Image.Image:
    img = Image.new("RGB", (size, size), BRAND)
    draw = ImageDraw.Draw(img)
    # A maskable icon keeps its drawing inside the central 80 % safe zone.
    font = ImageFont.truetype(str(FONT), int(size * (0.26 if maskable else 0.34)))
    draw.text((size / 2, size / 2), "ENT", font=font, fill="white", anchor="mm")
    return img


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        icon(size, maskable=False).save(OUT / f"icon-{size}.png", optimize=True)
    icon(512, maskable=True).save(OUT / "icon-maskable-512.png", optimize=True)


if __name__ == "__main__":
    main()
