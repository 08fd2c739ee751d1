"""JSON in: what PostgreSQL cannot store, or what would exhaust the process, is
refused here, once for every endpoint, instead of failing later as a database
error or a 500.

- A body over `DATA_UPLOAD_MAX_MEMORY_SIZE` is a 413 (read at most one byte
  past the limit, whatever Content-Length claims).
- Nesting deeper than `MAX_DEPTH` is a 400: Python's decoder recurses and
  would raise RecursionError near a thousand levels, and nothing the API
  accepts needs more than a few.
- A NUL character fits no text or jsonb value; a lone UTF-16 surrogate
  (`"\\ud800"`) cannot be encoded as UTF-8, so psycopg and jsonb reject it.
- A number too large for a double (1e400 parses as infinity) is not valid jsonb.
"""

import json
import math
import re

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.utils.json import strict_constant

from venueos.common.problems import PayloadTooLarge

MAX_DEPTH = 32
_SURROGATE = re.compile("[\ud800-\udfff]")


def _string_problem(value: str) -> str | None:
    if "\x00" in value:
        return "Strings may not contain the NUL character (\\u0000)."
    if _SURROGATE.search(value):
        return "Strings may not contain a lone UTF-16 surrogate (such as \\ud800)."
    return None


def unstorable(value) -> str | None:
    """Why a parsed JSON document cannot be stored, or None.

    Iterative, so that a document at the decoder's own depth limit cannot
    overflow the stack here either."""
    pending = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            reason = _string_problem(item)
            if reason:
                return reason
        elif isinstance(item, float):
            if not math.isfinite(item):
                return "Numbers must be finite (1e400 is too large)."
        elif isinstance(item, (dict, list)):
            if depth >= MAX_DEPTH:
                return f"The document is nested more than {MAX_DEPTH} levels deep."
            children = (
                [*item.keys(), *item.values()] if isinstance(item, dict) else item
            )
            pending.extend((child, depth + 1) for child in children)
    return None


def read_limited(stream) -> bytes:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    raw = stream.read(limit + 1) if limit is not None else stream.read()
    if limit is not None and len(raw) > limit:
        raise PayloadTooLarge.for_limit(limit)
    return raw


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        raw = read_limited(stream)
        try:
            data = json.loads(raw.decode("utf-8"), parse_constant=strict_constant)
        except RecursionError as exc:
            raise ParseError(
                f"The document is nested more than {MAX_DEPTH} levels deep."
            ) from exc
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
        reason = unstorable(data)
        if reason:
            raise ParseError(reason)
        return data
