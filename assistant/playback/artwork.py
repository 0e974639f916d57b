"""The picture embedded in a local audio file's tags (the cover a tagger stores), for the Now page.

Read with ``mutagen`` from ID3 (MP3, WAV), FLAC, MP4 (M4A) and Ogg Vorbis/Opus comments. The
content type comes from the picture's own first bytes, not from what the tags claim, and only
JPEG, PNG, GIF and WebP are handed out: a file's tags are anyone's text, and an "image" that is
really HTML or SVG must never reach a browser as such.
"""

from __future__ import annotations

import base64
import functools
import logging
import os
from typing import Any

log = logging.getLogger(__name__)
MAX_PICTURE_BYTES = 8 * 1024 * 1024  # a bigger "cover" is not one worth sending to a phone
FRONT_COVER = 3  # the picture type ID3 and FLAC give a front cover


def sniff(data: bytes) -> str | None:
    """The image type ``data`` starts like, or None when it is not one the page shows."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def embedded_picture(path: str) -> tuple[bytes, str] | None:
    """(image bytes, content type) of the cover in ``path``'s tags; None when there is none, the
    file cannot be read, or the picture is not a known image type."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    # keyed on size and mtime: a retagged file is read again, an unchanged one costs a stat
    return _picture(path, info.st_size, info.st_mtime_ns)


@functools.lru_cache(maxsize=16)
def _picture(path: str, size: int, mtime_ns: int) -> tuple[bytes, str] | None:
    import mutagen

    try:
        audio = mutagen.File(path)
    except Exception:  # mutagen raises its own error per format for damaged headers
        log.debug("no tags readable in %s", path, exc_info=True)
        return None
    if audio is None:
        return None
    for data in _candidates(audio):
        kind = sniff(data)
        if kind is not None and len(data) <= MAX_PICTURE_BYTES:
            return data, kind
    return None


def _candidates(audio: Any) -> list[bytes]:
    """The embedded pictures' bytes, front covers first."""
    found: list[tuple[int, bytes]] = []  # (0 for a front cover else 1, bytes)
    for picture in getattr(audio, "pictures", None) or []:  # FLAC's own picture blocks
        found.append((0 if picture.type == FRONT_COVER else 1, bytes(picture.data)))
    tags = getattr(audio, "tags", None)
    if tags is None:
        return [data for _, data in sorted(found, key=lambda f: f[0])]
    if hasattr(tags, "getall"):  # ID3: APIC frames
        for frame in tags.getall("APIC"):
            found.append((0 if frame.type == FRONT_COVER else 1, bytes(frame.data)))
    try:
        keys = list(tags.keys())
    except Exception:
        keys = []
    if "covr" in keys:  # MP4 cover atoms
        found += [(0, bytes(cover)) for cover in tags["covr"]]
    for key in keys:
        if isinstance(key, str) and key.lower() == "metadata_block_picture":  # Vorbis comments
            from mutagen.flac import Picture

            for encoded in tags[key]:
                try:
                    picture = Picture(base64.b64decode(encoded))
                except Exception:
                    continue
                found.append((0 if picture.type == FRONT_COVER else 1, bytes(picture.data)))
    return [data for _, data in sorted(found, key=lambda f: f[0])]
