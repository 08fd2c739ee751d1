"""One LISTEN connection per server process, fanned out to its SSE clients.

Path of a change: a trigger (migration 0002) writes a `realtime_change` row in
the transaction of the change and NOTIFYs it on `venueos_changes`; each
server process holds one `Hub`, whose single psycopg `AsyncConnection`
LISTENs and hands every change to the process's listeners of its venue,
event and organization, each of which decides what it may see. Nothing here
holds a request thread or a database connection per client.

Exactly once, in order
----------------------
The classic pitfall: a bigserial drawn at INSERT is handed out in insert
order, but transactions commit in any order. A listener that has delivered
id 10 can later see id 9 commit; if it skips it, the change is lost, and if
it waits for 9, it must guess how long (9 may have rolled back and will never
come), and a client replaying "after 10" misses 9 for good.

So the id is drawn at COMMIT, in commit order. The triggers are constraint
triggers, DEFERRABLE INITIALLY DEFERRED: they run in the commit's pre-commit
phase, where `realtime_emit` takes one transaction-level advisory lock (the
commit-order lock), draws `nextval`, inserts the row and queues the NOTIFY.
Transaction-level locks are released only after the commit is visible to
other sessions (PostgreSQL releases locks after ProcArrayEndTransaction), so
when the next transaction gets the lock and draws id N+1, the one that drew
N is already visible (or rolled back, leaving a gap nobody waits for). Hence:

1. ids become visible in increasing order: every snapshot that sees id N sees
   (or will never see) every id below N, so "id > X" is a complete answer for
   any X that was ever observed, and a `Last-Event-ID` replay is exact;
2. NOTIFYs are queued by PostgreSQL in commit order, so this hub receives ids
   in increasing order; it delivers an id only if it is above `position`, the
   highest id it has handled, which makes redelivery after a reconnect
   harmless;
3. `position` is the anchor of a new listener: it subscribes first and reads
   `position` at that instant; every later change has a higher id and reaches
   it live; a replay of `(Last-Event-ID, position]` from the table then fills
   exactly the gap, with no duplicates.

The cost is that commits producing changes are serialized for the few
moments between the trigger and the end of COMMIT. PostgreSQL already does
the same for every transaction that NOTIFYs (PreCommit_Notify holds a
cluster-wide lock until after commit so that queue entries appear in commit
order), so the extra lock adds little: it widens that window by the trigger's
own inserts. If a future PostgreSQL drops that lock, this one still holds.

A rollback never reaches the triggers, so it writes and sends nothing. A
`SET CONSTRAINTS ALL IMMEDIATE` makes the triggers run early; the lock is
then held longer, but the order is still the commit order.

Pruning: rows older than `VENUEOS_STREAM_RETENTION_HOURS` are deleted by a
prefix of ids and the highest deleted id is kept (`realtime_prunemark`); a
`Last-Event-ID` below it cannot be replayed exactly and gets `reset`.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import psycopg

logger = logging.getLogger(__name__)

CHANNEL = "venueos_changes"
# Beyond this many rows, a replay or a catch-up becomes a `reset`.
MAX_REPLAY = 10_000
_COLUMNS = "id, kind, organization_id, venue_id, event_id, user_id, public, data"

PRUNE_SQL = """
WITH horizon AS (
    SELECT max(id) AS id FROM realtime_change WHERE created_at < now() - %s
), gone AS (
    DELETE FROM realtime_change WHERE id <= (SELECT id FROM horizon)
)
INSERT INTO realtime_prunemark (id, pruned_through)
SELECT 1, id FROM horizon WHERE id IS NOT NULL
ON CONFLICT (id) DO UPDATE
SET pruned_through = greatest(realtime_prunemark.pruned_through,
                              excluded.pruned_through)
"""
PRUNED_THROUGH_SQL = (
    "SELECT coalesce((SELECT pruned_through FROM realtime_prunemark WHERE id = 1), 0)"
)


@dataclass(frozen=True, slots=True)
class Change:
    id: int
    kind: str
    organization_id: str
    venue_id: str | None
    event_id: str | None
    user_id: str | None
    public: bool
    data: dict[str, Any]
    # The SSE message, encoded once for every listener that may see it.
    message: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        data = json.dumps(self.data, separators=(",", ":"), sort_keys=True)
        text = f"id: {self.id}\nevent: {self.kind}\ndata: {data}\n\n"
        object.__setattr__(self, "message", text.encode())

    @classmethod
    def from_notify(cls, payload: str) -> Change:
        raw = json.loads(payload)
        return cls(
            raw["id"],
            raw["kind"],
            raw["organization_id"],
            raw["venue_id"],
            raw["event_id"],
            raw["user_id"],
            raw["public"],
            raw["data"],
        )

    @classmethod
    def from_row(cls, row: tuple) -> Change:
        change_id, kind, organization, venue, event, user, public, data = row
        return cls(
            change_id,
            kind,
            str(organization),
            venue and str(venue),
            event and str(event),
            user and str(user),
            public,
            data if isinstance(data, dict) else json.loads(data),
        )

    def channels(self) -> Iterable[tuple[str, str]]:
        yield ("organization", self.organization_id)
        if self.venue_id:
            yield ("venue", self.venue_id)
        if self.event_id:
            yield ("event", self.event_id)


def encode_reset(position: int, reason: str) -> bytes:
    data = json.dumps({"reason": reason})
    return f"id: {position}\nevent: reset\ndata: {data}\n\n".encode()


@dataclass(frozen=True, slots=True)
class Reset:
    """Changes up to `position` were lost: the client must reload its view."""

    position: int


# Ends a listener's stream (client gone, too far behind, server closing).
CLOSE = "close"


@dataclass(eq=False, slots=True)
class Listener:
    """One SSE client: its channel and what it may see, resolved at connect."""

    channel: tuple[str, str]
    user_id: str | None
    # Manager of the channel's organization, or admin: sees every change.
    privileged: bool
    backlog_limit: int = 1000
    pending: deque = field(default_factory=deque)
    wakeup: asyncio.Event = field(default_factory=asyncio.Event)

    def may_see(self, change: Change) -> bool:
        return (
            change.public
            or self.privileged
            or (change.user_id is not None and change.user_id == self.user_id)
        )

    def push(self, item: Change | Reset | str) -> None:
        if len(self.pending) >= self.backlog_limit:
            # A client this far behind reconnects and replays from the table.
            self.pending.clear()
            self.pending.append(CLOSE)
        elif not self.pending or self.pending[-1] is not CLOSE:
            self.pending.append(item)
        self.wakeup.set()


async def _scalar(conn: psycopg.AsyncConnection, sql: str, params=None):
    row = await (await conn.execute(sql, params)).fetchone()
    return row[0]


class Hub:
    def __init__(
        self,
        conninfo: str,
        *,
        retention: timedelta,
        prune_every: float = 600.0,
        reconnect_delay: float = 1.0,
    ) -> None:
        self._conninfo = conninfo
        self._retention = retention
        self._prune_every = prune_every
        self._reconnect_delay = reconnect_delay
        self._listeners: dict[tuple[str, str], set[Listener]] = defaultdict(set)
        self._ready = asyncio.Event()
        self._task: asyncio.Task | None = None
        # The highest change id handed to listeners (None until connected).
        self.position: int | None = None

    async def ready(self, timeout: float) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())
        async with asyncio.timeout(timeout):
            await self._ready.wait()

    def subscribe(self, listener: Listener) -> int:
        """Start delivering to `listener`; returns the position it starts after."""
        assert self.position is not None, "subscribe after ready()"
        self._listeners[listener.channel].add(listener)
        return self.position

    def unsubscribe(self, listener: Listener) -> None:
        listeners = self._listeners.get(listener.channel)
        if listeners is not None:
            listeners.discard(listener)
            if not listeners:
                del self._listeners[listener.channel]

    def dispatch(self, change: Change) -> None:
        if self.position is not None and change.id <= self.position:
            return  # seen before a reconnect's catch-up
        self.position = change.id
        for channel in change.channels():
            for listener in self._listeners.get(channel, ()):
                if listener.may_see(change):
                    listener.push(change)

    def _reset_all(self, position: int) -> None:
        for listeners in self._listeners.values():
            for listener in listeners:
                listener.push(Reset(position))

    async def _run(self) -> None:
        while True:
            try:
                await self._listen()
            except asyncio.CancelledError:
                raise
            except (psycopg.Error, OSError) as exc:
                logger.warning(
                    "realtime: LISTEN connection lost (%s); reconnecting", exc
                )
            except Exception:
                # A bug must not leave the process's streams silent for good.
                logger.exception("realtime: hub failed; reconnecting")
            await asyncio.sleep(self._reconnect_delay)

    async def _listen(self) -> None:
        async with await psycopg.AsyncConnection.connect(
            self._conninfo, autocommit=True, application_name="venueos-stream"
        ) as conn:
            await conn.execute(f"LISTEN {CHANNEL}")
            # Anything committed before LISTEN is read from the table; anything
            # after arrives as a NOTIFY (both: `dispatch` skips the second).
            await self._catch_up(conn)
            self._ready.set()
            loop = asyncio.get_running_loop()
            next_prune = loop.time()
            while True:
                if loop.time() >= next_prune:
                    await conn.execute(PRUNE_SQL, [self._retention])
                    next_prune = loop.time() + self._prune_every
                # Notifications that arrive during the prune are kept by psycopg
                # and yielded first.
                async for notify in conn.notifies(timeout=self._prune_every):
                    self.dispatch(Change.from_notify(notify.payload))

    async def _catch_up(self, conn: psycopg.AsyncConnection) -> None:
        async with conn.transaction():
            await conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            pruned = await _scalar(conn, PRUNED_THROUGH_SQL)
            # Never below what was pruned: those ids were committed too.
            newest = await _scalar(
                conn,
                "SELECT greatest(coalesce(max(id), 0), %s) FROM realtime_change",
                [pruned],
            )
            if self.position is None:
                self.position = newest
                return
            if pruned > self.position:
                self._lost(newest)
                return
            rows = await (
                await conn.execute(
                    f"SELECT {_COLUMNS} FROM realtime_change WHERE id > %s "
                    "ORDER BY id LIMIT %s",
                    [self.position, MAX_REPLAY + 1],
                )
            ).fetchall()
        if len(rows) > MAX_REPLAY:
            self._lost(newest)
            return
        for row in rows:
            self.dispatch(Change.from_row(row))

    def _lost(self, newest: int) -> None:
        logger.warning(
            "realtime: changes %s..%s cannot be replayed; listeners get a reset",
            self.position,
            newest,
        )
        self.position = newest
        self._reset_all(newest)
