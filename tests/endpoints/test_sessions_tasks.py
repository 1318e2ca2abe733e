"""`client.sessions` and `client.tasks`: contracts from outside the vendor documents."""

from __future__ import annotations

import pytest
import respx

from memories_async import AsyncMemories, InvalidArgumentError, TaskStatus
from tests._support import on_both_backends
from tests.endpoints._wire import API, payload, query, sent_to


@on_both_backends
async def test_list_sessions(client: AsyncMemories, router: respx.MockRouter) -> None:
    route = router.get(f"{API}/list_sessions").respond(json=payload("list_sessions.json"))
    page = await client.sessions.list(page=2, unique_id="u1")
    sent_to(route.calls.last.request, "GET", f"{API}/list_sessions")
    assert query(route.calls.last.request) == {"page": "2", "unique_id": "u1"}
    assert [s.session_id for s in page.sessions] == ["606120397713522688", "606120397713522689"]
    assert (page.total_count, page.has_more) == (2, False)


@on_both_backends
async def test_get_session(client: AsyncMemories, router: respx.MockRouter) -> None:
    route = router.get(f"{API}/get_session_detail").respond(json=payload("get_session_detail.json"))
    detail = await client.sessions.get(606120397713522688)
    sent_to(route.calls.last.request, "GET", f"{API}/get_session_detail")
    assert query(route.calls.last.request) == {
        "sessionId": "606120397713522688",
        "unique_id": "default",
    }
    user, assistant = detail.messages
    assert (user.role, user.thinkings, user.refs) == ("USER", [], [])
    assert assistant.content == "Van Dijk wins the 400 m final."
    assert assistant.thinkings[0].title == "Reading the video"
    assert assistant.refs[0]["refItems"][0]["startTime"] == "185"


@on_both_backends
async def test_session_id_must_be_numeric(client: AsyncMemories, router: respx.MockRouter) -> None:
    catch_all = router.route().respond(json={"code": "0000", "data": None})
    with pytest.raises(InvalidArgumentError, match="session_id"):
        await client.sessions.get("abc")
    assert catch_all.call_count == 0


@on_both_backends
async def test_task_status(client: AsyncMemories, router: respx.MockRouter) -> None:
    route = router.get(f"{API}/get_video_ids_by_task_id").respond(
        json=payload("task_status_ids.json")
    )
    status = await client.tasks.get("4b2d85ea", unique_id="u1")
    sent_to(route.calls.last.request, "GET", f"{API}/get_video_ids_by_task_id")
    assert query(route.calls.last.request) == {"task_id": "4b2d85ea", "unique_id": "u1"}
    assert (status.task_id, status.video_nos, status.is_downloading) == (
        "4b2d85ea",
        ["PI-603068775285264430"],
        False,
    )


def test_task_status_both_shapes_parse() -> None:
    pending = TaskStatus.model_validate(payload("task_status_pending.json")["data"])
    assert pending.is_downloading and pending.video_nos == []
    listed = TaskStatus.model_validate(payload("task_status_videos.json")["data"])
    assert listed.video_nos == ["VI606404158946574336"]
    assert listed.videos[0].size == 3284512
