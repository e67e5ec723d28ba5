"""Product shots for the demo, drawn with Pillow at seed time: a shaped object (tea tin, tea
cake, honey jar, rice sack, pouch of dried goods, T-shirt, hoodie, jeans, socks) with side
lighting, a soft shadow and a studio background; several per product, and one per colour of
clothing (each colour's SKUs show their own).

Everything is drawn from a few polygons and ellipses at 480 px and saved as JPEG, so the
whole demo's pictures take well under a second or two to make.
"""

from __future__ import annotations

import io
import math
import zlib
from collections.abc import Callable
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

SIZE = 480
Colour = tuple[int, int, int]
Shape = Callable[[ImageDraw.ImageDraw, float], None]

COLOURS: dict[str, Colour] = {
    "白色": (236, 236, 232),
    "黑色": (44, 44, 48),
    "深蓝": (38, 58, 98),
    "浅蓝": (140, 175, 212),
    "复古蓝": (82, 112, 152),
    "烟灰": (122, 122, 128),
    "雾蓝": (132, 152, 178),
    "奶白": (240, 233, 218),
    "燕麦色": (212, 196, 170),
    "炭灰": (72, 74, 78),
    "藏青": (32, 42, 72),
    "浅灰": (192, 192, 194),
    "酒红": (122, 34, 48),
    "米白": (236, 229, 212),
    "咖啡": (112, 78, 58),
    "墨绿": (42, 72, 58),
    "灰色": (142, 142, 144),
    "卡其": (192, 166, 122),
    "肤色": (230, 196, 170),
}
BACKGROUNDS: list[tuple[Colour, Colour]] = [
    ((250, 246, 238), (232, 222, 204)),
    ((240, 246, 248), (214, 226, 232)),
    ((246, 242, 248), (226, 220, 232)),
    ((244, 248, 240), (222, 232, 214)),
]
FONT_FILES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)


@cache
def _font(size: int) -> ImageFont.FreeTypeFont | None:
    """A CJK font for the label, if the machine has one; without it labels carry no text."""
    for path in FONT_FILES:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return None


def _scaled(colour: Colour, factor: float) -> Colour:
    return tuple(max(0, min(255, int(c * factor))) for c in colour)  # type: ignore[return-value]


def _background(top: Colour, bottom: Colour) -> Image.Image:
    gradient = Image.linear_gradient("L").resize((SIZE, SIZE))
    return Image.composite(
        Image.new("RGB", (SIZE, SIZE), bottom), Image.new("RGB", (SIZE, SIZE), top), gradient
    )


@cache
def _side_light() -> Image.Image:
    """Light from the upper left: bright a third of the way across, darker at the edges."""
    row = bytes(
        int(255 * max(0.0, math.cos((x / SIZE - 0.36) * math.pi * 0.95))) for x in range(SIZE)
    )
    return Image.frombytes("L", (SIZE, 1), row).resize((SIZE, SIZE))


def _shaded(colour: Colour) -> Image.Image:
    lit = Image.new("RGB", (SIZE, SIZE), _scaled(colour, 1.18) if sum(colour) < 600 else colour)
    dark = Image.new("RGB", (SIZE, SIZE), _scaled(colour, 0.62))
    return Image.composite(lit, dark, _side_light())


def _shadow(canvas: Image.Image, box: tuple[float, float, float, float]) -> None:
    mask = Image.new("L", (SIZE, SIZE), 0)
    ImageDraw.Draw(mask).ellipse(box, fill=110)
    mask = mask.filter(ImageFilter.GaussianBlur(14))
    canvas.paste((60, 50, 40), (0, 0), mask)


def _label(
    canvas: Image.Image, box: tuple[float, float, float, float], text: str, ink: Colour
) -> None:
    draw = ImageDraw.Draw(canvas)
    draw.rounded_rectangle(box, radius=8, fill=(246, 240, 226), outline=_scaled(ink, 0.9), width=3)
    left, top, right, bottom = box
    font = _font(max(14, int((bottom - top) * 0.36)))
    if font is not None and text:
        draw.text(
            ((left + right) / 2, (top + bottom) / 2 - 4), text, font=font, fill=ink, anchor="mm"
        )
    draw.line((left + 14, bottom - 14, right - 14, bottom - 14), fill=_scaled(ink, 1.1), width=3)


def _object(canvas: Image.Image, colour: Colour, shape: Shape, scale: float) -> None:
    mask = Image.new("L", (SIZE, SIZE), 0)
    shape(ImageDraw.Draw(mask), scale)
    canvas.paste(_shaded(colour), (0, 0), mask)


def _at(scale: float, *points: float) -> list[float]:
    """Coordinates drawn for a 480 px canvas, scaled about its centre."""
    return [SIZE / 2 + (p - SIZE / 2) * scale for p in points]


# The shapes, on a mask: 255 inside the object.


def _tin(draw: ImageDraw.ImageDraw, s: float) -> None:
    draw.rounded_rectangle(_at(s, 150, 150, 330, 400), radius=int(18 * s), fill=255)
    draw.rounded_rectangle(_at(s, 140, 118, 340, 172), radius=int(10 * s), fill=255)


def _cake(draw: ImageDraw.ImageDraw, s: float) -> None:
    draw.ellipse(_at(s, 80, 170, 400, 350), fill=255)


def _jar(draw: ImageDraw.ImageDraw, s: float) -> None:
    draw.rounded_rectangle(_at(s, 140, 150, 340, 402), radius=int(56 * s), fill=255)
    draw.rectangle(_at(s, 178, 132, 302, 160), fill=255)


def _sack(draw: ImageDraw.ImageDraw, s: float) -> None:
    draw.polygon(_at(s, 190, 110, 290, 110, 350, 190, 362, 400, 118, 400, 130, 190), fill=255)
    draw.rounded_rectangle(_at(s, 118, 180, 362, 410), radius=int(40 * s), fill=255)


def _pouch(draw: ImageDraw.ImageDraw, s: float) -> None:
    draw.polygon(_at(s, 150, 110, 330, 110, 350, 408, 130, 408), fill=255)


# The right halves of garments, (x, y) on the 480 px canvas from the collar to the hem.
TSHIRT = [(290, 100), (380, 140), (420, 225), (360, 250), (345, 215), (345, 400)]
HOODIE = [(295, 110), (380, 145), (430, 385), (385, 395), (350, 230), (350, 410)]


def _mirrored(half: list[tuple[int, int]]) -> list[float]:
    """A garment symmetric about the canvas's middle, from its right half (top to hem)."""
    left = [(SIZE - x, y) for x, y in reversed(half)]
    return [c for point in half + left for c in point]


def _tshirt(draw: ImageDraw.ImageDraw, s: float) -> None:
    draw.polygon(_at(s, *_mirrored(TSHIRT)), fill=255)


def _hoodie(draw: ImageDraw.ImageDraw, s: float) -> None:
    draw.ellipse(_at(s, 180, 60, 300, 170), fill=255)
    draw.polygon(_at(s, *_mirrored(HOODIE)), fill=255)


def _jeans(draw: ImageDraw.ImageDraw, s: float) -> None:
    draw.polygon(
        _at(s, 150, 80, 330, 80, 350, 420, 262, 420, 240, 190, 218, 420, 130, 420), fill=255
    )


def _socks(draw: ImageDraw.ImageDraw, s: float) -> None:
    for dx in (-60, 50):
        draw.rounded_rectangle(_at(s, 170 + dx, 90, 250 + dx, 320), radius=int(20 * s), fill=255)
        draw.rounded_rectangle(_at(s, 170 + dx, 262, 330 + dx, 340), radius=int(38 * s), fill=255)


def _details(canvas: Image.Image, kind: str, colour: Colour, s: float, text: str) -> None:
    """What a real product has on top of its silhouette: labels, seams, lids, a hood."""
    draw = ImageDraw.Draw(canvas)
    seam = _scaled(colour, 0.8) if sum(colour) > 300 else _scaled(colour, 1.6)
    if kind == "tin":
        draw.rectangle(_at(s, 140, 166, 340, 174), fill=_scaled(colour, 0.5))
        _label(canvas, _at(s, 168, 220, 312, 330), text, _scaled(colour, 0.55))
    elif kind == "cake":
        for dy in (-40, 0, 40):
            draw.arc(_at(s, 110, 200 + dy, 370, 320 + dy), 200, 340, fill=seam, width=2)
        draw.ellipse(_at(s, 205, 225, 275, 295), outline=(170, 40, 40), width=5)
        _label(canvas, _at(s, 180, 300, 300, 340), text, (150, 40, 40))
    elif kind == "jar":
        draw.rounded_rectangle(_at(s, 170, 112, 310, 156), radius=int(8 * s), fill=(196, 150, 60))
        draw.rounded_rectangle(
            _at(s, 165, 180, 185, 370), radius=int(8 * s), fill=_scaled(colour, 1.35)
        )
        _label(canvas, _at(s, 190, 230, 320, 320), text, (120, 80, 20))
    elif kind == "sack":
        draw.ellipse(_at(s, 205, 96, 275, 128), fill=_scaled(colour, 0.7))
        _label(canvas, _at(s, 160, 240, 320, 340), text, (90, 110, 60))
    elif kind == "pouch":
        draw.rectangle(_at(s, 150, 110, 330, 140), fill=_scaled(colour, 0.75))
        draw.rounded_rectangle(_at(s, 190, 260, 290, 360), radius=int(14 * s), fill=(70, 50, 40))
        for x, y in ((210, 285), (245, 300), (265, 330), (225, 335)):
            draw.ellipse(_at(s, x, y, x + 22, y + 18), fill=(140, 105, 75))
        _label(canvas, _at(s, 178, 170, 302, 240), text, (110, 80, 50))
    elif kind in ("tshirt", "hoodie"):
        draw.arc(_at(s, 200, 80, 280, 140), 20, 160, fill=seam, width=4)
        draw.line(
            _at(s, 135, 390, 345, 390) if kind == "tshirt" else _at(s, 130, 392, 350, 392),
            fill=seam,
            width=3,
        )
        if kind == "hoodie":
            draw.rounded_rectangle(
                _at(s, 175, 290, 305, 370), radius=int(16 * s), outline=seam, width=3
            )
            draw.line(_at(s, 225, 150, 222, 220), fill=seam, width=3)
            draw.line(_at(s, 255, 150, 258, 220), fill=seam, width=3)
    elif kind == "jeans":
        draw.line(_at(s, 150, 112, 330, 112), fill=seam, width=3)
        draw.line(_at(s, 240, 112, 240, 190), fill=seam, width=3)
        draw.arc(_at(s, 160, 90, 220, 160), 0, 90, fill=(200, 160, 70), width=3)
        draw.arc(_at(s, 260, 90, 320, 160), 90, 180, fill=(200, 160, 70), width=3)
    elif kind == "socks":
        for dx in (-60, 50):
            draw.rectangle(_at(s, 170 + dx, 90, 250 + dx, 120), fill=seam)


SHAPES: dict[str, Shape] = {
    "tin": _tin,
    "cake": _cake,
    "jar": _jar,
    "sack": _sack,
    "pouch": _pouch,
    "tshirt": _tshirt,
    "hoodie": _hoodie,
    "jeans": _jeans,
    "socks": _socks,
}


def kind_of(title: str, category: str) -> str:
    """Which object a product's picture shows, from its category and title."""
    if category == "茶叶":
        return "cake" if "饼" in title else "tin"
    if category == "蜂蜜":
        return "jar"
    if category == "米面杂粮":
        return "sack"
    if category == "卫衣":
        return "hoodie"
    if category == "牛仔裤":
        return "jeans"
    if category == "袜子" or "袜" in title:
        return "socks"
    if category == "T恤":
        return "tshirt"
    return "pouch"


def _base_colour(kind: str, title: str) -> Colour:
    """Food packaging in its usual colours, varied per product so no two look alike."""
    tint = zlib.crc32(title.encode()) % 5 - 2
    palette: dict[str, Colour] = {
        "tin": (52 + 14 * tint, 112 - 6 * tint, 78),
        "cake": (226, 214, 188),
        "jar": (214 + 6 * tint, 142 + 10 * tint, 40),
        "sack": (222, 206, 170 + 8 * tint),
        "pouch": (176 + 8 * tint, 136, 92),
    }
    return palette.get(kind, (150, 150, 150))


def shot(
    kind: str, colour: Colour, *, text: str = "", background: int = 0, scale: float = 1.0
) -> Image.Image:
    """One picture: the object lit from the left on a studio background, with its shadow."""
    canvas = _background(*BACKGROUNDS[background % len(BACKGROUNDS)])
    _shadow(canvas, _at(scale, 110, 395, 370, 440))
    _object(canvas, colour, SHAPES[kind], scale)
    _details(canvas, kind, colour, scale, text)
    return canvas


def jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=84, optimize=False)
    return out.getvalue()


def _close_up(image: Image.Image) -> Image.Image:
    return image.crop((90, 90, 390, 390)).resize((SIZE, SIZE), Image.Resampling.BILINEAR)


def product_pictures(
    title: str, category: str, colours: list[str]
) -> tuple[list[bytes], dict[str, bytes]]:
    """The gallery of a product (cover first) and, for clothing, each colour's own picture
    (also in the gallery), as JPEG bytes."""
    kind = kind_of(title, category)
    text = title.split(" ")[0][:4]
    if colours:
        by_colour = {
            name: jpeg(shot(kind, COLOURS.get(name, (150, 150, 150)), background=index))
            for index, name in enumerate(colours)
        }
        first = COLOURS.get(colours[0], (150, 150, 150))
        detail = jpeg(_close_up(shot(kind, first, background=len(colours))))
        return [*by_colour.values(), detail], by_colour
    colour = _base_colour(kind, title)
    hero = shot(kind, colour, text=text)
    return [
        jpeg(hero),
        jpeg(_close_up(hero)),
        jpeg(shot(kind, colour, text=text, background=1, scale=0.78)),
    ], {}
