"""`GET /api/v1/stream/`: server-sent events, served as a plain ASGI app.

Routed by `venueos/asgi.py` before the request thread pool, and not through
Django's ASGI handler either (that one gives every request a thread of its
own for its synchronous middleware, kept for as long as the response lasts).
Per client, while it waits, there is one coroutine and one `Listener` in the
process's `Hub`: no thread and no database connection.

The synchronous work happens once, at connect, on a small thread pool of its
own (two threads: with the six request threads that is the eight connections
`venueos serve` gives Django's pool per worker): who is asking (session
cookie or `Authorization: Bearer|Token`, as everywhere else), which channel,
what they may see, and the `Last-Event-ID` replay.

Who sees what (decided at connect, applied per change by `Listener.may_see`):
- a venue's channel: everyone gets the public changes (`availability.changed`
  with space ids and times only, and the events that are not drafts); the
  venue's managers and admins get everything; a signed-in person also gets
  the `booking.*` / `registration.*` messages of their own bookings and
  registrations;
- an event's channel: the same, and a draft event's channel is a 404 for
  anyone but its managers, like the event itself;
- an organization's channel: its managers and admins only (401 anonymous, 403
  signed in, 404 unknown).
No message carries a title, a name or an e-mail address: ids, times,
statuses and counts only. A manager who wants the title reads the booking.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import import_module

from django.conf import settings
from django.contrib.auth import get_user
from django.contrib.auth.models import AnonymousUser
from django.core.handlers.asgi import ASGIRequest
from django.db import (
    DatabaseError,
    close_old_connections,
    connection,
    connections,
    transaction,
)
from psycopg.conninfo import make_conninfo
from rest_framework import exceptions as drf_exceptions

from venueos.accounts.authentication import ApiTokenAuthentication
from venueos.accounts.models import Organization
from venueos.common.api import parse_uuid
from venueos.common.metrics import STREAM_CLIENTS
from venueos.common.permissions import (
    manages_organization,
    require_manager_of,
    require_signed_in,
)
from venueos.common.problems import (
    PROBLEM_CONTENT_TYPE,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    Problem,
    ServiceUnavailable,
)
from venueos.events.selectors import event_get
from venueos.realtime.hub import (
    _COLUMNS,
    CLOSE,
    MAX_REPLAY,
    PRUNED_THROUGH_SQL,
    Change,
    Hub,
    Listener,
    Reset,
    encode_reset,
)
from venueos.venues.selectors import venue_get

logger = logging.getLogger(__name__)

PATHS = frozenset({"/api/v1/stream/", "/api/v1/stream"})
CHANNEL_PARAMETERS = ("venue_id", "event_id", "organization_id")
_EVENT_ID = re.compile(r"\d{1,18}")
# EventSource waits this long before reconnecting after a drop.
RETRY_MS = 2000
HUB_READY_TIMEOUT = 10.0

_connect_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="stream-connect")
_hub: Hub | None = None


def hub() -> Hub:
    """The process's hub (created on first use, in the serving event loop)."""
    global _hub
    if _hub is None:
        params = connections["default"].settings_dict
        conninfo = make_conninfo(
            dbname=params["NAME"],
            user=params["USER"] or None,
            password=params["PASSWORD"] or None,
            host=params["HOST"] or None,
            port=params["PORT"] or None,
        )
        _hub = Hub(
            conninfo,
            retention=settings.VENUEOS_STREAM_RETENTION,
        )
    return _hub


@dataclass(frozen=True)
class Subscription:
    channel: tuple[str, str]
    user_id: str | None
    privileged: bool
    last_event_id: int | None


# --- connect (synchronous, on the connect pool) -------------------------------


def _authenticate(request: ASGIRequest):
    """The same answers as the API: a bad token is a 401, never anonymous."""
    try:
        result = ApiTokenAuthentication().authenticate(request)
    except drf_exceptions.AuthenticationFailed as exc:
        raise NotAuthenticated(str(exc.detail)) from exc
    if result is not None:
        return result[0]
    session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if session_key:
        engine = import_module(settings.SESSION_ENGINE)
        request.session = engine.SessionStore(session_key)
        return get_user(request)
    return AnonymousUser()


def _last_event_id(request: ASGIRequest) -> int | None:
    """`Last-Event-ID` (what EventSource sends when it reconnects), or the
    `last_event_id` parameter for clients that open a new EventSource."""
    raw = request.headers.get("Last-Event-ID")
    if raw is None:
        raw = request.GET.get("last_event_id")
    if raw is None or raw == "":
        return None
    if not _EVENT_ID.fullmatch(raw.strip()):
        raise InvalidInput.field(
            "Last-Event-ID", "Last-Event-ID must be an id this stream sent."
        )
    return int(raw)


def _channel(request: ASGIRequest, user) -> tuple[tuple[str, str], bool]:
    given = [name for name in CHANNEL_PARAMETERS if name in request.GET]
    if len(given) != 1 or len(request.GET.getlist(given[0])) != 1:
        raise InvalidInput(
            "Give exactly one of venue_id, event_id or organization_id, once."
        )
    name = given[0]
    value = parse_uuid(request.GET[name], name)
    if name == "venue_id":
        venue = venue_get(value, user=user)  # archived: a 404 to the public
        return ("venue", str(value)), manages_organization(user, venue.organization_id)
    if name == "event_id":
        event = event_get(value, user=user)  # a draft is a 404 to the public
        return ("event", str(value)), manages_organization(user, event.organization_id)
    require_signed_in(user)
    if not Organization.objects.filter(pk=value).exists():
        raise NotFound("No such organization.")
    require_manager_of(user, value)
    return ("organization", str(value)), True


def subscription_for(request: ASGIRequest) -> Subscription:
    close_old_connections()
    try:
        last_event_id = _last_event_id(request)
        user = _authenticate(request)
        channel, privileged = _channel(request, user)
        return Subscription(
            channel,
            str(user.pk) if user.is_authenticated else None,
            privileged,
            last_event_id,
        )
    finally:
        close_old_connections()


@dataclass(frozen=True)
class Replay:
    changes: list[Change]
    # Set when the gap cannot be filled exactly: the client must reload.
    reset_reason: str | None = None
    pruned_through: int = 0


def replay(subscription: Subscription, after: int, through: int) -> Replay:
    """What `subscription` may see with `after < id <= through`, from one
    snapshot (so a concurrent prune cannot open a hole between the check and
    the read)."""
    close_old_connections()
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor.execute(PRUNED_THROUGH_SQL)
            (pruned,) = cursor.fetchone()
            cursor.execute(
                "SELECT CASE WHEN is_called THEN last_value ELSE 0 END "
                "FROM realtime_change_id_seq"
            )
            (newest,) = cursor.fetchone()
            if after > newest:
                return Replay(
                    [], "Last-Event-ID is not from this server's stream.", pruned
                )
            if after < pruned:
                return Replay(
                    [], "Last-Event-ID is older than the stream remembers.", pruned
                )
            if after >= through:
                return Replay([])
            kind, key = subscription.channel
            column = {"venue": "venue_id", "event": "event_id"}.get(
                kind, "organization_id"
            )
            cursor.execute(
                f"SELECT {_COLUMNS} FROM realtime_change "
                f"WHERE {column} = %s AND id > %s AND id <= %s "
                "AND (public OR %s OR user_id = %s) ORDER BY id LIMIT %s",
                [
                    key,
                    after,
                    through,
                    subscription.privileged,
                    subscription.user_id,
                    MAX_REPLAY + 1,
                ],
            )
            rows = cursor.fetchall()
        if len(rows) > MAX_REPLAY:
            return Replay([], "Too much was missed to replay.")
        return Replay([Change.from_row(row) for row in rows])
    finally:
        close_old_connections()


# --- the ASGI app -------------------------------------------------------------


async def _send_problem(send, problem: Problem) -> None:
    headers = [(b"content-type", PROBLEM_CONTENT_TYPE.encode())]
    if problem.status == 401:
        headers.append((b"www-authenticate", b'Bearer realm="api"'))
    await send(
        {"type": "http.response.start", "status": problem.status, "headers": headers}
    )
    await send(
        {"type": "http.response.body", "body": json.dumps(problem.as_dict()).encode()}
    )


async def _wait_for_disconnect(receive, listener: Listener) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            listener.push(CLOSE)
            return


async def stream(scope, receive, send) -> None:
    if scope["method"] != "GET":
        await _send_problem(
            send,
            Problem("Only GET is allowed here.", status=405, slug="method-not-allowed"),
        )
        return
    the_hub = hub()
    listener = None
    try:
        subscription = await _run_sync(
            subscription_for, ASGIRequest(scope, io.BytesIO())
        )
        try:
            await the_hub.ready(HUB_READY_TIMEOUT)
        except TimeoutError as exc:
            raise ServiceUnavailable(
                "Live updates are unavailable right now; retry shortly.", retry=True
            ) from exc
        listener = Listener(
            subscription.channel,
            subscription.user_id,
            subscription.privileged,
            backlog_limit=settings.VENUEOS_STREAM_BACKLOG,
        )
        position = the_hub.subscribe(listener)
        opening, last = await _opening(subscription, position)
    except (Problem, DatabaseError) as exc:
        if listener is not None:
            the_hub.unsubscribe(listener)
        problem = exc if isinstance(exc, Problem) else _DATABASE_DOWN
        await _send_problem(send, problem)
        return
    watcher = asyncio.get_running_loop().create_task(
        _wait_for_disconnect(receive, listener)
    )
    STREAM_CLIENTS.inc()
    try:
        await _serve(send, listener, opening, last)
    finally:
        STREAM_CLIENTS.dec()
        the_hub.unsubscribe(listener)
        watcher.cancel()


_DATABASE_DOWN = ServiceUnavailable(
    "Live updates are unavailable right now (database); retry shortly.", retry=True
)


async def _run_sync(function, *args):
    return await asyncio.get_running_loop().run_in_executor(
        _connect_pool, function, *args
    )


async def _opening(subscription: Subscription, position: int) -> tuple[bytes, int]:
    """What the stream starts with, and the id the client is at after it."""
    first = [f"retry: {RETRY_MS}\n\n".encode()]
    last = position
    after = subscription.last_event_id
    if after is not None:
        missed = await _run_sync(replay, subscription, after, position)
        if missed.reset_reason:
            last = max(position, missed.pruned_through)
            first.append(encode_reset(last, missed.reset_reason))
        else:
            first.extend(change.message for change in missed.changes)
            # A client ahead of this server (it came from another one whose
            # LISTEN was quicker) gets nothing twice.
            last = max(after, position)
    # The client's position, even before its first message: a drop right
    # after connecting still resumes from here.
    first.append(f"id: {last}\n\n".encode())
    return b"".join(first), last


async def _serve(send, listener: Listener, opening: bytes, last: int) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"text/event-stream; charset=utf-8"),
                (b"cache-control", b"no-cache, no-transform"),
                (b"x-accel-buffering", b"no"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": opening, "more_body": True})
    heartbeat = settings.VENUEOS_STREAM_HEARTBEAT_SECONDS
    loop = asyncio.get_running_loop()
    # Ending the stream makes the client reconnect, so who may see what is
    # decided again; what was not sent yet is replayed from Last-Event-ID.
    ends_at = loop.time() + settings.VENUEOS_STREAM_MAX_SECONDS
    while True:
        remaining = ends_at - loop.time()
        if remaining <= 0:
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        try:
            async with asyncio.timeout(min(heartbeat, remaining)):
                await listener.wakeup.wait()
        except TimeoutError:
            if loop.time() >= ends_at:
                continue
            await send(
                {
                    "type": "http.response.body",
                    "body": b": heartbeat\n\n",
                    "more_body": True,
                }
            )
            continue
        listener.wakeup.clear()
        chunks = []
        closing = False
        while listener.pending:
            item = listener.pending.popleft()
            if item is CLOSE:
                closing = True
                break
            if isinstance(item, Reset):
                last = max(last, item.position)
                chunks.append(encode_reset(last, "The stream lost track; reload."))
            elif item.id > last:
                last = item.id
                chunks.append(item.message)
        if chunks:
            await send(
                {
                    "type": "http.response.body",
                    "body": b"".join(chunks),
                    "more_body": True,
                }
            )
        if closing:
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
