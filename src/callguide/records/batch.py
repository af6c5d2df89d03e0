"""Group commit for records (issue 12): the records of requests that arrive together are written
in one transaction.

Each recorded request waits for the transaction that holds its record, so the status it returns
is true (``recorded`` means committed). While one transaction is being written, the records that
arrive queue up and go in the next one: one request alone is written at once, and sixteen at a
time cost about one commit instead of sixteen. All of it runs through the guard (bounded time, the
circuit breaker): when records are unavailable, every request in the batch says ``failed``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .core import Records

MAX_BATCH = 128
FLUSHES = 2  # transactions in flight at once: one being committed while the next is written


@dataclass
class Pending:
    item: tuple[str | None, str, bool, dict[str, Any]]
    future: asyncio.Future = field(repr=False)


class Batcher:
    def __init__(self, records: "Records"):
        self.records = records
        self._queue: list[Pending] = []
        self._draining = 0

    async def submit(self, key: str | None, client: str, explicit: bool, fields: dict[str, Any]) -> str | None:
        """The record id, ``"fail:<reason>"``, or None; raises RecordsUnavailable like the guard."""
        loop = asyncio.get_running_loop()
        pending = Pending((key, client, explicit, fields), loop.create_future())
        self._queue.append(pending)
        if self._draining < FLUSHES:
            self._draining += 1
            loop.create_task(self._drain())
        return await pending.future

    async def _drain(self) -> None:
        try:
            while self._queue:
                batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
                try:
                    results = await self.records.guard.run(self.records.store.save_batch, self.records.keys,
                                                           [p.item for p in batch])
                except Exception as exc:  # noqa: BLE001 - handed to every request in the batch
                    for p in batch:
                        if not p.future.done():
                            p.future.set_exception(exc)
                    continue
                for p, result in zip(batch, results):
                    if not p.future.done():
                        p.future.set_result(result)
        finally:
            self._draining -= 1
