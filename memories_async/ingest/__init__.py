"""Bulk ingestion that never loses work: `await ingest(client, ["videos/"], journal="job.sqlite")`.

```python
from memories_async import AsyncMemories
from memories_async.ingest import ingest

async with AsyncMemories() as client:
    summary = await ingest(client, ["footage/", "https://example.com/a.mp4"],
                           journal="footage.sqlite", concurrency=4, wait_for_parse=True)
    print(summary.counts, summary.failures)
```

Run the same call again after a crash or a failure: it resumes from the journal, never uploads
a file twice (files are known by their content hash, so renaming one changes nothing), and
retries what failed. A wrong key or an exhausted account stops the job at once
(`IngestStoppedError`) without counting against any file. See `memories_async.ingest._ingest`
for how a killed job is reconciled.
"""

from ._events import (
    EventCallback,
    Failed,
    Failure,
    IngestEvent,
    IngestStoppedError,
    IngestSummary,
    Parsed,
    Planned,
    Progress,
    Skipped,
    Started,
    Uploaded,
)
from ._ingest import DEFAULT_MAX_ATTEMPTS, ingest
from ._journal import STATES, Journal, JournalError, Record, State, read_journal
from ._reconcile import CLOCK_SKEW, maybe_delivered
from ._sources import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS, Source, expand_sources

__all__ = [
    "CLOCK_SKEW",
    "DEFAULT_MAX_ATTEMPTS",
    "IMAGE_EXTENSIONS",
    "STATES",
    "VIDEO_EXTENSIONS",
    "EventCallback",
    "Failed",
    "Failure",
    "IngestEvent",
    "IngestStoppedError",
    "IngestSummary",
    "Journal",
    "JournalError",
    "Parsed",
    "Planned",
    "Progress",
    "Record",
    "Skipped",
    "Source",
    "Started",
    "State",
    "Uploaded",
    "expand_sources",
    "ingest",
    "maybe_delivered",
    "read_journal",
]
