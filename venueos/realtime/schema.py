"""The stream in the OpenAPI schema.

`/api/v1/stream/` is served by an ASGI app of its own (venueos/asgi.py), not
by a DRF view, so drf-spectacular cannot find it; this post-processing hook
describes it instead.
"""

EVENT_NAMES = [
    "booking.created",
    "booking.updated",
    "booking.cancelled",
    "availability.changed",
    "event.updated",
    "event.status_changed",
    "registration.created",
    "registration.cancelled",
    "reset",
]

_DESCRIPTION = """\
Server-sent events (`text/event-stream`) about one venue, event or
organization: give exactly one of `venue_id`, `event_id`, `organization_id`.

Each message has an `id` (increasing along the stream), an `event` name
(`booking.created`, `booking.updated`, `booking.cancelled`,
`availability.changed`, `event.updated`, `event.status_changed`,
`registration.created`, `registration.cancelled`) and one JSON `data` line
with ids, times, statuses and counts, never titles, names or e-mail
addresses. A comment (`: heartbeat`) is sent every 15 seconds of silence.

Who sees what: everyone sees `availability.changed` (space and times only)
and the events that are not drafts; the organization's managers and admins
see every message of their venues and events; a signed-in person also sees
the `booking.*` and `registration.*` messages of their own bookings and
registrations. An organization's stream is for its managers and admins only.
A draft event's stream is a 404 to anyone else.

Reconnecting with `Last-Event-ID` (EventSource does it by itself; or the
`last_event_id` parameter) replays what was missed, exactly once and in
order. When that is no longer known (older than the retention, default 24 h)
the stream sends a `reset` event: reload what you show, then carry on.
Authentication: the session cookie or `Authorization: Bearer <token>`,
checked once, when the stream opens.
"""


def _uuid_parameter(name: str, what: str) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": {"type": "string", "format": "uuid"},
        "description": f"Stream the changes of this {what}.",
    }


def add_stream_path(result, generator, request, public):
    problem = {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
    }
    responses = {
        "200": {
            "description": "An endless stream of server-sent events.",
            "content": {
                "text/event-stream": {
                    "schema": {
                        "type": "string",
                        "description": "Messages `id: N`, `event: NAME`, "
                        "`data: {json}`, separated by blank lines; event names: "
                        + ", ".join(EVENT_NAMES)
                        + ".",
                    }
                }
            },
        },
        "400": {"description": "Invalid parameters", "content": problem},
        "401": {"description": "Authentication required", "content": problem},
        "403": {"description": "Permission denied", "content": problem},
        "404": {"description": "Not found", "content": problem},
        "503": {"description": "Live updates unavailable", "content": problem},
    }
    result.setdefault("paths", {})["/api/v1/stream/"] = {
        "get": {
            "operationId": "stream_retrieve",
            "summary": "Live changes (server-sent events)",
            "description": _DESCRIPTION,
            "tags": ["stream"],
            "parameters": [
                _uuid_parameter("venue_id", "venue"),
                _uuid_parameter("event_id", "event"),
                _uuid_parameter("organization_id", "organization"),
                {
                    "name": "last_event_id",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "integer", "minimum": 0},
                    "description": "Like the Last-Event-ID header, for clients "
                    "that open a new connection.",
                },
                {
                    "name": "Last-Event-ID",
                    "in": "header",
                    "required": False,
                    "schema": {"type": "string"},
                    "description": "The id of the last message received.",
                },
            ],
            "responses": responses,
            "security": [{"bearerAuth": []}, {"cookieAuth": []}, {}],
        }
    }
    return result
