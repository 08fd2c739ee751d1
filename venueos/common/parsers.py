"""JSON in: what PostgreSQL cannot store is refused here, once for every
endpoint, instead of failing as a database error later. A NUL character fits
no text or jsonb value, and a number too large for a double (1e400 parses as
infinity) is not valid jsonb."""

import math

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


def unstorable(value) -> str | None:
    """Why a parsed JSON document cannot be stored, or None."""
    if isinstance(value, str):
        return (
            "Strings may not contain the NUL character (\\u0000)."
            if "\x00" in value
            else None
        )
    if isinstance(value, float):
        return (
            None
            if math.isfinite(value)
            else "Numbers must be finite (1e400 is too large)."
        )
    if isinstance(value, dict):
        items = [*value.keys(), *value.values()]
    elif isinstance(value, list):
        items = value
    else:
        return None
    for item in items:
        reason = unstorable(item)
        if reason:
            return reason
    return None


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        reason = unstorable(data)
        if reason:
            raise ParseError(reason)
        return data
