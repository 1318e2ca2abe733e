"""What an ingestion job is given, expanded into single sources: files (by extension) and URLs.

Directories are walked recursively in a worker thread and only files with a known video or image
extension are kept; hidden files and directories are skipped. Only names and sizes are read here:
file contents are read later, by the worker that hashes and uploads them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import unquote, urlsplit

import anyio.to_thread

from .._errors import InvalidArgumentError

__all__ = [
    "IMAGE_EXTENSIONS",
    "VIDEO_EXTENSIONS",
    "Source",
    "SourceKind",
    "expand_sources",
    "platform_of",
]

VIDEO_EXTENSIONS = frozenset(
    {".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm", ".flv", ".wmv", ".mpg", ".mpeg", ".3gp"}
)
IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".webp"})

SourceKind = Literal["video", "image", "url", "scrape"]
"""A local video, a local image, a direct video URL (`upload_url`), a platform URL (`scrape`)."""

_PLATFORMS = {
    "tiktok.com": "TIKTOK",
    "youtube.com": "YOUTUBE",
    "youtu.be": "YOUTUBE",
    "instagram.com": "INSTAGRAM",
}


@dataclass(frozen=True)
class Source:
    """One thing to ingest: a file (`location` is its path) or a URL, with what is known up front.

    `name` is the file name sent with an upload (or the URL's last path segment), `size` the
    file's bytes (0 for URLs) and `mtime_ns` its modification time, used to reuse a cached hash.
    """

    kind: SourceKind
    location: str
    name: str
    size: int = 0
    mtime_ns: int = 0
    platform: str | None = None

    @property
    def is_file(self) -> bool:
        """Whether this source is a local file (rather than a URL)."""
        return self.kind in ("video", "image")


def platform_of(url: str) -> str | None:
    """TIKTOK, YOUTUBE or INSTAGRAM for a post URL of those platforms, else None."""
    host = (urlsplit(url).hostname or "").lower()
    for domain, platform in _PLATFORMS.items():
        if host == domain or host.endswith("." + domain):
            return platform
    return None


def _is_url(value: str) -> bool:
    return value.startswith(("http://", "https://"))


def _url_source(url: str) -> Source:
    parts = urlsplit(url)
    if not parts.hostname:
        raise InvalidArgumentError("sources", f"not a valid URL: {url!r}")
    platform = platform_of(url)
    tail = unquote(parts.path.rstrip("/").rsplit("/", 1)[-1]) or parts.hostname
    return Source("scrape" if platform else "url", url, tail, platform=platform)


def _kind_of(name: str) -> SourceKind | None:
    ext = os.path.splitext(name)[1].lower()
    if ext in VIDEO_EXTENSIONS:
        return "video"
    if ext in IMAGE_EXTENSIONS:
        return "image"
    return None


def _file_source(path: str, kind: SourceKind, st: os.stat_result) -> Source:
    return Source(kind, path, os.path.basename(path), st.st_size, st.st_mtime_ns)


def _walk(root: str) -> list[Source]:
    found: list[Source] = []
    for directory, subdirs, files in os.walk(root, followlinks=False):
        subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
        for name in sorted(files):
            kind = _kind_of(name)
            if kind is None or name.startswith("."):
                continue
            path = os.path.join(directory, name)
            try:
                st = os.stat(path)
            except OSError:
                continue  # vanished or unreadable while walking: not ours to report
            if st.st_size > 0:
                found.append(_file_source(path, kind, st))
    return found


def _expand_one(item: str) -> list[Source]:
    if _is_url(item):
        return [_url_source(item)]
    path = os.path.abspath(item)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InvalidArgumentError("sources", f"no such file or directory: {item!r}") from None
    except OSError as exc:
        raise InvalidArgumentError("sources", f"cannot read {item!r}: {exc.strerror}") from None
    if os.path.isdir(path):
        return _walk(path)
    kind = _kind_of(path)
    if kind is None:
        raise InvalidArgumentError(
            "sources",
            f"{item!r} is neither a video ({', '.join(sorted(VIDEO_EXTENSIONS))}) "
            f"nor an image ({', '.join(sorted(IMAGE_EXTENSIONS))})",
        )
    if st.st_size == 0:
        raise InvalidArgumentError("sources", f"{item!r} is empty (0 bytes)")
    return [_file_source(path, kind, st)]


def _expand(items: Sequence[str]) -> list[Source]:
    seen: set[tuple[str, str]] = set()
    result: list[Source] = []
    for item in items:
        for source in _expand_one(item):
            if (source.kind, source.location) not in seen:
                seen.add((source.kind, source.location))
                result.append(source)
    return result


async def expand_sources(
    sources: Iterable[str | os.PathLike[str]] | str | os.PathLike[str],
) -> list[Source]:
    """Paths, directories and URLs as a list of single sources, each once, in the order given.

    Named files must have a video or image extension; directories contribute the files that do.
    Raises `InvalidArgumentError` for a missing path or a file of another type.
    """
    if isinstance(sources, str | os.PathLike):
        sources = [sources]
    items = [os.fspath(s) for s in sources]
    if not all(isinstance(i, str) and i for i in items):
        raise InvalidArgumentError("sources", "must be paths, directories or URLs")
    return await anyio.to_thread.run_sync(_expand, items)
