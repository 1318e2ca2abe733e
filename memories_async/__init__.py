"""memories-async: the async-first Python SDK for the Memories.ai video-memory API.

```python
from memories_async import AsyncMemories

async with AsyncMemories() as client:  # reads MEMORIES_API_KEY
    for clip in await client.search.videos("a red car parking"):
        print(clip.video_no, clip.start_time, clip.end_time, clip.score)
```
"""

from typing import TYPE_CHECKING, Any

from ._client import DEFAULT_BASE_URL, DEFAULT_CAPTION_BASE_URL, AsyncMemories
from ._errors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InsufficientCreditError,
    InternalServerError,
    InvalidArgumentError,
    MemoriesError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
)
from ._limits import DEFAULT_RATES, NoRateLimiter, Rate, RateLimiter
from ._retry import RetryPolicy
from ._version import __version__

if TYPE_CHECKING:
    from ._sync import Memories
from .models.search import SearchClip
from .models.videos import Video, VideoPage, VideoStatus

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_CAPTION_BASE_URL",
    "DEFAULT_RATES",
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APITimeoutError",
    "AsyncMemories",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "InsufficientCreditError",
    "InternalServerError",
    "InvalidArgumentError",
    "Memories",
    "MemoriesError",
    "NoRateLimiter",
    "NotFoundError",
    "PermissionDeniedError",
    "Rate",
    "RateLimitError",
    "RateLimiter",
    "RetryPolicy",
    "SearchClip",
    "Video",
    "VideoPage",
    "VideoStatus",
    "__version__",
]


def __getattr__(name: str) -> Any:
    # The sync client is imported on first use: async-only programs never pay for it, and
    # scripts/gen_sync.py can import the package even while _sync.py is being rewritten.
    if name == "Memories":
        from ._sync import Memories

        return Memories
    raise AttributeError(f"module 'memories_async' has no attribute {name!r}")
