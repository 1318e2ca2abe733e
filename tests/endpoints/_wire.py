"""Shared by tests/endpoints: the fixtures' payloads and a look at requests on the wire."""

from __future__ import annotations

import email
import email.policy
import json
from dataclasses import dataclass
from typing import Any

import httpx

from tests._support import load_fixture

API = "https://api.memories.ai/serve/api/v1"
CAPTION = "https://security.memories.ai/v1/understand"
KEY = "sk-test-endpoints-0001"


def payload(name: str) -> Any:
    """An answer from tests/fixtures/endpoints/."""
    return load_fixture(f"endpoints/{name}")


@dataclass(frozen=True)
class Part:
    """One part of a multipart body as a server would see it."""

    name: str
    filename: str | None
    content_type: str | None
    data: bytes

    @property
    def text(self) -> str:
        return self.data.decode()


def multipart(request: httpx.Request) -> list[Part]:
    """Parse a multipart request body with the standard library's MIME parser."""
    content_type = request.headers["content-type"]
    assert content_type.startswith("multipart/form-data; boundary=")
    raw = f"Content-Type: {content_type}\r\n\r\n".encode() + request.content
    message = email.message_from_bytes(raw, policy=email.policy.HTTP)
    assert message.is_multipart()
    parts = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        data = part.get_payload(decode=True)
        assert isinstance(name, str) and isinstance(data, bytes)
        explicit_type = part.get("content-type")
        parts.append(Part(name, part.get_filename(), explicit_type and str(explicit_type), data))
    return parts


def form_fields(parts: list[Part]) -> dict[str, str]:
    """The text fields of a multipart body."""
    return {p.name: p.text for p in parts if p.filename is None}


def file_parts(parts: list[Part], name: str) -> list[Part]:
    """The file parts of one field, in order."""
    return [p for p in parts if p.filename is not None and p.name == name]


def json_body(request: httpx.Request) -> Any:
    """A JSON request body, after checking it is declared as one."""
    assert request.headers["content-type"] == "application/json"
    return json.loads(request.content)


def query(request: httpx.Request) -> dict[str, str]:
    """The query string as a flat dict."""
    return dict(request.url.params)


def sent_to(request: httpx.Request, method: str, url: str) -> None:
    """Assert the method, scheme, host and path of a request (the query is checked apart)."""
    assert request.method == method
    assert str(request.url.copy_with(query=None)) == url
