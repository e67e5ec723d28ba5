"""Test users' avatars (``headimgurl``): a square PNG in the user's colour with an initial."""

from __future__ import annotations

import io
from functools import lru_cache

from fastapi import APIRouter, HTTPException, Request, Response
from PIL import Image, ImageDraw, ImageFont

from weshop.wxsim.routing import simulator_of

router = APIRouter(prefix="/wxsim", tags=["wxsim pages"])
SIZE = 132  # WeChat's "/132" avatar size


@lru_cache(maxsize=64)
def avatar_png(initial: str, color: str) -> bytes:
    image = Image.new("RGB", (SIZE, SIZE), color)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=72)
    draw.text((SIZE / 2, SIZE / 2), initial, fill="white", font=font, anchor="mm")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@router.get("/avatars/{user}.png")
async def avatar(request: Request, user: str) -> Response:
    found = simulator_of(request).users.get(user)
    if found is None:
        raise HTTPException(404, "no such test user")
    return Response(avatar_png(found.key[:1].upper(), found.color), media_type="image/png")
