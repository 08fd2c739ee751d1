"""Calling Django's WSGI handler directly, as a server would: used where the
HTTP server and client would only add noise (bench/inprocess.py measures a
request's CPU; tests/common/test_request_garbage.py what it leaves behind)."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable


def wsgi_caller(app: Callable) -> Callable[..., str]:
    """`call(method, path, body, token)` -> the status line. The response is
    iterated and then closed, as a WSGI server does."""

    def call(method: str, path: str, body: dict | None, token: str | None) -> str:
        data = json.dumps(body).encode() if body is not None else b""
        path, _, query = path.partition("?")
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "127.0.0.1:8000",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(data)),
            "wsgi.input": io.BytesIO(data),
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
        }
        if token:
            environ["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        status: list[str] = []
        response = app(environ, lambda line, headers, *_: status.append(line))
        try:
            b"".join(response)
        finally:
            response.close()
        return status[0]

    return call
