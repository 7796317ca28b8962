"""QR codes shown on the fleet pages (the repository's address, a tablet's setup link)."""

import io

import qrcode
import qrcode.image.svg


def qr_svg(text: str) -> str:
    """The QR code of `text` as inline SVG markup."""
    img = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    out = io.BytesIO()
    img.save(out)
    svg = out.getvalue().decode()
    # Inline in the page: drop the XML declaration, meaningless inside HTML.
    return svg[svg.index("<svg") :]
