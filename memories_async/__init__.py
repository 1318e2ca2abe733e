"""memories-async: the async-first Python SDK for the Memories.ai video-memory API.

```python
from memories_async import AsyncMemories

async with AsyncMemories() as client:  # reads MEMORIES_API_KEY
    for clip in await client.search.videos("a red car parking"):
        print(clip.video_no, clip.start_time, clip.end_time, clip.score)
```
"""

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
