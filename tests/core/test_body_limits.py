"""Bodies are limited as they stream, not only by what they declare.

A body sent in chunks declares no length; it is counted as it is read, and the read that
crosses the limit ends the request with 413 (``payload_too_large``): for JSON, forms and
multipart uploads alike, on every route that takes a body, without the rest ever being read.
"""

from __future__ import annotations

import asyncio
import re
import tracemalloc
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.routing import APIRoute

from tests.media.test_media import media_url, png_bytes
from tests.storefront import HTML, csrf_token
from tests.support import Api, expect, new_phone
from tests.tenancy.test_store_scope import endpoints
from weshop.catalog.detail import VIDEO_UPLOAD_PATHS
from weshop.core.middleware import (
    MAX_FORM_BYTES,
    MAX_JSON_BYTES,
    MULTIPART_FORM_ALLOWANCE,
)
from weshop.routes import MERCHANT_CONSOLE_PAGES, PLATFORM_CONSOLE_PAGES, STOREFRONT_PAGES

CHUNK = 64 * 1024
STREAMED = 50 * 1024 * 1024
BOUNDARY = "limit-test-boundary"
# Each content type: its header, what a well-formed body starts with (so that the parser
# keeps reading), and the filler it continues with.
KINDS = {
    "json": ("application/json", b'{"phone": "', b"1"),
    "form": ("application/x-www-form-urlencoded", b"phone=", b"1"),
    "multipart": (
        f"multipart/form-data; boundary={BOUNDARY}",
        (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n'
            "Content-Type: image/png\r\n\r\n"
        ).encode(),
        b"\x00",
    ),
    "text": ("text/plain", b"", b"1"),
}


def limit_of(kind: str, upload_limit: int, path: str = "", video_limit: int = 0) -> int:
    if kind == "multipart" and any(p.fullmatch(path) for p in VIDEO_UPLOAD_PATHS):
        upload_limit = max(upload_limit, video_limit)
    return {
        "json": MAX_JSON_BYTES,
        "form": MAX_FORM_BYTES,
        "multipart": upload_limit + MULTIPART_FORM_ALLOWANCE,
        "text": MAX_JSON_BYTES,
    }[kind]


async def stream_until_answered(
    url: str, path: str, content_type: str, start: bytes, filler: bytes, headers: dict[str, str]
) -> tuple[int, int]:
    """POSTs up to ``STREAMED`` bytes in chunks over a raw connection, stopping as soon as the
    server answers; returns the status and how many bytes had been sent by then."""
    address = urlsplit(url)
    reader, writer = await asyncio.open_connection(address.hostname, address.port)
    head = [
        f"POST {path} HTTP/1.1",
        f"Host: {address.netloc}",
        f"Content-Type: {content_type}",
        "Transfer-Encoding: chunked",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode())
    writer.write(b"%x\r\n%s\r\n" % (len(start), start) if start else b"")
    chunk = filler * CHUNK
    framed = b"%x\r\n%s\r\n" % (len(chunk), chunk)
    status_line = asyncio.ensure_future(reader.readline())
    sent = len(start)
    try:
        while sent < STREAMED and not status_line.done():
            writer.write(framed)
            await writer.drain()
            sent += len(chunk)
        answer = await asyncio.wait_for(status_line, timeout=30)
    finally:
        writer.close()
    return int(answer.split()[1]), sent


@pytest.mark.parametrize("kind", ["json", "form", "multipart"])
async def test_a_chunked_body_over_the_limit_is_refused_early_in_bounded_memory(
    kind: str, api: Api, live_url: str, runtime
) -> None:
    content_type, start, filler = KINDS[kind]
    path, headers = "/api/v1/auth/codes", {}
    if kind == "form":
        path = "/signin"
    if kind == "multipart":
        store_id, headers = await api.new_store()
        path = media_url(store_id)
    # One small request first: the app's first request to a route builds its handlers
    # (FastAPI does it lazily), which is not what this measures.
    async with httpx.AsyncClient(base_url=live_url) as warm:
        await warm.post(path, content=start, headers={"Content-Type": content_type, **headers})
    tracemalloc.start()
    try:
        status, sent = await stream_until_answered(
            live_url, path, content_type, start, filler, headers
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    limit = limit_of(kind, runtime.settings.max_upload_bytes)
    assert status == 413
    # Answered long before the body's end, and never holding it.
    assert sent < STREAMED / 2, f"the answer came after {sent} bytes"
    assert peak < limit + 8 * 1024 * 1024, f"{peak} bytes were allocated for a {kind} body"


async def _chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


async def test_chunked_bodies_under_the_limit_still_work(api: Api, live_url: str) -> None:
    async with httpx.AsyncClient(base_url=live_url) as http:
        sent = await http.post(
            "/api/v1/auth/codes",
            content=_chunks(b'{"phone": ', f'"{new_phone()}"}}'.encode()),
            headers={"Content-Type": "application/json"},
        )
        assert sent.status_code == 202, sent.text

        token = await csrf_token(http)
        form = f"csrf_token={token}&step=send&phone={new_phone()}".encode()
        signin = await http.post(
            "/signin",
            content=_chunks(form[:10], form[10:]),
            headers={**HTML, "Content-Type": "application/x-www-form-urlencoded"},
        )
        assert signin.status_code == 200, signin.text[:500]
        assert 'id="demo-code"' in signin.text

        store_id, owner = await api.new_store()
        image = png_bytes(4, 4)
        start, end = KINDS["multipart"][1], f"\r\n--{BOUNDARY}--\r\n".encode()
        uploaded = await http.post(
            media_url(store_id),
            content=_chunks(start, image[:20], image[20:], end),
            headers={**owner, "Content-Type": KINDS["multipart"][0]},
        )
        expect(uploaded, 201)


def _routes_taking_bodies(app) -> list[tuple[str, str]]:
    """Every API operation with a request body, and every page route that is not a GET."""
    found = [(e.method, e.template) for e in endpoints(app, "/api/") if e.takes_body]
    for router in (*STOREFRONT_PAGES, *MERCHANT_CONSOLE_PAGES, *PLATFORM_CONSOLE_PAGES):
        for route in router.routes:
            if isinstance(route, APIRoute):
                found += [(method, route.path) for method in route.methods - {"GET", "HEAD"}]
    return sorted(set(found))


async def test_no_route_reads_a_body_past_its_limit(app, client, runtime) -> None:
    """A sweep: every route that takes a body, with every content type, sent in chunks."""
    routes = _routes_taking_bodies(app)
    assert len(routes) > 50, routes
    for method, template in routes:
        path = re.sub(r"\{[^}]+\}", "1", template)
        for kind, (content_type, start, filler) in KINDS.items():
            settings = runtime.settings
            limit = limit_of(kind, settings.max_upload_bytes, path, settings.max_video_bytes)
            pulled = 0

            async def body(start: bytes = start, filler: bytes = filler) -> AsyncIterator[bytes]:
                nonlocal pulled
                chunk = filler * CHUNK
                pulled += len(start)
                yield start
                while True:
                    pulled += len(chunk)
                    yield chunk

            answer = await client.request(
                method, path, content=body(), headers={"Content-Type": content_type}
            )
            where = f"{method} {template} with {kind}: {answer.status_code} after {pulled} bytes"
            assert answer.status_code < 500, where
            assert pulled <= limit + CHUNK + len(start), where
            if pulled > limit:
                assert answer.status_code == 413, where
                assert answer.json()["error"]["code"] == "payload_too_large", where


async def test_only_the_video_routes_take_a_body_the_size_of_a_video(app, runtime) -> None:
    """The larger limit is the video routes' own: an image upload keeps the image limit."""
    settings = runtime.settings
    assert settings.max_video_bytes > settings.max_upload_bytes
    video_routes = [
        template
        for _method, template in _routes_taking_bodies(app)
        if any(p.fullmatch(re.sub(r"\{[^}]+\}", "1", template)) for p in VIDEO_UPLOAD_PATHS)
    ]
    assert sorted(video_routes) == [
        "/api/v1/merchant/stores/{store_id}/media/videos",
        "/console/stores/{store_id}/products/{product_id}/detail",
    ]
    over_an_image = settings.max_upload_bytes + MULTIPART_FORM_ALLOWANCE + 1
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        content_type, start, filler = KINDS["multipart"]
        body = start + filler * (over_an_image - len(start))
        headers = {"Content-Type": content_type}
        image = await client.post("/api/v1/merchant/stores/1/media", content=body, headers=headers)
        assert image.status_code == 413
        video = await client.post(
            "/api/v1/merchant/stores/1/media/videos", content=body, headers=headers
        )
        assert video.status_code != 413
