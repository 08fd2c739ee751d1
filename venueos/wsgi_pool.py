"""The synchronous Django app behind the ASGI server, on a fixed pool of
threads per worker: the pool's size is the concurrency bound (`asgi.py`).

This replaced `a2wsgi.WSGIMiddleware`, which crossed between the event loop
and the request's thread once per ASGI message (the response start, each body
chunk, the end): three blocking round trips for a plain response, each a
wake-up of the loop and a hand-over of the GIL, about a third of the served
cost of a trivial request (docs/adr/0008-serving-floor.md). Here a request
crosses twice: the loop reads the body, the thread runs Django and hands back
the whole response, the loop sends it. Only a streaming response (a static
file, a `StreamingHttpResponse`) crosses once per chunk, and only a body
larger than `BUFFERED_BODY` is read from the thread, chunk by chunk.
"""

from __future__ import annotations

import asyncio
import contextvars
import itertools
import sys
from concurrent.futures import ThreadPoolExecutor

# What the loop reads of a body before the call: every JSON body the API
# takes. A request waiting for a thread holds at most this much; the rest of a
# larger body stays with the server's flow control until the view reads it.
BUFFERED_BODY = 64 * 1024


class _Body:
    """`wsgi.input`: what the loop read, then the rest fetched from the loop."""

    def __init__(self, head: bytes, more: bool, loop, receive):
        self._buffer = bytearray(head)
        self._more = more
        self._loop = loop
        self._receive = receive

    def _fetch(self) -> None:
        message = asyncio.run_coroutine_threadsafe(self._receive(), self._loop).result()
        if message["type"] == "http.request":
            self._buffer += message.get("body", b"")
            self._more = message.get("more_body", False)
        else:  # http.disconnect: the body ends here
            self._more = False

    def _take(self, size: int) -> bytes:
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def read(self, size: int = -1) -> bytes:
        while self._more and (size < 0 or len(self._buffer) < size):
            self._fetch()
        return self._take(len(self._buffer) if size < 0 else size)

    def readline(self, size: int = -1) -> bytes:
        while (
            self._more
            and b"\n" not in self._buffer
            and (size < 0 or len(self._buffer) < size)
        ):
            self._fetch()
        end = self._buffer.find(b"\n") + 1 or len(self._buffer)
        return self._take(end if size < 0 else min(end, size))

    def __iter__(self):
        while line := self.readline():
            yield line


def _environ(scope, body: _Body) -> dict:
    root = scope.get("root_path", "")
    path = scope["path"]
    if root and path.startswith(root):
        path = path[len(root) :]
    server = scope.get("server") or ("localhost", 80)
    environ = {
        "REQUEST_METHOD": scope["method"],
        # WSGI strings are bytes in Latin-1 clothing: the URL's UTF-8 bytes.
        "SCRIPT_NAME": root.encode().decode("latin-1"),
        "PATH_INFO": path.encode().decode("latin-1"),
        "QUERY_STRING": scope["query_string"].decode("latin-1"),
        "SERVER_NAME": server[0],
        "SERVER_PORT": str(server[1] or 0),
        "SERVER_PROTOCOL": f"HTTP/{scope['http_version']}",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": body,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    client = scope.get("client")
    if client:
        environ["REMOTE_ADDR"], environ["REMOTE_PORT"] = client[0], str(client[1])
    for raw_name, raw_value in scope["headers"]:
        name = raw_name.decode("latin-1").upper().replace("-", "_")
        if name not in ("CONTENT_LENGTH", "CONTENT_TYPE"):
            name = "HTTP_" + name
        value = raw_value.decode("latin-1")
        if name in environ:  # a repeated header: one comma-joined value
            value = environ[name] + "," + value
        environ[name] = value
    return environ


def _start_message(status: str, headers) -> dict:
    return {
        "type": "http.response.start",
        "status": int(status.split(" ", 1)[0]),
        "headers": [
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in headers
        ],
    }


class ThreadPoolWSGI:
    """An ASGI app that runs a WSGI app on `workers` threads, no more: a burst
    of requests waits in the event loop, as coroutines, for a free thread."""

    def __init__(self, app, workers: int):
        self.app = app
        self.executor = ThreadPoolExecutor(workers, thread_name_prefix="wsgi")

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            if scope["type"] == "websocket":  # none served: refused (403)
                await send({"type": "websocket.close", "code": 1000})
            return
        loop = asyncio.get_running_loop()
        head, more = bytearray(), True
        while more and len(head) < BUFFERED_BODY:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client left before its request was complete
            head += message.get("body", b"")
            more = message.get("more_body", False)
        environ = _environ(scope, _Body(head, more, loop, receive))
        response = await loop.run_in_executor(
            self.executor,
            contextvars.copy_context().run,
            self._respond,
            environ,
            loop,
            send,
        )
        if response is not None:  # None: streamed from the thread
            start, body = response
            await send(start)
            await send({"type": "http.response.body", "body": body})

    def _respond(self, environ, loop, send):
        """On a pool thread: (start message, whole body), or None once a
        streaming response has been sent chunk by chunk."""
        start: list[dict] = []
        sent = False
        written: list[bytes] = []

        def start_response(status, headers, exc_info=None):
            if exc_info is not None and sent:
                raise exc_info[1].with_traceback(exc_info[2])
            start[:] = [_start_message(status, headers)]
            return written.append

        iterable = self.app(environ, start_response)
        try:
            if not getattr(iterable, "streaming", False):
                body = b"".join(iterable)
                return start[0], b"".join(written) + body if written else body

            def emit(message):
                asyncio.run_coroutine_threadsafe(send(message), loop).result()

            for chunk in itertools.chain(written, iterable):
                if not sent:
                    emit(start[0])
                    sent = True
                if chunk:
                    emit(
                        {"type": "http.response.body", "body": chunk, "more_body": True}
                    )
            if not sent:
                emit(start[0])
            emit({"type": "http.response.body", "body": b""})
            return None
        finally:
            close = getattr(iterable, "close", None)
            if close is not None:
                close()  # Django's request_finished: on this request's thread
