"""JSON in: PostgreSQL cannot store a NUL character in text or jsonb, so a
document carrying one anywhere (a key, a value, deep inside `settings`) is a 400
here, once for every endpoint, instead of a database error later."""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


def contains_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(
            contains_nul(key) or contains_nul(item) for key, item in value.items()
        )
    if isinstance(value, list):
        return any(contains_nul(item) for item in value)
    return False


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if contains_nul(data):
            raise ParseError("Strings may not contain the NUL character (\\u0000).")
        return data
