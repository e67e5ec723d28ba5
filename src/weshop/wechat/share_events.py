"""What sharing answers to the domains below it: the mini-program code of a promoter's share
link, for its poster (:class:`weshop.affiliates.events.ShareLinkMiniProgramCode`)."""

from __future__ import annotations

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from weshop.affiliates.events import ShareLinkMiniProgramCode
from weshop.affiliates.links import Target, TargetKind
from weshop.core.events import Subscribers
from weshop.core.runtime import Runtime
from weshop.wechat import codes
from weshop.wechat.errors import WechatApiError

log = structlog.get_logger(__name__)


def share_subscribers(runtime: Runtime) -> Subscribers:
    """The answers of this runtime (they fetch codes with its client and keep them in its
    media directory)."""
    subscribers = Subscribers()

    @subscribers.answers(ShareLinkMiniProgramCode)
    async def share_link_code(_session: AsyncSession, question: ShareLinkMiniProgramCode):
        app = codes.miniprogram_of_store(runtime.settings, question.store_id)
        if app is None:
            return None
        kind, _, target_id = question.target.partition(":")
        scene = codes.Scene(Target(TargetKind(kind), int(target_id)), question.link_code)
        try:
            image = await codes.code_cache(runtime).image(app, scene)
        except (WechatApiError, codes.MiniProgramCodeUnavailable) as exc:
            # A poster with the link's QR code beats no poster: WeChat may be down a while.
            log.warning("poster_miniprogram_code_unavailable", error=exc.code)
            return None
        return image.path

    return subscribers
