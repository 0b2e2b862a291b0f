"""A checkpoint's printable A4 poster: its name, its place, a big QR code opening the public
self-registration form, a short instruction and the checkpoint code in text.

Two renderings of one layout: a PDF (WeasyPrint, for the printer) and a PNG (Pillow, to send in
a WeChat group or print from a phone). Both use Debian's fonts-noto-cjk and fetch nothing from
the network: the QR code is drawn here from segno's matrix or embedded as a data URI.
"""

import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from fangyi.checkpoints.models import Checkpoint

FONT_DIR = Path("/usr/share/fonts/opentype/noto")
FONT_FAMILY = "Noto Sans CJK SC"

# The PNG: A4 at 150 dpi.
PNG_SIZE = (1240, 1754)
PNG_MARGIN = 90
QR_TARGET_PX = 780  # the QR code's width, quiet zone included
QR_BORDER = 4  # modules of quiet zone, as the standard asks


class PosterError(RuntimeError):
    """The poster cannot be drawn on this machine (the CJK font is missing)."""


@dataclass(frozen=True)
class PosterText:
    """Every line the poster shows, in the language posters are printed in."""

    title: str
    place: str
    kind: str
    instruction: str
    code_line: str
    url: str


def poster_text(checkpoint: Checkpoint, url: str) -> PosterText:
    # A poster is a public notice for travellers: printed in the site's language (Chinese),
    # whatever language the cadre printing it reads the pages in.
    with translation.override(settings.LANGUAGE_CODE):
        return PosterText(
            title=checkpoint.name,
            place=place_name(checkpoint),
            kind=str(checkpoint.get_kind_display()),
            instruction=_(
                "Scan the code to register, then show your registration code to the staff on duty"
            ),
            code_line=_("Checkpoint code: %(code)s") % {"code": checkpoint.code},
            url=url,
        )


def place_name(checkpoint: Checkpoint) -> str:
    """ "青山镇 东村" for a village's checkpoint, "青山镇" for a town's."""
    jurisdiction = checkpoint.jurisdiction
    parent = jurisdiction.parent if len(jurisdiction.code) == 12 else None
    return f"{parent.name} {jurisdiction.name}" if parent else jurisdiction.name


def qr_code(url: str) -> segno.QRCode:
    # Level M survives a poster that is creased, rained on or half in shadow.
    return segno.make_qr(url, error="m", boost_error=False)


# PDF ------------------------------------------------------------------------------------------


def poster_pdf(checkpoint: Checkpoint, url: str) -> bytes:
    """The A4 poster as a PDF. `url`: the absolute address of the self-registration form."""
    # Imported here: loading WeasyPrint takes a while and only posters need it.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    text = poster_text(checkpoint, url)
    qr = qr_code(url)
    html = render_to_string(
        "checkpoints/poster.html",
        {
            "text": text,
            "font_family": FONT_FAMILY,
            "qr_data_uri": qr.svg_data_uri(scale=10, border=QR_BORDER, omitsize=True),
        },
    )
    # The poster needs nothing but its data: URI; no other address is ever fetched.
    fetcher = URLFetcher(allowed_protocols={"data"})
    return HTML(string=html, url_fetcher=fetcher).write_pdf()


# PNG ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QrPlacement:
    """Where the PNG's QR code sits: its top-left corner (quiet zone included) and the size in
    pixels of one module. Tests read the modules back from these."""

    left: int
    top: int
    module_px: int
    modules: int  # per side, quiet zone included


def qr_placement(url: str, top: int) -> QrPlacement:
    qr = qr_code(url)
    modules = qr.symbol_size(scale=1, border=QR_BORDER)[0]
    module_px = QR_TARGET_PX // modules
    left = (PNG_SIZE[0] - module_px * modules) // 2
    return QrPlacement(left=left, top=top, module_px=module_px, modules=modules)


BAND_HEIGHT = 300
QR_TOP = 460  # below the title band and the place line


def poster_png(checkpoint: Checkpoint, url: str) -> bytes:
    """The same poster as a PNG (A4 at 150 dpi)."""
    from PIL import Image, ImageDraw

    text = poster_text(checkpoint, url)
    image = Image.new("RGB", PNG_SIZE, "white")
    draw = ImageDraw.Draw(image)
    width = PNG_SIZE[0]
    inner = width - 2 * PNG_MARGIN
    red, ink = (183, 28, 28), (29, 35, 41)

    # Title band: the checkpoint's name, as large as fits in the band on one or two lines.
    draw.rectangle([0, 0, width, BAND_HEIGHT], fill=red)
    title_font, title_lines = _title_lines(text.title, inner)
    title_height = _line_height(title_font) * len(title_lines)
    _draw_lines(draw, title_lines, title_font, (BAND_HEIGHT - title_height) // 2, "white")
    place_font = _font(False, 50)
    _draw_lines(draw, [f"{text.place} · {text.kind}"], place_font, BAND_HEIGHT + 50, ink)

    placement = qr_placement(url, QR_TOP)
    matrix = qr_code(url).matrix
    px = placement.module_px
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                left = placement.left + (x + QR_BORDER) * px
                top = placement.top + (y + QR_BORDER) * px
                draw.rectangle([left, top, left + px - 1, top + px - 1], fill="black")
    side = placement.modules * px
    draw.rectangle(
        [
            placement.left - 4,
            placement.top - 4,
            placement.left + side + 3,
            placement.top + side + 3,
        ],
        outline=red,
        width=4,
    )

    instruction_font = _fit(
        text.instruction, bold=True, start=56, smallest=36, width=inner, lines=2
    )
    lines = _wrap(text.instruction, instruction_font, inner)
    below = _draw_lines(draw, lines, instruction_font, placement.top + side + 50, ink)
    _draw_lines(draw, [text.code_line], _font(True, 64), below + 30, red)
    url_font = _font(False, 26)
    _draw_lines(draw, _wrap(text.url, url_font, inner), url_font, PNG_SIZE[1] - 80, "gray")

    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _line_height(font) -> int:
    return int(font.size * 1.35)


def _draw_lines(draw, lines: list[str], font, top: int, fill) -> int:
    """Draw `lines` centred horizontally from `top` down; return the y below the last one."""
    height = _line_height(font)
    for line in lines:
        draw.text((PNG_SIZE[0] // 2, top + height // 2), line, font=font, fill=fill, anchor="mm")
        top += height
    return top


def _wrap(text: str, font, width: int) -> list[str]:
    """Break `text` to lines no wider than `width`: between any two characters (Chinese has no
    spaces), preferring a break after a space or a comma when there is one."""
    lines, line = [], ""
    for char in text:
        if font.getlength(line + char) <= width or not line:
            line += char
            continue
        cut = max(line.rfind(" "), line.rfind("，"), line.rfind(","))
        if cut > len(line) // 2:
            lines.append(line[: cut + 1].strip())
            line = line[cut + 1 :].lstrip() + char
        else:
            lines.append(line)
            line = char
    if line:
        lines.append(line)
    return lines


def _title_lines(title: str, width: int) -> tuple:
    for size in range(120, 47, -6):
        font = _font(True, size)
        lines = _wrap(title, font, width)
        if len(lines) * _line_height(font) <= BAND_HEIGHT - 40:
            break
    return font, lines[:2]


def _fit(text: str, *, bold: bool, start: int, smallest: int, width: int, lines: int):
    size = start
    while size > smallest and len(_wrap(text, _font(bold, size), width)) > lines:
        size -= 6
    return _font(bold, size)


@cache
def _font(bold: bool, size: int):
    from PIL import ImageFont

    path, index = _font_face(bold)
    return ImageFont.truetype(str(path), size=size, index=index)


@cache
def _font_face(bold: bool) -> tuple[Path, int]:
    """The face index of Noto Sans CJK SC in Debian's collection (.ttc holds JP, KR, SC, TC...)."""
    from PIL import ImageFont

    path = FONT_DIR / ("NotoSansCJK-Bold.ttc" if bold else "NotoSansCJK-Regular.ttc")
    if not path.exists():
        raise PosterError(f"{path} is missing: install Debian's fonts-noto-cjk")
    for index in range(16):
        try:
            family, _style = ImageFont.truetype(str(path), size=12, index=index).getname()
        except OSError:
            break
        if family == FONT_FAMILY:
            return path, index
    raise PosterError(f"{path} holds no {FONT_FAMILY} face")
