"""Mini-program codes (小程序码): ``getwxacodeunlimit`` for a page of the mini-program and a
scene, kept as an image under the media directory.

A scene is at most 32 characters, so it names its target compactly: a letter for the kind
and the id (``p12`` a product, ``s3`` a store, ``g45`` a group, ``b6`` a bargain, ``f7`` a
flash-sale item), then, for a promoter's code, ``.`` and the share link's code
(``p12.7KQ2MZX9WD``): the mini-program resolves it with ``GET /api/v1/wechat/scenes/{scene}``
in its page's onLoad and records the click with ``POST /api/v1/shop/referrals/{code}``.

WeChat is asked once per distinct code (app, page, scene, width): a row is claimed first, and
requests that find it claimed, in this process or another, wait for the file instead.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.affiliates.links import Target, TargetKind
from weshop.affiliates.models import ShareLink
from weshop.core.clock import utcnow
from weshop.core.config import Settings
from weshop.core.db import Database
from weshop.core.errors import InvalidInput, NotFound, ProviderError
from weshop.core.runtime import Runtime
from weshop.media.images import NotAnImage, sniff_image
from weshop.wechat.apps import WechatApp, wechat_apps
from weshop.wechat.client import WechatClient, wechat_client
from weshop.wechat.errors import WechatNotConfigured
from weshop.wechat.share_models import MiniProgramCode

SCENE_MAX_LENGTH = 32
DEFAULT_WIDTH = 430
MIN_WIDTH, MAX_WIDTH = 280, 1280
CODES_FOLDER = "wxacodes"
COMPONENT = "wechat_codes"
# A claim unfilled for this many client timeouts is taken over (its process died).
CLAIM_TIMEOUTS = 4
_POLL_SECONDS = 0.05

_LETTERS = {
    TargetKind.PRODUCT: "p",
    TargetKind.STORE: "s",
    TargetKind.GROUP: "g",
    TargetKind.BARGAIN: "b",
    TargetKind.FLASH: "f",
}
_KINDS = {letter: kind for kind, letter in _LETTERS.items()}
# The mini-program's page for each kind of target: the mini-program must have these pages.
MINIPROGRAM_PAGES = {
    TargetKind.PRODUCT: "pages/product/index",
    TargetKind.STORE: "pages/store/index",
    TargetKind.GROUP: "pages/groupbuy/index",
    TargetKind.BARGAIN: "pages/bargain/index",
    TargetKind.FLASH: "pages/flash/index",
}
_H5_PATHS = {
    TargetKind.PRODUCT: "/p/{}",
    TargetKind.STORE: "/s/{}",
    TargetKind.GROUP: "/g/{}",
    TargetKind.BARGAIN: "/bargain/{}",
    TargetKind.FLASH: "/flash/items/{}",
}
SCENE_PATTERN = r"^([psgbf])([1-9][0-9]{0,17})(?:\.([0-9A-Z]{1,12}))?$"
_SCENE = re.compile(SCENE_PATTERN)


class InvalidScene(InvalidInput):
    code = "invalid_scene"


class MiniProgramCodeUnavailable(ProviderError):
    """WeChat gave no image, or the code being fetched by another request did not arrive."""

    code = "miniprogram_code_unavailable"


@dataclass(frozen=True)
class Scene:
    """What a mini-program code opens: a target, and the promoter's share link if any."""

    target: Target
    link_code: str | None = None

    def encode(self) -> str:
        text = f"{_LETTERS[self.target.kind]}{self.target.id}"
        if self.link_code is not None:
            text += f".{self.link_code}"
        assert len(text) <= SCENE_MAX_LENGTH
        return text

    @classmethod
    def parse(cls, text: str) -> Scene:
        found = _SCENE.match(text)
        if found is None:
            raise InvalidScene("not a scene of WeShop's mini-program codes")
        letter, target_id, link_code = found.groups()
        return cls(Target(_KINDS[letter], int(target_id)), link_code)

    @property
    def page(self) -> str:
        return MINIPROGRAM_PAGES[self.target.kind]

    @property
    def h5_path(self) -> str:
        return _H5_PATHS[self.target.kind].format(self.target.id)


async def resolve(session: AsyncSession, text: str) -> Scene:
    """A scene read back; one naming a share link that does not exist, or that leads
    elsewhere, answers 404."""
    scene = Scene.parse(text)
    if scene.link_code is not None:
        target = await session.scalar(
            select(ShareLink.target).where(ShareLink.code == scene.link_code)
        )
        if target != scene.target.key:
            raise NotFound("no such share link")
    return scene


@dataclass(frozen=True)
class CodeImage:
    path: str  # under the media directory
    content_type: str


def _relative_path(app: WechatApp, page: str, scene: str, width: int, extension: str) -> str:
    digest = hashlib.sha256(f"{page}\n{scene}\n{width}".encode()).hexdigest()[:32]
    return f"{CODES_FOLDER}/{app.appid}/{digest}.{extension}"


def _write(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    # Aside, then renamed: nobody reads half an image.
    temporary = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    temporary.write_bytes(data)
    temporary.replace(target)


def _content_type(path: str) -> str:
    return "image/png" if path.endswith(".png") else "image/jpeg"


class CodeCache:
    """The codes of one installation: its database, the client and the media directory."""

    def __init__(self, db: Database, client: WechatClient, media_dir: Path, wait_seconds: float):
        self.db = db
        self.client = client
        self.media_dir = media_dir
        # How long a claim may go unfilled before another request takes it over.
        self.wait_seconds = wait_seconds

    async def image(self, app: WechatApp, scene: Scene, width: int = DEFAULT_WIDTH) -> CodeImage:
        """The code of ``scene`` under the mini-program ``app``, fetched the first time."""
        if not MIN_WIDTH <= width <= MAX_WIDTH:
            raise InvalidInput(f"width is {MIN_WIDTH} to {MAX_WIDTH} pixels", code="invalid_width")
        key = (app.appid, scene.page, scene.encode(), width)
        deadline = time.monotonic() + self.wait_seconds
        while True:
            row = await self._row(key)
            if row is not None and row.path is not None:
                return CodeImage(row.path, _content_type(row.path))
            claim = await self._claim(key, row)
            if claim is not None:
                return await self._fetch(app, scene, width, claim)
            if time.monotonic() > deadline:
                raise MiniProgramCodeUnavailable("the mini-program code is not ready; try again")
            await asyncio.sleep(_POLL_SECONDS)

    async def _row(self, key: tuple[str, str, str, int]) -> MiniProgramCode | None:
        appid, page, scene, width = key
        async with self.db.session(write=False) as session:
            return await session.scalar(
                select(MiniProgramCode).where(
                    MiniProgramCode.appid == appid,
                    MiniProgramCode.page == page,
                    MiniProgramCode.scene == scene,
                    MiniProgramCode.width == width,
                )
            )

    async def _claim(
        self, key: tuple[str, str, str, int], row: MiniProgramCode | None
    ) -> MiniProgramCode | None:
        """The row, claimed for this request; None when another request holds the claim."""
        appid, page, scene, width = key
        now = utcnow()
        async with self.db.session() as session, session.begin():
            if row is None:
                claim = MiniProgramCode(
                    appid=appid, page=page, scene=scene, width=width, claimed_at=now
                )
                try:
                    async with session.begin_nested():
                        session.add(claim)
                except IntegrityError:
                    return None
                return claim
            if row.claimed_at > now - timedelta(seconds=self.wait_seconds):
                return None
            # A claim nobody filled in time (its process died): taken over, once.
            taken = await session.execute(
                update(MiniProgramCode)
                .where(
                    MiniProgramCode.id == row.id,
                    MiniProgramCode.path.is_(None),
                    MiniProgramCode.claimed_at == row.claimed_at,
                )
                .values(claimed_at=now)
            )
            if taken.rowcount != 1:
                return None
            row.claimed_at = now
            return row

    async def _fetch(
        self, app: WechatApp, scene: Scene, width: int, claim: MiniProgramCode
    ) -> CodeImage:
        body = {"scene": scene.encode(), "page": scene.page, "width": width, "check_path": False}
        try:
            data = await self.client.post_for_image(app, "/wxa/getwxacodeunlimit", body)
            info = sniff_image(data)
        except BaseException as exc:
            await self._release(claim)
            if isinstance(exc, NotAnImage):
                raise MiniProgramCodeUnavailable("WeChat answered something not an image") from None
            raise
        relative = _relative_path(app, scene.page, scene.encode(), width, info.extension)
        await asyncio.to_thread(_write, self.media_dir / relative, data)
        async with self.db.session() as session, session.begin():
            await session.execute(
                update(MiniProgramCode).where(MiniProgramCode.id == claim.id).values(path=relative)
            )
        return CodeImage(relative, info.content_type)

    async def _release(self, claim: MiniProgramCode) -> None:
        """Give the claim up, so the next request asks again."""
        async with self.db.session() as session, session.begin():
            await session.execute(
                delete(MiniProgramCode).where(
                    MiniProgramCode.id == claim.id, MiniProgramCode.path.is_(None)
                )
            )

    def read(self, image: CodeImage) -> bytes:
        return (self.media_dir / image.path).read_bytes()


def miniprogram_of_store(settings: Settings, store_id: int) -> WechatApp | None:
    """The mini-program a store's codes open: its own, else the platform's; None for none."""
    apps = wechat_apps(settings)
    return apps.for_store(store_id, "miniprogram") or apps.miniprogram


def store_miniprogram(settings: Settings, store_id: int) -> WechatApp:
    app = miniprogram_of_store(settings, store_id)
    if app is None:
        raise WechatNotConfigured("this installation has no mini-program")
    return app


def code_cache(runtime: Runtime) -> CodeCache:
    """The runtime's cache of codes, made on first use."""
    cache = runtime.components.get(COMPONENT)
    if cache is None:
        cache = runtime.components[COMPONENT] = CodeCache(
            runtime.db,
            wechat_client(runtime),
            runtime.settings.media_dir,
            runtime.settings.wechat_timeout_seconds * CLAIM_TIMEOUTS,
        )
    return cache


@dataclass(frozen=True)
class StoreCode:
    data: bytes
    content_type: str
    extension: str


async def store_code(
    runtime: Runtime, store_id: int, scene: Scene, width: int = DEFAULT_WIDTH
) -> StoreCode:
    """A code of the store's mini-program (its own, else the platform's), read from its
    file; without a mini-program, ``WechatNotConfigured`` (404)."""
    cache = code_cache(runtime)
    image = await cache.image(store_miniprogram(runtime.settings, store_id), scene, width)
    data = await asyncio.to_thread(cache.read, image)
    return StoreCode(data, image.content_type, image.path.rsplit(".", 1)[1])
