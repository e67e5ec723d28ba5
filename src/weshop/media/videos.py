"""Recognise an uploaded video by its bytes: an MP4 (ISO base media file) only.

As with images, the client's content type and file name are never trusted: the file must
start with an ``ftyp`` box of a sane size whose major or a compatible brand is an MP4 one,
and must have a ``moov`` or ``mdat`` box among its top-level boxes.
"""

from __future__ import annotations

import struct

MP4_BRANDS = frozenset(
    {b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V ", b"dash"}
)


class NotAVideo(ValueError):
    pass


def _boxes(data: bytes) -> list[tuple[bytes, int, int]]:
    """The top-level boxes as (type, start, size), as far as they can be read."""
    found, offset = [], 0
    while offset + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        if size == 1 and offset + 16 <= len(data):  # a 64-bit size follows the type
            (size,) = struct.unpack(">Q", data[offset + 8 : offset + 16])
        elif size == 0:  # the box runs to the end of the file
            size = len(data) - offset
        if size < 8:
            raise NotAVideo("an MP4 box with a bad size")
        found.append((kind, offset, size))
        offset += size
    return found


def sniff_mp4(data: bytes) -> str:
    """``video/mp4`` if ``data`` is an MP4 file, else ``NotAVideo``."""
    if len(data) < 16 or data[4:8] != b"ftyp":
        raise NotAVideo("not an MP4 video (no ftyp box)")
    boxes = _boxes(data)
    _, start, size = boxes[0]
    if size > 4096:
        raise NotAVideo("an ftyp box of an impossible size")
    brands = {data[start + 8 : start + 12]}
    brands |= {data[i : i + 4] for i in range(start + 16, start + size, 4)}
    if not brands & MP4_BRANDS:
        raise NotAVideo("an ISO media file of a brand that is not MP4")
    if not {kind for kind, _, _ in boxes} & {b"moov", b"mdat"}:
        raise NotAVideo("an MP4 file without its movie or media data")
    return "video/mp4"
