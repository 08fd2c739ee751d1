"""Per-process caches of derived reads, keyed by a data version the database
bumps in the same transaction as the change (design: the database stays the
only judge of a write; a read never misses a change that committed before it
began; identical concurrent computations run once).

The rules that make a hit exact:

- The caller reads the version *before* the data it computes from. The data
  is then at least as new as the version, so an entry stored under version N
  is never older than N; a read that began after a change committed sees a
  higher version (the triggers bump it at COMMIT) and misses.
- Only reads in autocommit mode use the cache. Inside a transaction the
  caller may see its own uncommitted writes, which no version counts yet.
- Concurrent callers with the same key wait for the first one's answer
  instead of computing it again (single flight), so a storm of identical
  questions costs one computation per process. An exception is not cached:
  each waiter then computes for itself.

Entries are dropped least-recently-used beyond `max_entries`; a version
change simply makes the old keys unreachable until they age out.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from django.db import connection

from venueos.common.metrics import READ_CACHE

T = TypeVar("T")


class _Flight:
    __slots__ = ("done", "value", "failed")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.value = None
        self.failed = False


class VersionedCache(Generic[T]):
    def __init__(self, name: str, max_entries: int = 2048) -> None:
        self.name = name
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, T] = OrderedDict()
        self._flights: dict[Hashable, _Flight] = {}
        self._lock = threading.Lock()

    def get_or_compute(
        self,
        version: Callable[[], Hashable | None],
        key: Hashable,
        compute: Callable[[], T],
    ) -> T:
        """The value of `compute()` for `key` at the data version `version()`
        returns (None: nothing to key on, compute afresh), computing it at most
        once at a time per process. `version` runs first, before `compute`
        reads anything."""
        if connection.in_atomic_block:
            return compute()
        current = version()
        if current is None:
            return compute()
        key = (key, current)
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                READ_CACHE.labels(self.name, "hit").inc()
                return self._entries[key]
            flight = self._flights.get(key)
            leader = flight is None
            if leader:
                flight = self._flights[key] = _Flight()
        if not leader:
            flight.done.wait()
            if not flight.failed:
                READ_CACHE.labels(self.name, "shared").inc()
                return flight.value
            return compute()
        READ_CACHE.labels(self.name, "miss").inc()
        try:
            value = compute()
        except BaseException:
            flight.failed = True
            raise
        else:
            flight.value = value
            with self._lock:
                self._entries[key] = value
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)
            return value
        finally:
            with self._lock:
                self._flights.pop(key, None)
            flight.done.set()

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
