"""The emulator's memory: videos, images, sessions and tasks per (API key, unique_id) scope.

Time is read from a monotonic clock and statuses are computed from it, so a video turns from
UNPARSE to PARSE at `ready_at` with no timer running; scraper tasks materialise their videos
the first time anyone looks after they are due.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ._seed import PRIVATE_SEEDS, PUBLIC_SEEDS, SeedVideo
from ._storage import Blob
from ._text import Segment, SummaryItem, chapters_of, fake_transcripts, summary_of, topics_of

__all__ = [
    "PLATFORMS",
    "VIDEO_STATUSES",
    "Image",
    "Message",
    "Scope",
    "ScraperTask",
    "Session",
    "State",
    "Video",
    "platform_of",
]

VIDEO_STATUSES = ("UNPARSE", "PARSE", "FAIL", "FAILED", "PARSE_ERROR")
PLATFORMS = ("TIKTOK", "YOUTUBE", "INSTAGRAM")
_PLATFORM_HOSTS = {
    "tiktok.com": "TIKTOK",
    "youtube.com": "YOUTUBE",
    "youtu.be": "YOUTUBE",
    "instagram.com": "INSTAGRAM",
}


def platform_of(url: str) -> str | None:
    """TIKTOK / YOUTUBE / INSTAGRAM for a post URL of those platforms, else None."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower()
    for suffix, platform in _PLATFORM_HOSTS.items():
        if host == suffix or host.endswith("." + suffix):
            return platform
    return None


@dataclass
class Video:
    """A private or public video. `blob` is None for generated content (seeds, URLs, scrapes)."""

    video_no: str
    name: str
    duration: int
    size: int
    create_time: int
    visual: list[Segment]
    audio: list[Segment]
    summary: str
    chapters: list[SummaryItem]
    topics: list[SummaryItem]
    ready_at: float = 0.0
    blob: Blob | None = None
    fake_seed: bytes = b""
    status_override: str | None = None
    platform: str | None = None
    detail: dict[str, str] = field(default_factory=dict)
    source_url: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)

    def status(self, now: float) -> str:
        """UNPARSE until `ready_at`, then PARSE, unless a status was forced."""
        if self.status_override is not None:
            return self.status_override
        return "PARSE" if now >= self.ready_at else "UNPARSE"

    @classmethod
    def from_seed(cls, seed: SeedVideo) -> Video:
        """A fresh, already parsed copy of a demo video."""
        return cls(
            video_no=seed.video_no,
            name=seed.name,
            duration=seed.duration,
            size=seed.size,
            create_time=seed.create_time,
            visual=list(seed.visual),
            audio=list(seed.audio),
            summary=seed.summary,
            chapters=list(seed.chapters) or chapters_of(seed.visual, seed.duration),
            topics=topics_of(seed.visual),
            fake_seed=seed.video_no.encode(),
            platform=seed.platform,
            detail=dict(seed.detail),
        )

    @classmethod
    def generated(
        cls,
        video_no: str,
        name: str,
        *,
        content_seed: bytes,
        size: int,
        ready_at: float,
        blob: Blob | None = None,
        create_time: int | None = None,
    ) -> Video:
        """A video whose transcripts are derived from `content_seed` (hash of bytes or URL)."""
        digest = hashlib.sha256(content_seed).digest()
        duration = max(4, min(600, 8 + size // 400_000 + digest[0] % 20))
        visual, audio = fake_transcripts(content_seed, name, duration)
        return cls(
            video_no=video_no,
            name=name,
            duration=duration,
            size=size,
            create_time=create_time if create_time is not None else int(time.time() * 1000),
            visual=visual,
            audio=audio,
            summary=summary_of(name, visual),
            chapters=chapters_of(visual, duration),
            topics=topics_of(visual),
            ready_at=ready_at,
            blob=blob,
            fake_seed=content_seed,
        )


@dataclass
class Image:
    """An uploaded image and the metadata sent with it."""

    image_id: str
    name: str
    blob: Blob
    create_time: int
    datetime_taken: int | None = None
    camera_model: str | None = None
    latitude: float | None = None
    longitude: float | None = None


@dataclass
class Message:
    """One turn of a chat session."""

    role: str
    content: str
    thinkings: list[dict[str, Any]] = field(default_factory=list)
    refs: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Session:
    """A chat session: every chat kind of a scope shares the session list."""

    session_id: str
    title: str
    kind: str
    create_time: int
    messages: list[Message] = field(default_factory=list)


@dataclass
class ScraperTask:
    """A scraper request: its videos appear at `ready_at`."""

    task_id: str
    api_key: str
    unique_id: str | None
    public: bool
    urls: list[str]
    ready_at: float
    video_nos: list[str] = field(default_factory=list)
    done: bool = False


@dataclass
class Scope:
    """Everything one (API key, unique_id) pair owns."""

    videos: dict[str, Video] = field(default_factory=dict)
    images: dict[str, Image] = field(default_factory=dict)
    sessions: dict[str, Session] = field(default_factory=dict)


class State:
    """All scopes, the public library and the tasks, behind one re-entrant lock."""

    def __init__(self, *, seed: bool = True, clock: Callable[[], float] = time.monotonic):
        self.seed = seed
        self.clock = clock
        self.lock = threading.RLock()
        self._scopes: dict[tuple[str, str], Scope] = {}
        self.public: dict[str, Video] = {}
        self.public_by_url: dict[str, str] = {}
        self.tasks: dict[str, ScraperTask] = {}
        self.memories: dict[str, list[dict[str, Any]]] = {}
        self._ids = itertools.count(1)
        if seed:
            for s in PUBLIC_SEEDS:
                self.public[s.video_no] = Video.from_seed(s)

    def now(self) -> float:
        """The monotonic clock the statuses are computed from."""
        return self.clock()

    def scope(self, api_key: str, unique_id: str) -> Scope:
        """The scope of a key and namespace, created (with the demo library) on first use."""
        with self.lock:
            found = self._scopes.get((api_key, unique_id))
            if found is None:
                found = Scope()
                if self.seed:
                    for s in PRIVATE_SEEDS:
                        found.videos[s.video_no] = Video.from_seed(s)
                self._scopes[(api_key, unique_id)] = found
            return found

    def scopes(self) -> Iterator[tuple[tuple[str, str], Scope]]:
        """Every scope created so far."""
        with self.lock:
            return iter(list(self._scopes.items()))

    def _next(self) -> int:
        return 611_000_000_000_000_000 + next(self._ids) * 4_099

    def new_video_no(self) -> str:
        """A private video number, like VI606404158946574336."""
        return f"VI{self._next()}"

    def new_public_no(self) -> str:
        """A public video number, like PI-603068775285264430."""
        return f"PI-{self._next()}"

    def new_id(self) -> str:
        """An 18-digit numeric id (images, sessions)."""
        return str(self._next())

    @staticmethod
    def new_task_id(api_key: str) -> str:
        """A task id shaped like the vendor's: a UUID, '_', then a hash of the account."""
        return f"{uuid.uuid4()}_{hashlib.md5(api_key.encode()).hexdigest()}"

    def find_video(self, video_no: str) -> Video | None:
        """A video of any scope or the public library (the legacy host has no scopes)."""
        with self.lock:
            if video_no in self.public:
                return self.public[video_no]
            for scope in self._scopes.values():
                if video_no in scope.videos:
                    return scope.videos[video_no]
            if self.seed:
                for s in PRIVATE_SEEDS:
                    if s.video_no == video_no:
                        return Video.from_seed(s)
        return None

    def materialize(self, parse_delay: float) -> None:
        """Create the videos of every scraper task that is due."""
        now = self.now()
        with self.lock:
            for task in self.tasks.values():
                if task.done or now < task.ready_at:
                    continue
                task.done = True
                for url in task.urls:
                    task.video_nos.append(self._scraped(task, url, now + parse_delay))

    def _scraped(self, task: ScraperTask, url: str, ready_at: float) -> str:
        platform = platform_of(url) or "TIKTOK"
        tail = [p for p in urlsplit(url).path.split("/") if p]
        name = f"{platform.lower()}_{tail[-1] if tail else 'video'}"
        size = 200_000 + int(hashlib.sha256(url.encode()).hexdigest()[:5], 16)
        if task.public:
            existing = self.public_by_url.get(url)
            if existing is not None:  # scraped again: only metadata is refreshed
                return existing
            video = Video.generated(
                self.new_public_no(), name, content_seed=url.encode(), size=size, ready_at=ready_at
            )
            video.platform = platform
            video.source_url = url
            video.detail = {
                "video_url": url,
                "like_count": "0",
                "share_count": "0",
                "comment_count": "0",
                "view_count": "0",
                "collect_count": "0",
                "blogger_id": _creator_of(url),
                "text_language": "en",
                "music_name": "original sound",
                "hash_tag": "",
                "publish_time": str(int(time.time())),
            }
            self.public[video.video_no] = video
            self.public_by_url[url] = video.video_no
            return video.video_no
        assert task.unique_id is not None
        video = Video.generated(
            self.new_video_no(), name, content_seed=url.encode(), size=size, ready_at=ready_at
        )
        video.source_url = url
        self.scope(task.api_key, task.unique_id).videos[video.video_no] = video
        return video.video_no

    def reset(self) -> None:
        """Forget every scope, task and scraped public video (seeds come back)."""
        with self.lock:
            self._scopes.clear()
            self.tasks.clear()
            self.memories.clear()
            self.public_by_url.clear()
            self.public.clear()
            if self.seed:
                for s in PUBLIC_SEEDS:
                    self.public[s.video_no] = Video.from_seed(s)


def _creator_of(url: str) -> str:
    for part in urlsplit(url).path.split("/"):
        if part.startswith("@"):
            return part[1:]
    return "unknown"
