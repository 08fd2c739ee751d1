"""OpenAPI post-processing: every operation documents its problem+json errors."""

PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details.",
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
    "required": ["type", "title", "status", "detail"],
    "additionalProperties": True,
}

_DESCRIPTIONS = {
    "400": "Invalid input",
    "401": "Authentication required",
    "403": "Permission denied",
    "404": "Not found",
    "409": "Conflict",
    "413": "Request body too large",
    "429": "Too many requests; the Retry-After header says when to retry",
    "503": "The database is unavailable for a moment; retry",
}


def add_problem_responses(result, generator, request, public):
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM_SCHEMA
    problem_ref = {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
    }
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            # Any operation can meet a rate limit (the opt-in global ones) and a
            # database outage; any body can be too large.
            codes = ["400", "401", "403", "404", "429", "503"]
            if method != "get":
                codes.append("409")
            if "requestBody" in operation:
                codes.append("413")
            for code in codes:
                existing = responses.get(code)
                if existing is None:
                    responses[code] = {
                        "description": _DESCRIPTIONS[code],
                        "content": problem_ref,
                    }
                else:
                    existing.setdefault("content", {}).update(problem_ref)
    return result
