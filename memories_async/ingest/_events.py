"""What an ingestion job reports while it runs (events) and when it ends (the summary)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, TypeAlias

from .._errors import (
    APIError,
    AuthenticationError,
    InsufficientCreditError,
    MemoriesError,
    PermissionDeniedError,
)

__all__ = [
    "ACCOUNT_ERRORS",
    "EventCallback",
    "Failed",
    "Failure",
    "IngestEvent",
    "IngestStoppedError",
    "IngestSummary",
    "Parsed",
    "Planned",
    "Progress",
    "Skipped",
    "Started",
    "Uploaded",
]


@dataclass(frozen=True)
class Planned:
    """The sources were expanded: how many there are and their bytes (URLs count 0 bytes)."""

    total: int
    total_bytes: int
    type: Literal["planned"] = "planned"


@dataclass(frozen=True)
class Started:
    """An upload of `source` began (`attempt` counts every run of the job, from 1)."""

    source: str
    kind: str
    bytes: int
    attempt: int
    type: Literal["started"] = "started"


@dataclass(frozen=True)
class Progress:
    """Request-body bytes of an upload handed to the socket so far, of `total`."""

    source: str
    sent: int
    total: int
    type: Literal["progress"] = "progress"


@dataclass(frozen=True)
class Uploaded:
    """The server accepted `source` as `remote_id` (a video number, image id or scrape task).

    `reconciled` is true when this was learnt by looking at the server after an interrupted
    attempt, rather than from the upload's own answer.
    """

    source: str
    remote_id: str
    bytes: int
    reconciled: bool = False
    type: Literal["uploaded"] = "uploaded"


@dataclass(frozen=True)
class Parsed:
    """The server finished indexing the video of `source`."""

    source: str
    video_no: str
    type: Literal["parsed"] = "parsed"


@dataclass(frozen=True)
class Failed:
    """`source` failed; `in_doubt` when the server may have received it anyway (checked on the
    next run before anything is sent again); `gave_up` when it was not tried at all because its
    attempts are spent (`retry_failed=True` tries it again)."""

    source: str
    error: str
    in_doubt: bool = False
    gave_up: bool = False
    type: Literal["failed"] = "failed"


@dataclass(frozen=True)
class Skipped:
    """`source` needed no upload (or could not have one now), and why."""

    source: str
    reason: str
    remote_id: str | None = None
    type: Literal["skipped"] = "skipped"


IngestEvent: TypeAlias = Planned | Started | Progress | Uploaded | Parsed | Failed | Skipped
"""Any event `ingest(on_event=...)` receives; `match` on the class or look at `.type`."""

EventCallback: TypeAlias = Callable[[IngestEvent], Awaitable[None] | None]
"""`on_event(event)`, sync or async; keep it quick, uploads wait for it."""


@dataclass(frozen=True)
class Failure:
    """A source that ended this job failed, and the reason; `gave_up` as in `Failed`."""

    source: str
    error: str
    gave_up: bool = False


@dataclass
class IngestSummary:
    """How a job ended.

    `counts` gives, per journal state, how many of this job's sources are in it; `uploaded` and
    `bytes_sent` count this run's uploads only; `skipped` the sources that needed none (already
    uploaded, same content as another source, or deferred); `failures` the sources that failed,
    those that gave up among them (`gave_up`).
    """

    counts: dict[str, int]
    uploaded: int
    skipped: int
    bytes_sent: int
    elapsed: float
    failures: list[Failure] = field(default_factory=list)
    reconciled: int = 0
    journal: str = ""

    @property
    def gave_up(self) -> int:
        """How many sources were not tried because their attempts are spent."""
        return sum(1 for failure in self.failures if failure.gave_up)

    @property
    def ok(self) -> bool:
        """Whether every source is uploaded (or parsed) and nothing failed."""
        return not self.failures and not any(
            self.counts.get(s, 0) for s in ("pending", "uploading", "failed")
        )

    def as_dict(self) -> dict[str, Any]:
        """The summary as JSON-ready data."""
        return {**asdict(self), "ok": self.ok, "gave_up": self.gave_up}


ACCOUNT_ERRORS = (AuthenticationError, InsufficientCreditError, PermissionDeniedError)
"""Answers that refuse the account, not the file: they stop the whole job."""


class IngestStoppedError(MemoriesError):
    """The account refused the job (a wrong key, no credit left, a disabled account), so it
    stopped at once: nothing more was sent, and the refused attempt does not count against its
    file. `error` is the vendor's error; `summary` says how far the job got. Fix the account and
    run the same job again: it resumes."""

    def __init__(self, error: APIError, summary: IngestSummary) -> None:
        self.error = error
        self.summary = summary
        super().__init__(f"the job stopped: the account was refused ({error})")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.error, self.summary))
