"""Requests are held to the OpenAPI schema the API publishes.

The views parse what they need, and leniently in places (DRF's CharField
takes 0 for "0"; an empty `?venue_id=` or an unparsable `?offset=` used to be
ignored). Here every API request is first checked against its operation in
the generated schema, so the contract a client reads is the one enforced:

- query parameters: integers, booleans, UUIDs, dates and enums must parse
  (empty included), each given once;
- JSON bodies: every property has the JSON type the schema declares
  (string, integer, number, boolean, array, object; `null` only where
  nullable), recursively.

Ranges, lengths and the domain's own rules stay with the serializers and
services, which word those errors better. The schema is generated once per
process: by a serving worker at start-up (`venueos/asgi.py`), elsewhere on
the first API request.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from datetime import date
from typing import Any

from venueos.common.problems import InvalidInput, problem_json_response

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INTEGER = re.compile(r"^-?\d{1,18}$")
_BOOLEANS = {"true", "false", "1", "0"}
_JSON_TYPES = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}
_TYPE_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "an object",
}

_lock = threading.Lock()
_index: dict[tuple[type, str], dict] | None = None
_components: dict[str, Any] = {}


def _build_index() -> dict[tuple[type, str], dict]:
    from drf_spectacular.generators import EndpointEnumerator, SchemaGenerator

    global _components
    schema = SchemaGenerator().get_schema(request=None, public=True)
    _components = schema.get("components", {}).get("schemas", {})
    index: dict[tuple[type, str], dict] = {}
    ambiguous: set[tuple[type, str]] = set()
    for path, _regex, method, callback in EndpointEnumerator().get_api_endpoints():
        view = getattr(callback, "cls", None)
        operation = schema["paths"].get(path, {}).get(method.lower())
        if view is None or operation is None:
            continue
        key = (view, method.lower())
        if key in index and index[key] is not operation:
            ambiguous.add(key)  # one view under two paths: leave it to the view
        index[key] = operation
    for key in ambiguous:
        index.pop(key, None)
    return index


def load_schema() -> None:
    """Generate the schema now rather than on the first API request (a
    serving worker calls it at start-up, before it freezes what it loaded)."""
    global _index
    if _index is None:
        with _lock:
            if _index is None:
                _index = _build_index()


def _operation(view_class, method: str) -> dict | None:
    load_schema()
    return _index.get((view_class, method))


def _resolve(schema: dict) -> dict:
    while "$ref" in schema:
        schema = _components.get(schema["$ref"].rsplit("/", 1)[-1], {})
    return schema


def _query_error(value: str, schema: dict) -> str | None:
    kind = schema.get("type")
    if kind == "integer" and not _INTEGER.match(value):
        return "Must be an integer."
    if kind == "boolean" and value.lower() not in _BOOLEANS:
        return "Must be true or false."
    if "enum" in schema and value not in schema["enum"]:
        return "Must be one of: " + ", ".join(map(str, schema["enum"])) + "."
    fmt = schema.get("format")
    if fmt == "uuid":
        try:
            uuid.UUID(value)
        except ValueError:
            return "Must be a UUID."
    if fmt == "date":
        try:
            if not _DATE.match(value):
                raise ValueError
            date.fromisoformat(value)
        except ValueError:
            return "Must be a date (YYYY-MM-DD)."
    if fmt == "date-time" and not value:
        return "Must be a timestamp with an offset."
    return None


# The problem types the views used for the same mistakes, kept (an integer
# parameter's is `invalid-<name>`, as for duration and min_capacity).
_FORMAT_SLUGS = {
    "date": "invalid-date",
    "date-time": "invalid-timestamp",
    "uuid": "invalid-id",
}


def query_errors(operation: dict, query) -> tuple[dict[str, list[str]], str | None]:
    """Errors per parameter, and the problem type of the first one."""
    errors: dict[str, list[str]] = {}
    slug = None
    for parameter in operation.get("parameters", []):
        name = parameter["name"]
        if parameter.get("in") != "query" or name not in query:
            continue
        schema = _resolve(parameter.get("schema", {}))
        values = query.getlist(name)
        if schema.get("type") != "array" and len(values) > 1:
            errors[name] = ["Give this parameter once."]
            continue
        problem = _query_error(values[0], schema)
        if problem:
            errors[name] = [problem]
            slug = slug or _FORMAT_SLUGS.get(schema.get("format"))
            if slug is None and schema.get("type") == "integer":
                slug = "invalid-" + name.replace("_", "-")
    return errors, slug


def _type_error(value: Any, schema: dict) -> str | None:
    if value is None:
        return None if schema.get("nullable") else "May not be null."
    kind = schema.get("type")
    if kind not in _JSON_TYPES:
        return None
    if isinstance(value, bool) and kind != "boolean":
        return f"Must be {_TYPE_NAMES[kind]}."
    if not isinstance(value, _JSON_TYPES[kind]):
        return f"Must be {_TYPE_NAMES[kind]}."
    return None


def body_errors(value: Any, schema: dict, path: str = "") -> dict[str, list[str]]:
    schema = _resolve(schema)
    if "allOf" in schema and len(schema["allOf"]) == 1:
        schema = {**schema, **_resolve(schema["allOf"][0])}
    problem = _type_error(value, schema)
    if problem:
        return {path or "non_field_errors": [problem]}
    errors: dict[str, list[str]] = {}
    if isinstance(value, dict):
        for name, item in value.items():
            declared = schema.get("properties", {}).get(name)
            if declared is not None:
                errors |= body_errors(
                    item, declared, f"{path}.{name}" if path else name
                )
    elif isinstance(value, list) and "items" in schema:
        for position, item in enumerate(value):
            errors |= body_errors(item, schema["items"], f"{path}[{position}]")
    return errors


def _json_body_schema(operation: dict) -> dict | None:
    content = operation.get("requestBody", {}).get("content", {})
    return content.get("application/json", {}).get("schema")


class OpenApiContractMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not request.path.startswith("/api/v1/"):
            return None
        operation = _operation(getattr(view_func, "cls", None), request.method.lower())
        if operation is None:
            return None
        errors, slug = query_errors(operation, request.GET)
        schema = _json_body_schema(operation)
        if not errors and schema and request.content_type == "application/json":
            try:
                document = json.loads(request.body or b"null")
            except (ValueError, RecursionError):
                document = None  # the JSON parser answers with the reason
            if document is not None:
                errors = body_errors(document, schema)
        if not errors:
            return None
        summary = "; ".join(
            f"{field}: {messages[0]}" for field, messages in errors.items()
        )
        return problem_json_response(InvalidInput(summary, errors=errors, slug=slug))
