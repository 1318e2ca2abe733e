"""Scraping tasks: which videos a `scrape` or `scrape_creator` task has produced."""

from __future__ import annotations

from .._extras import Body, Headers, Query
from .._pipeline import Endpoint
from .._validate import non_empty
from ..models.tasks import TaskStatus
from ._base import AsyncResource

__all__ = ["AsyncTasks"]

TASK_STATUS = Endpoint(
    "get_video_ids_by_task_id",
    "GET",
    "/serve/api/v1/get_video_ids_by_task_id",
    bucket="task_status",
)


class AsyncTasks(AsyncResource):
    """`client.tasks`: follow scraping tasks."""

    async def get(
        self,
        task_id: str,
        *,
        unique_id: str | None = None,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
    ) -> TaskStatus:
        """The videos a scraping task has produced so far (none while it is still downloading).

        This contract (`get_video_ids_by_task_id`) comes from public clients and newer vendor
        pages, not from the vendor documents; both answer shapes seen there are accepted.
        """
        params = {"task_id": non_empty("task_id", task_id), "unique_id": self._unique_id(unique_id)}
        return await self._pipeline.request(
            TASK_STATUS,
            params=params,
            cast_to=TaskStatus,
            extras=self._extras(extra_headers, extra_query, extra_body),
        )
