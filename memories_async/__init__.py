"""memories-async: the async-first Python SDK for the Memories.ai video-memory API.

```python
from memories_async import AsyncMemories

async with AsyncMemories() as client:  # reads MEMORIES_API_KEY
    for clip in await client.search.videos("a red car parking"):
        print(clip.video_no, clip.start_time, clip.end_time, clip.score)
```
"""

import importlib
from typing import TYPE_CHECKING, Any

from ._client import (
    DEFAULT_BASE_URL,
    DEFAULT_CAPTION_BASE_URL,
    DEFAULT_VLM_BASE_URL,
    AsyncMemories,
)
from ._errors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ClientClosedError,
    ConflictError,
    InsufficientCreditError,
    InternalServerError,
    InvalidArgumentError,
    MemoriesError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseTooLargeError,
    StreamError,
    StreamErrorReason,
    VideoProcessingError,
    WaitTimeoutError,
)
from ._limits import DEFAULT_RATES, NoRateLimiter, Rate, RateLimiter
from ._raw import RawResponse
from ._retry import RetryPolicy
from ._version import __version__

if TYPE_CHECKING:
    from ._agent_stream import AgentStream
    from ._aiohttp import DefaultAioHttpClient
    from ._stream import ChatStream, TextStream
    from ._sync import Memories
    from .models.agents import (
        AgentComplete,
        AgentError,
        AgentEvent,
        AgentProgress,
        AgentRawEvent,
        AgentStarted,
        AgentToolCall,
        AgentToolResult,
        AgentVideoReference,
    )
    from .models.caption import CaptionTask, ImageCaption, Person
    from .models.chat import (
        ChatEvent,
        ChatRef,
        ChatResponse,
        ContentEvent,
        DoneEvent,
        RefEvent,
        RefItem,
        RefType,
        RefVideo,
        Thinking,
        ThinkingEvent,
    )
    from .models.common import ScrapeTask, TokenUsage
    from .models.images import (
        ImageItem,
        ImageSearchPage,
        SimilarImage,
        SimilarImagePage,
        UploadedImage,
    )
    from .models.search import SearchClip
    from .models.sessions import Session, SessionDetail, SessionMessage, SessionPage
    from .models.tasks import TaskStatus
    from .models.transcripts import (
        SummaryItem,
        TranscriptHit,
        Transcription,
        TranscriptionUpdate,
        TranscriptSearchPage,
        TranscriptSegment,
        VideoSummary,
    )
    from .models.videos import (
        PublicVideo,
        UploadedVideo,
        Video,
        VideoMetadata,
        VideoPage,
        VideoStatus,
    )
    from .models.vision import Completion, EditTask
    from .personal_ai import AsyncPersonalAI
    from .resources.chat import AsyncChatSession

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_CAPTION_BASE_URL",
    "DEFAULT_RATES",
    "DEFAULT_VLM_BASE_URL",
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APITimeoutError",
    "AsyncMemories",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "ConflictError",
    "DefaultAioHttpClient",
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
    "ResponseTooLargeError",
    "RateLimiter",
    "RawResponse",
    "RetryPolicy",
    "SearchClip",
    "Video",
    "VideoMetadata",
    "VideoPage",
    "VideoStatus",
    # videos, images, search, public library, sessions, tasks, captions, Personal.ai
    "AsyncPersonalAI",
    "CaptionTask",
    "Completion",
    "EditTask",
    # the v2 host's search agent
    "AgentStream",
    "AgentComplete",
    "AgentError",
    "AgentEvent",
    "AgentProgress",
    "AgentRawEvent",
    "AgentStarted",
    "AgentToolCall",
    "AgentToolResult",
    "AgentVideoReference",
    "ImageCaption",
    "ImageItem",
    "ImageSearchPage",
    "Person",
    "PublicVideo",
    "ScrapeTask",
    "Session",
    "SessionDetail",
    "SessionMessage",
    "SessionPage",
    "SimilarImage",
    "SimilarImagePage",
    "SummaryItem",
    "TaskStatus",
    "TokenUsage",
    "TranscriptHit",
    "TranscriptSearchPage",
    "TranscriptSegment",
    "Transcription",
    "TranscriptionUpdate",
    "UploadedImage",
    "UploadedVideo",
    "VideoProcessingError",
    "VideoSummary",
    "WaitTimeoutError",
    # chat: streams, typed events, answers
    "AsyncChatSession",
    "ChatEvent",
    "ChatRef",
    "ChatResponse",
    "ChatStream",
    "ContentEvent",
    "DoneEvent",
    "RefEvent",
    "RefItem",
    "RefType",
    "RefVideo",
    "StreamError",
    "StreamErrorReason",
    "TextStream",
    "Thinking",
    "ThinkingEvent",
    "__version__",
]


# Models, chat, Personal.ai and the sync client load on first use, so that `import memories_async`
# costs little more than httpx and pydantic: building ~80 pydantic models takes longer than that.
_LAZY: dict[str, str] = {
    "ChatStream": "._stream",
    "TextStream": "._stream",
    "Memories": "._sync",
    "ChatEvent": ".models.chat",
    "ChatRef": ".models.chat",
    "ChatResponse": ".models.chat",
    "ContentEvent": ".models.chat",
    "DoneEvent": ".models.chat",
    "RefEvent": ".models.chat",
    "RefItem": ".models.chat",
    "RefType": ".models.chat",
    "RefVideo": ".models.chat",
    "Thinking": ".models.chat",
    "ThinkingEvent": ".models.chat",
    "AsyncChatSession": ".resources.chat",
    "CaptionTask": ".models.caption",
    "ImageCaption": ".models.caption",
    "Person": ".models.caption",
    "ScrapeTask": ".models.common",
    "TokenUsage": ".models.common",
    "ImageItem": ".models.images",
    "ImageSearchPage": ".models.images",
    "SimilarImage": ".models.images",
    "SimilarImagePage": ".models.images",
    "UploadedImage": ".models.images",
    "SearchClip": ".models.search",
    "Session": ".models.sessions",
    "SessionDetail": ".models.sessions",
    "SessionMessage": ".models.sessions",
    "SessionPage": ".models.sessions",
    "TaskStatus": ".models.tasks",
    "SummaryItem": ".models.transcripts",
    "TranscriptHit": ".models.transcripts",
    "Transcription": ".models.transcripts",
    "TranscriptionUpdate": ".models.transcripts",
    "TranscriptSearchPage": ".models.transcripts",
    "TranscriptSegment": ".models.transcripts",
    "VideoSummary": ".models.transcripts",
    "PublicVideo": ".models.videos",
    "UploadedVideo": ".models.videos",
    "Video": ".models.videos",
    "VideoMetadata": ".models.videos",
    "VideoPage": ".models.videos",
    "VideoStatus": ".models.videos",
    "AsyncPersonalAI": ".personal_ai",
    "DefaultAioHttpClient": "._aiohttp",
    "Completion": ".models.vision",
    "EditTask": ".models.vision",
    "AgentStream": "._agent_stream",
    "AgentComplete": ".models.agents",
    "AgentError": ".models.agents",
    "AgentEvent": ".models.agents",
    "AgentProgress": ".models.agents",
    "AgentRawEvent": ".models.agents",
    "AgentStarted": ".models.agents",
    "AgentToolCall": ".models.agents",
    "AgentToolResult": ".models.agents",
    "AgentVideoReference": ".models.agents",
}


def __getattr__(name: str) -> Any:
    # The sync client among them: scripts/gen_sync.py can import the package even while
    # _sync.py is being rewritten.
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'memories_async' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
