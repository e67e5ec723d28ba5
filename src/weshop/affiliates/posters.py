"""Posters: a promoter's share link as an image to post in chats and moments — the product's
photo (a store poster: its logo and name), title, price, the promoter's code (never their
name) and a QR code of the link with the channel ``poster``, or, when a mini-program opens
the store, the link's mini-program code (小程序码, asked of the wechat domain).

Rendered once per content: the file name carries a digest of everything drawn, so a change
of the product (title, price, photo) or of the language draws a new poster, and a repeat is
a file read.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import secrets
from dataclasses import asdict, dataclass
from functools import cache
from io import BytesIO
from pathlib import Path

import segno
import structlog
from PIL import Image, ImageDraw, ImageFont, ImageOps
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.affiliates import repository as repo
from weshop.affiliates.events import ShareLinkMiniProgramCode
from weshop.affiliates.links import short_path
from weshop.affiliates.models import Promoter, ShareLink
from weshop.catalog import repository as catalog_repo
from weshop.core.config import Settings
from weshop.core.errors import NotFound
from weshop.core.events import ask
from weshop.core.money import format_yuan
from weshop.stores.models import Store
from weshop.web.console_forms import N_
from weshop.web.i18n import translations

log = structlog.get_logger(__name__)

# Layout, in pixels. Bump RENDER_VERSION when the drawing changes, so cached posters are
# drawn again.
RENDER_VERSION = 1
WIDTH, HEIGHT = 600, 960
MARGIN = 32
PHOTO_BOX = (0, 0, WIDTH, WIDTH)
QR_SIZE = 200
QR_BOX = (WIDTH - MARGIN - QR_SIZE, HEIGHT - MARGIN - QR_SIZE, WIDTH - MARGIN, HEIGHT - MARGIN)
QR_BORDER_MODULES = 2
PRICE_RED = (229, 57, 53)
INK = (33, 33, 33)
GREY = (117, 117, 117)
PLACEHOLDER = (238, 238, 238)

RECOMMENDED_BY = N_("Recommended by promoter {code}")
SCAN_HINT = N_("Long-press to scan the QR code")
MINIPROGRAM_HINT = N_("Long-press to open the mini-program")
PRICE_FROM = N_("{price} and up")
VISIT_STORE = N_("Visit the store")


@dataclass(frozen=True)
class PosterContent:
    """Everything a poster draws: also the key of its cached file."""

    url: str
    title: str
    price: str
    promoter_code: str
    hint: str
    byline: str
    photo: str | None  # a file under the media directory
    code: str | None = None  # the link's mini-program code, a file under the media directory


def poster_url(settings: Settings, link: ShareLink) -> str:
    """What the QR code carries: the link on the public address, channel poster."""
    return f"{settings.public_base_url.rstrip('/')}{short_path(link.code)}?ch=poster"


async def content(
    session: AsyncSession, settings: Settings, link: ShareLink, promoter: Promoter, language: str
) -> PosterContent:
    text = translations(language).gettext
    code = promoter.code or ""
    miniprogram_code = await ask(
        session, ShareLinkMiniProgramCode(link.store_id, link.target, link.code)
    )
    common = {
        "url": poster_url(settings, link),
        "promoter_code": code,
        "hint": text(MINIPROGRAM_HINT if miniprogram_code else SCAN_HINT),
        "byline": text(RECOMMENDED_BY).format(code=code),
        "code": miniprogram_code,
    }
    if link.product_id is None:
        store = await session.get_one(Store, link.store_id)
        # Only an uploaded logo: a poster never fetches from elsewhere.
        uploaded = store.logo_url.startswith("/media/")
        logo = store.logo_url.removeprefix("/media/") if uploaded else None
        return PosterContent(title=store.name, price=text(VISIT_STORE), photo=logo, **common)
    product = (await repo.products(session, [link.product_id]))[link.product_id]
    skus = (await repo.active_skus(session, [product.id])).get(product.id, [])
    prices = [sku.price_fen for sku in skus]
    if not prices:
        price = ""
    elif min(prices) == max(prices):
        price = format_yuan(prices[0])
    else:
        price = text(PRICE_FROM).format(price=format_yuan(min(prices)))
    media = await catalog_repo.media(session, product.image_ids, product.store_id)
    photos = [media[image_id].path for image_id in product.image_ids if image_id in media]
    return PosterContent(
        title=product.title, price=price, photo=photos[0] if photos else None, **common
    )


async def poster_png(
    session: AsyncSession, settings: Settings, promoter: Promoter, code: str, language: str
) -> bytes:
    """The PNG poster of the promoter's own link ``code``; another's link, or none, is 404."""
    link = await repo.share_link_of(session, promoter.id, code)
    if link is None:
        raise NotFound("no such share link of yours")
    drawn = await content(session, settings, link, promoter, language)
    return await asyncio.to_thread(_cached, settings, link.code, drawn)


def _cached(settings: Settings, code: str, drawn: PosterContent) -> bytes:
    font = settings.poster_font_path
    key = json.dumps(
        {**asdict(drawn), "font": str(font), "has_font": font.is_file(), "v": RENDER_VERSION},
        sort_keys=True,
    )
    digest = hashlib.sha256(key.encode()).hexdigest()[:20]
    target = settings.media_dir / "posters" / f"{code}-{digest}.png"
    if target.is_file():
        return target.read_bytes()
    data = render(drawn, settings.media_dir, font)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Write aside under a name of its own, then rename: a concurrent request (another thread
    # or process) reads a whole poster or draws its own, never half of one.
    temporary = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    temporary.write_bytes(data)
    temporary.replace(target)
    return data


@cache
def _font(path: Path, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.truetype(str(path), size)
    except OSError:
        log.warning("poster_font_missing", path=str(path), fallback="pillow default")
        return ImageFont.load_default(size)


def _photo(media_dir: Path, relative: str | None) -> Image.Image | None:
    if relative is None:
        return None
    path = (media_dir / relative).resolve()
    if not path.is_relative_to(media_dir.resolve()):
        return None
    try:
        with Image.open(path) as opened:
            return ImageOps.fit(opened.convert("RGB"), (PHOTO_BOX[2], PHOTO_BOX[3]))
    except (OSError, Image.DecompressionBombError) as exc:
        log.warning("poster_photo_unreadable", error=type(exc).__name__)
        return None


def _code_image(media_dir: Path, relative: str) -> Image.Image | None:
    """The mini-program code, as large as the QR code's box; None when unreadable."""
    path = (media_dir / relative).resolve()
    if not path.is_relative_to(media_dir.resolve()):
        return None
    try:
        with Image.open(path) as opened:
            return opened.convert("RGB").resize((QR_SIZE, QR_SIZE), Image.Resampling.LANCZOS)
    except (OSError, Image.DecompressionBombError) as exc:
        log.warning("poster_code_unreadable", error=type(exc).__name__)
        return None


def _wrap(draw: ImageDraw.ImageDraw, text: str, font, width: int, lines: int) -> list[str]:
    """``text`` cut into at most ``lines`` lines of ``width`` pixels, character by character
    (Chinese has no spaces to break at); an ellipsis ends what does not fit."""
    found: list[str] = []
    current = ""
    for char in text:
        if draw.textlength(current + char, font=font) <= width:
            current += char
            continue
        found.append(current)
        current = "" if char.isspace() else char
        if len(found) == lines:
            break
    else:
        if current:
            found.append(current)
        return found
    last = found[-1]
    while last and draw.textlength(last + "…", font=font) > width:
        last = last[:-1]
    found[-1] = last + "…"
    return found


def qr_image(url: str) -> Image.Image:
    """The QR code of ``url`` at a whole number of pixels per module, as big as fits in
    QR_SIZE, with a quiet zone of QR_BORDER_MODULES."""
    symbol = segno.make(url, error="m", micro=False)
    modules = symbol.symbol_size(scale=1, border=QR_BORDER_MODULES)[0]
    scale = QR_SIZE // modules
    image = Image.new("L", (modules, modules), 255)
    for y, row in enumerate(symbol.matrix_iter(scale=1, border=QR_BORDER_MODULES)):
        for x, dark in enumerate(row):
            if dark:
                image.putpixel((x, y), 0)
    return image.resize((modules * scale, modules * scale), Image.Resampling.NEAREST)


def render(drawn: PosterContent, media_dir: Path, font_path: Path) -> bytes:
    poster = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(poster)
    photo = _photo(media_dir, drawn.photo)
    if photo is not None:
        poster.paste(photo, PHOTO_BOX[:2])
    else:
        draw.rectangle(PHOTO_BOX, fill=PLACEHOLDER)
        big = _font(font_path, 56)
        [name] = _wrap(draw, drawn.title, big, WIDTH - 2 * MARGIN, 1) or [""]
        draw.text((WIDTH // 2, WIDTH // 2), name, font=big, fill=GREY, anchor="mm")
    title_font = _font(font_path, 32)
    y = WIDTH + 20
    for line in _wrap(draw, drawn.title, title_font, WIDTH - 2 * MARGIN, 2):
        draw.text((MARGIN, y), line, font=title_font, fill=INK)
        y += 42
    text_width = QR_BOX[0] - 2 * MARGIN
    price_font = _font(font_path, 40)
    [price] = _wrap(draw, drawn.price, price_font, text_width, 1) or [""]
    draw.text((MARGIN, QR_BOX[1] + 10), price, font=price_font, fill=PRICE_RED)
    small = _font(font_path, 22)
    for offset, line in ((90, drawn.byline), (130, drawn.hint)):
        [fitted] = _wrap(draw, line, small, text_width, 1) or [""]
        draw.text((MARGIN, QR_BOX[1] + offset), fitted, font=small, fill=GREY)
    qr = _code_image(media_dir, drawn.code) if drawn.code else None
    if qr is None:
        qr = qr_image(drawn.url)
    left = QR_BOX[0] + (QR_SIZE - qr.width) // 2
    top = QR_BOX[1] + (QR_SIZE - qr.height) // 2
    poster.paste(qr, (left, top))
    out = BytesIO()
    poster.save(out, format="PNG", optimize=True)
    return out.getvalue()
