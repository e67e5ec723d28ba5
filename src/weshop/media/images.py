"""Recognise an uploaded image by its bytes and read its size from the header.

The client's content type and file name are never trusted: a file is PNG, JPEG, WebP or GIF
only if its magic bytes and header say so, and a header we cannot read is refused.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass


@dataclass(frozen=True)
class ImageInfo:
    content_type: str
    extension: str
    width: int
    height: int


class NotAnImage(ValueError):
    pass


def _png(data: bytes) -> ImageInfo:
    # The IHDR chunk must come first: 4-byte length, "IHDR", then width and height.
    if len(data) < 24 or data[12:16] != b"IHDR":
        raise NotAnImage("PNG without an IHDR header")
    width, height = struct.unpack(">II", data[16:24])
    return ImageInfo("image/png", "png", width, height)


def _gif(data: bytes) -> ImageInfo:
    if len(data) < 10:
        raise NotAnImage("truncated GIF header")
    width, height = struct.unpack("<HH", data[6:10])
    return ImageInfo("image/gif", "gif", width, height)


# Start-of-frame markers carry the size; C4 (DHT), C8 (JPG) and CC (DAC) share the range.
_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def _jpeg(data: bytes) -> ImageInfo:
    offset = 2
    while offset + 4 <= len(data):
        if data[offset] != 0xFF:
            raise NotAnImage("JPEG segment does not start with a marker")
        marker = data[offset + 1]
        if marker == 0xFF:  # fill byte
            offset += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):  # markers without a length
            offset += 2
            continue
        if marker in (0xD9, 0xDA):  # end of image, or image data, before any frame header
            break
        (length,) = struct.unpack(">H", data[offset + 2 : offset + 4])
        if length < 2:
            raise NotAnImage("JPEG segment with a bad length")
        if marker in _SOF_MARKERS:
            if offset + 9 > len(data):
                break
            height, width = struct.unpack(">HH", data[offset + 5 : offset + 9])
            return ImageInfo("image/jpeg", "jpg", width, height)
        offset += 2 + length
    raise NotAnImage("JPEG without a frame header")


def _webp(data: bytes) -> ImageInfo:
    chunk = data[12:16]
    if chunk == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", data[26:30])
        width, height = width & 0x3FFF, height & 0x3FFF
    elif chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:
        bits = int.from_bytes(data[21:25], "little")
        width, height = (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    elif chunk == b"VP8X" and len(data) >= 30:
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
    else:
        raise NotAnImage("WebP without a readable VP8/VP8L/VP8X header")
    return ImageInfo("image/webp", "webp", width, height)


def sniff_image(data: bytes) -> ImageInfo:
    """What image ``data`` is and how large, or ``NotAnImage``."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        info = _png(data)
    elif data.startswith((b"GIF87a", b"GIF89a")):
        info = _gif(data)
    elif data.startswith(b"\xff\xd8\xff"):
        info = _jpeg(data)
    elif data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        info = _webp(data)
    else:
        raise NotAnImage("not a PNG, JPEG, WebP or GIF image")
    if info.width <= 0 or info.height <= 0:
        raise NotAnImage("the image has no size")
    return info
