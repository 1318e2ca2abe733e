"""`AsyncPersonalAI`: its own host, `x-api-key`, the document's date format, tags."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

import pytest
import respx

from memories_async import AuthenticationError, InvalidArgumentError, RetryPolicy
from memories_async.personal_ai import AsyncPersonalAI, format_created_time
from tests._support import on_both_backends
from tests.endpoints._wire import json_body, payload, sent_to

MEMORY = "https://api.personal.ai/v1/memory"
FAST = RetryPolicy(initial_delay=0.001, max_delay=0.002)


def test_created_time_looks_like_the_document() -> None:
    # The document's "Wed, 19 Sep 2023" names the wrong weekday: that day was a Tuesday.
    moment = datetime(2023, 9, 19, 13, 31, tzinfo=ZoneInfo("America/Los_Angeles"))
    assert format_created_time(moment) == "Tue, 19 Sep 2023 13:31:00 PDT"
    assert format_created_time(moment.astimezone(timezone.utc)) == "Tue, 19 Sep 2023 20:31:00 UTC"
    cest = datetime(2023, 9, 19, 22, 31, tzinfo=ZoneInfo("Europe/Paris"))
    assert format_created_time(cest) == "Tue, 19 Sep 2023 22:31:00 +0200"
    fixed = datetime(2024, 1, 5, 1, 2, 3, tzinfo=timezone(timedelta(hours=-3, minutes=-30)))
    assert format_created_time(fixed) == "Fri, 05 Jan 2024 01:02:03 -0330"
    with pytest.raises(InvalidArgumentError, match="created_time"):
        format_created_time(datetime(2023, 9, 19, 13, 31))


@on_both_backends
async def test_create_memory_on_the_wire_and_example() -> None:
    with respx.mock() as router:
        route = router.post(MEMORY).respond(json=payload("personal_memory.json"))
        async with AsyncPersonalAI(api_key="pai-key-000001", domain_name="ai-climbing") as pai:
            result = await pai.memories.create(
                "my cat is born in #2000",
                source_name="Twitter",
                created_time=datetime(2023, 9, 19, 13, 31, tzinfo=ZoneInfo("America/Los_Angeles")),
                raw_feed_text="My <b>cat</b> is born in <b>2000</b>",
                tags=["pet", "cat", "meow two"],
            )
    request = route.calls.last.request
    sent_to(request, "POST", MEMORY)
    assert request.headers["x-api-key"] == "pai-key-000001"
    assert "authorization" not in request.headers
    assert json_body(request) == {
        "Text": "my cat is born in #2000",
        "SourceName": "Twitter",
        "DomainName": "ai-climbing",
        "CreatedTime": "Tue, 19 Sep 2023 13:31:00 PDT",
        "RawFeedText": "My <b>cat</b> is born in <b>2000</b>",
        "Tags": "pet,cat,meow two",
    }
    (block,) = result.blocks
    assert (block.type, block.memlevel, block.memlabel) == (
        "MEMORY",
        "MEMBLOCK",
        "my cat is born in #2000",
    )
    assert block.start_time_utc == datetime(2023, 9, 19, 20, 31, tzinfo=timezone.utc)
    assert [t.value for t in block.topics] == ["pet", "cat", "meow two"]
    assert block.source is not None and block.source.name == "Twitter"


@on_both_backends
async def test_created_time_defaults_to_now() -> None:
    with respx.mock() as router:
        route = router.post("http://127.0.0.1:9/v1/memory").respond(json={"type": "memory"})
        async with AsyncPersonalAI(
            api_key="pai-key-000001", domain_name="d", base_url="http://127.0.0.1:9"
        ) as pai:
            before = datetime.now(timezone.utc).replace(microsecond=0)
            await pai.memories.create("hi", source_name="Notes", tags="a,b")
    body = json_body(route.calls.last.request)
    sent = parsedate_to_datetime(body["CreatedTime"])
    assert sent.tzinfo is not None and abs((sent - before).total_seconds()) < 5
    assert body["Tags"] == "a,b"


@on_both_backends
async def test_errors_are_mapped_and_bad_input_is_refused() -> None:
    with respx.mock() as router:
        route = router.post(MEMORY).respond(401, json={"message": "invalid api key"})
        async with AsyncPersonalAI(
            api_key="pai-key-000001", domain_name="d", max_retries=FAST
        ) as pai:
            with pytest.raises(AuthenticationError, match="invalid api key"):
                await pai.memories.create("hi", source_name="Notes")
            assert route.call_count == 1
            for field, kwargs in [
                ("text", {"text": "", "source_name": "Notes"}),
                ("source_name", {"text": "hi", "source_name": " "}),
                ("tags[1]", {"text": "hi", "source_name": "N", "tags": ["a", "b,c"]}),
            ]:
                with pytest.raises(InvalidArgumentError) as caught:
                    await pai.memories.create(**kwargs)  # type: ignore[arg-type]
                assert caught.value.field == field
            assert route.call_count == 1


def test_client_configuration_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PERSONAL_AI_API_KEY", raising=False)
    with pytest.raises(InvalidArgumentError, match="api_key"):
        AsyncPersonalAI(domain_name="d")
    with pytest.raises(InvalidArgumentError, match="domain_name"):
        AsyncPersonalAI(api_key="k", domain_name="")
    with pytest.raises(InvalidArgumentError, match="base_url"):
        AsyncPersonalAI(api_key="k", domain_name="d", base_url="http://example.com")
    monkeypatch.setenv("PERSONAL_AI_API_KEY", "pai-from-env-0001")
    pai = AsyncPersonalAI(domain_name="d")
    assert "pai-from-env" not in repr(pai)
