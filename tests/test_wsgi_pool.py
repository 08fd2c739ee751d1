"""`ThreadPoolWSGI` (venueos/wsgi_pool.py), driven as the ASGI server drives it:
bodies in and out, streaming, the bound on threads, and the one hand-over per
request that makes it cheaper than the bridge it replaced."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from venueos import wsgi_pool
from venueos.wsgi_pool import BUFFERED_BODY, ThreadPoolWSGI


def _run(coroutine):
    """On a thread of its own: some tests (the browser's) leave an event loop
    running in the main thread."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


def _scope(method="GET", path="/x", query=b"", headers=()):
    return {
        "type": "http",
        "http_version": "1.1",
        "method": method,
        "path": path,
        "root_path": "",
        "query_string": query,
        "headers": [(k.encode(), v.encode()) for k, v in headers],
        "client": ("203.0.113.9", 4711),
        "server": ("127.0.0.1", 8000),
        "scheme": "http",
    }


async def _call(app, scope, chunks=(b"",)):
    """The messages the app sends, for a body arriving in `chunks`."""
    incoming = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
        for i, c in enumerate(chunks)
    ]
    sent = []

    async def receive():
        if incoming:
            return incoming.pop(0)
        await asyncio.sleep(3600)

    async def send(message):
        sent.append(message)

    await app(scope, receive, send)
    return sent


def _echo(environ, start_response):
    """Answers with what it was given."""
    body = environ["wsgi.input"].read()
    start_response(
        "201 Created",
        [("Content-Type", "text/plain"), ("X-Path", environ["PATH_INFO"])],
    )
    seen = (
        f"{environ['REQUEST_METHOD']} {environ['QUERY_STRING']} "
        f"{environ['REMOTE_ADDR']} {environ.get('CONTENT_TYPE')} "
        f"{environ.get('HTTP_X_TWICE')} {len(body)} "
    )
    return [seen.encode(), body[:5]]


def test_a_response_is_sent_whole_with_status_headers_and_the_request_seen():
    app = ThreadPoolWSGI(_echo, workers=2)
    sent = _run(
        _call(
            app,
            _scope(
                "POST",
                "/caf\u00e9/",
                b"a=1",
                [("content-type", "text/plain"), ("x-twice", "1"), ("x-twice", "2")],
            ),
            [b"hello ", b"world"],
        )
    )
    assert sent == [
        {
            "type": "http.response.start",
            "status": 201,
            "headers": [
                (b"content-type", b"text/plain"),
                (b"x-path", "/café/".encode()),  # the URL's UTF-8 bytes
            ],
        },
        {
            "type": "http.response.body",
            "body": b"POST a=1 203.0.113.9 text/plain 1,2 11 hello",
        },
    ]


def test_a_plain_request_crosses_from_its_thread_to_the_loop_never(monkeypatch):
    """The point of the module: no blocking round trip per ASGI message (a2wsgi
    made three for a plain response), only the executor's hand-over."""
    crossings = []
    real = asyncio.run_coroutine_threadsafe

    def counting(coroutine, loop):
        crossings.append(coroutine)
        return real(coroutine, loop)

    monkeypatch.setattr(wsgi_pool.asyncio, "run_coroutine_threadsafe", counting)
    app = ThreadPoolWSGI(_echo, workers=2)
    _run(_call(app, _scope("POST"), [b'{"a": 1}']))
    assert crossings == []


def test_a_body_larger_than_the_buffer_is_read_from_the_thread_in_full():
    chunk = b"x" * 10_000 + b"\n"
    chunks = [chunk] * (BUFFERED_BODY // len(chunk) + 5)
    lines = []

    def by_lines(environ, start_response):
        stream = environ["wsgi.input"]
        lines.append(stream.readline())
        lines.append(stream.readline(100))
        lines.extend(stream)
        start_response("200 OK", [])
        return [b""]

    _run(_call(ThreadPoolWSGI(by_lines, workers=1), _scope("POST"), chunks))
    assert b"".join(lines) == b"".join(chunks)
    assert lines[1] == b"x" * 100


class _Streaming:
    streaming = True

    def __init__(self, parts, on_close):
        self.parts, self.on_close = parts, on_close

    def __iter__(self):
        return iter(self.parts)

    def close(self):
        self.on_close(threading.current_thread())


def test_a_streaming_response_is_sent_chunk_by_chunk_and_closed_on_its_thread():
    threads = {}

    def streaming(environ, start_response):
        threads["app"] = threading.current_thread()
        start_response("200 OK", [("Content-Type", "text/csv")])
        return _Streaming([b"a,b\n", b"", b"1,2\n"], lambda t: threads.update(close=t))

    sent = _run(_call(ThreadPoolWSGI(streaming, workers=1), _scope()))
    assert [m.get("status") or m["body"] for m in sent] == [
        200,
        b"a,b\n",
        b"1,2\n",
        b"",
    ]
    assert sent[-1].get("more_body", False) is False
    assert threads["close"] is threads["app"]


def test_a_plain_response_is_closed_on_its_thread():
    """Django's request_finished (which returns the database connection to the
    pool) runs in `close()`; connections are per thread."""
    threads = {}

    class Plain(list):
        def close(self):
            threads["close"] = threading.current_thread()

    def app(environ, start_response):
        threads["app"] = threading.current_thread()
        start_response("200 OK", [])
        return Plain([b"ok"])

    _run(_call(ThreadPoolWSGI(app, workers=1), _scope()))
    assert threads["close"] is threads["app"]


def test_a_burst_waits_for_the_pool_and_never_runs_more_than_its_threads_at_once():
    running, peak, threads = 0, 0, set()
    lock = threading.Lock()

    def slow(environ, start_response):
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
            threads.add(threading.get_ident())
        time.sleep(0.002)
        with lock:
            running -= 1
        start_response("200 OK", [])
        return [b"ok"]

    app = ThreadPoolWSGI(slow, workers=3)

    async def burst():
        return await asyncio.gather(*(_call(app, _scope()) for _ in range(300)))

    answers = _run(burst())
    assert all(sent[0]["status"] == 200 for sent in answers)
    assert peak == 3
    assert len(threads) == 3


def test_a_client_gone_before_its_body_arrived_runs_nothing():
    called = []

    async def run():
        async def receive():
            return {"type": "http.disconnect"}

        sent = []

        async def send(message):
            sent.append(message)

        await ThreadPoolWSGI(lambda e, s: called.append(1), workers=1)(
            _scope("POST"), receive, send
        )
        return sent

    assert _run(run()) == []
    assert called == []


@pytest.mark.parametrize("kind", ["websocket", "lifespan"])
def test_other_protocols_are_not_served(kind):
    sent = []

    async def send(message):
        sent.append(message)

    _run(ThreadPoolWSGI(None, workers=1)({"type": kind}, None, send))
    assert sent == (
        [{"type": "websocket.close", "code": 1000}] if kind == "websocket" else []
    )
