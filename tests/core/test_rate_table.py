"""The vendor's rate table, endpoint by endpoint: each request waits in the bucket API.md gives it,
and each bucket allows what the table says."""

from __future__ import annotations

import importlib
import pkgutil

import memories_async
from memories_async import DEFAULT_RATES, Rate
from memories_async._pipeline import Endpoint
from tests._support import load_fixture

TABLE = load_fixture("core/rate_table.json")
CAPTION_PREFIX = "/v1/understand/"  # buckets chosen per call: tests/endpoints/test_caption.py


def every_endpoint() -> dict[str, Endpoint]:
    """Every `Endpoint` defined anywhere in the package, by `"METHOD path"`."""
    found: dict[str, Endpoint] = {}
    for info in pkgutil.walk_packages(memories_async.__path__, "memories_async."):
        if ".emulator" in info.name or info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if isinstance(value, Endpoint):
                found[f"{value.method} {value.path}"] = value
    return found


def test_each_endpoint_waits_in_the_bucket_the_table_gives_it() -> None:
    endpoints = {
        key: endpoint.bucket
        for key, endpoint in every_endpoint().items()
        if not endpoint.path.startswith(CAPTION_PREFIX)
    }
    assert endpoints == TABLE["endpoints"]


def test_each_bucket_allows_what_the_table_says() -> None:
    expected = {name: Rate(limit, period) for name, (limit, period) in TABLE["rates"].items()}
    assert dict(DEFAULT_RATES) == expected
