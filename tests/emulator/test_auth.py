"""Authentication: raw keys in Authorization, x-api-key for Personal.ai, optional key sets."""

from __future__ import annotations

import httpx
import pytest

from memories_async.emulator import Emulator
from memories_async.emulator._app import ROUTES, full_path

from ._support import API


@pytest.mark.parametrize("spec", [s for s in ROUTES if s.host != "personal"], ids=lambda s: s.name)
async def test_every_endpoint_refuses_a_missing_authorization(emu: Emulator, spec: object) -> None:
    from memories_async.emulator._context import RouteSpec

    assert isinstance(spec, RouteSpec)
    async with emu.client(api_key=None) as client:
        r = await client.request(spec.method, full_path(spec), json={})
    assert r.status_code == 200
    if spec.host == "caption":
        assert r.json() == {"code": -1, "msg": "Authorization header is required", "data": None}
    elif spec.name == "vu_chat_completions":  # the v2 completion's own error shape
        assert r.json()["status"] == "errored" and r.json()["error"]["code"] == "auth"
    elif spec.host == "vlm":  # the v2 task endpoints: HTTP's number as an int code
        assert r.json()["code"] == 401 and "Authorization" in r.json()["msg"]
    else:
        assert r.json()["code"] == "0401" and "Authorization" in r.json()["msg"]


async def test_any_non_empty_key_is_accepted_by_default(emu: Emulator) -> None:
    for key in ("sk-anything", "x"):
        async with emu.client(api_key=key) as client:
            r = await client.post(f"{API}/list_videos", json={})
            assert r.json()["code"] == "0000"
    async with emu.client(api_key=None, headers={"Authorization": "   "}) as client:
        assert (await client.post(f"{API}/list_videos", json={})).json()["code"] == "0401"


async def test_a_configured_key_set_refuses_other_keys() -> None:
    async with Emulator(api_keys=["good"], rate_limits=False) as emu:
        async with emu.client(api_key="good") as good, emu.client(api_key="bad") as bad:
            assert (await good.post(f"{API}/list_videos", json={})).json()["code"] == "0000"
            r = await bad.post(f"{API}/list_videos", json={})
            assert r.json() == {
                "code": "0401",
                "msg": "invalid API key",
                "data": None,
                "success": False,
                "failed": True,
            }


async def test_bearer_scheme_is_a_client_bug_except_for_chat_personal(emu: Emulator) -> None:
    async with emu.client(api_key="Bearer sk-test") as client:
        r = await client.post(f"{API}/list_videos", json={})
        assert r.json()["code"] == "0401" and "Bearer" in r.json()["msg"]
        r = await client.post(f"{API}/chat_personal", json={"prompt": "hi"})
        assert r.json()["code"] == "0000"


async def test_legacy_chat_checks_its_access_tokens() -> None:
    body = {"videoNos": ["VI606099815446712320"], "message": "hi", "stream": False}
    async with Emulator(access_tokens={"oauth-token"}) as emu:
        async with emu.client(api_key="oauth-token") as ok, emu.client(api_key="k") as wrong:
            assert (await ok.post("/api/serve/video/chat", json=body)).json()["code"] == "0000"
            r = await wrong.post("/api/serve/video/chat", json=body)
            assert r.json()["code"] == "0401" and r.json()["msg"] == "invalid token"


async def test_personal_ai_key_set() -> None:
    body = {"Text": "t", "SourceName": "s", "DomainName": "d"}
    async with Emulator(personal_keys="pk") as emu:
        for key, status in (("pk", 200), ("nope", 401), ("", 401)):
            async with emu.client(api_key=None, headers={"x-api-key": key}) as client:
                assert (await client.post("/v1/memory", json=body)).status_code == status


async def test_rate_limits_and_state_belong_to_the_key_not_the_client(emu: Emulator) -> None:
    emu.rate_limits.enabled = True
    async with emu.client(api_key="one") as a1, emu.client(api_key="one") as a2:
        async with emu.client(api_key="two") as b:
            assert (await a1.post(f"{API}/chat_personal", json={"prompt": "x"})).json()[
                "code"
            ] == "0000"
            second = await a2.post(f"{API}/chat_personal", json={"prompt": "x"})
            assert second.json()["code"] == "0429"
            assert (await b.post(f"{API}/chat_personal", json={"prompt": "x"})).json()[
                "code"
            ] == "0000"


async def test_auth_errors_come_before_validation(client: httpx.AsyncClient) -> None:
    r = await client.post(f"{API}/search", json={}, headers={"Authorization": ""})
    assert r.json()["code"] == "0401"
