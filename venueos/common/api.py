"""Small helpers shared by the thin API views."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from functools import partial
from typing import Any
from uuid import UUID

from django.http import HttpResponse
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from venueos.common.idempotency import idempotent_response
from venueos.common.pagination import LimitOffsetPagination
from venueos.common.problems import PROBLEM_CONTENT_TYPE, InvalidInput


class ApiView(APIView):
    """DRF's APIView, leaving no reference cycle behind once the response is
    closed (see `ReleaseRequestMiddleware`): Django's `View.setup` stores
    `self.head = self.get`, a method bound to the view itself; DRF's
    `Request` keeps a parser context that names the view and the request
    itself; a rendered DRF `Response` keeps a renderer context that names
    the response itself. Each API request's view, request and everything
    they hold would otherwise wait for the cycle collector."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response._resource_closers.append(partial(self._release, response))
        return response

    def _release(self, response) -> None:
        request = self.__dict__.get("request")
        if request is not None:
            request.parser_context = None
        if hasattr(response, "renderer_context"):
            response.renderer_context = None
        self.__dict__.clear()


def parse_uuid(value: str, field: str, *, slug: str | None = None) -> UUID:
    """A UUID from a query parameter; anything else is a 400 naming the field."""
    try:
        return UUID(value)
    except ValueError as exc:
        raise InvalidInput.field(
            field, f"'{value[:50]}' is not a valid UUID.", slug=slug
        ) from exc


def parse(serializer_class: type[serializers.Serializer], data: Any, **kwargs) -> dict:
    """Validate input with a serializer; errors become a 400 problem."""
    if not isinstance(data, dict) and not kwargs.get("many"):
        raise InvalidInput("The request body must be a JSON object.")
    if not kwargs:
        return _validator(serializer_class).run_validation(data)
    serializer = serializer_class(data=data, **kwargs)
    try:
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data
    finally:
        unbind(serializer)


_validators = threading.local()


def _validator(
    serializer_class: type[serializers.Serializer],
) -> serializers.Serializer:
    """This thread's instance of `serializer_class`, kept for validating.

    A new serializer deep-copies every declared field and binds the copies
    to itself: about half a millisecond of CPU on a create, a third of what
    validating it costs in all. Validation keeps no state on the serializer
    or its fields (`run_validation` returns the data or raises), so one
    instance per thread serves every request; plain serializers only, as one
    given context, `many` or `partial` would carry them to the next caller."""
    cache = _validators.__dict__.setdefault("by_class", {})
    serializer = cache.get(serializer_class)
    if serializer is None:
        serializer = cache[serializer_class] = serializer_class()
    return serializer


def unbind(serializer: serializers.BaseSerializer) -> None:
    """Cut the links between a used serializer and its fields.

    DRF binds every field to its serializer (`field.parent`, and a list
    serializer's `child`) and caches the bound fields on the serializer: a
    reference cycle of some 90 objects per serializer, which only the cycle
    collector would free (see `ReleaseRequestMiddleware`). Call it once the
    serializer's data, validated data or errors have been read."""
    child = getattr(serializer, "child", None)
    if isinstance(child, serializers.BaseSerializer):
        child.__dict__.pop("parent", None)
        unbind(child)
    fields = serializer.__dict__.pop("fields", None)
    for field in (fields or {}).values():
        field.__dict__.pop("parent", None)
        if isinstance(field, serializers.BaseSerializer):
            unbind(field)


class ListMixin:
    pagination_class = LimitOffsetPagination

    def paginated(self, queryset, serializer_class, context: dict | None = None):
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset, self.request, view=self)
        serializer = serializer_class(page, many=True, context=context or {})
        data = serializer.data
        unbind(serializer)
        return paginator.get_paginated_response(data)

    def paginated_json(self, queryset, to_json):
        """Like `paginated`, with a plain function building each item."""
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset, self.request, view=self)
        return paginator.get_paginated_response([to_json(item) for item in page])

    def paginated_json_texts(self, queryset, counted_texts) -> HttpResponse:
        """Like `paginated`, for items the database already wrote as JSON
        text: `counted_texts` has (total, JSON text) rows of `queryset`; only
        a page past the end needs `queryset` counted on its own."""
        paginator = self.pagination_class()
        paginator.limit = paginator.get_limit(self.request)
        paginator.offset = paginator.get_offset(self.request)
        paginator.request = self.request
        rows = list(
            counted_texts[paginator.offset : paginator.offset + paginator.limit]
        )
        if rows:
            paginator.count = rows[0][0]
        else:
            paginator.count = queryset.count() if paginator.offset else 0
        page = [text for _total, text in rows]
        head = json.dumps(
            {
                "count": paginator.count,
                "next": paginator.get_next_link(),
                "previous": paginator.get_previous_link(),
            }
        )
        body = f'{head[:-1]}, "results": [{", ".join(page)}]}}'
        return HttpResponse(body, content_type="application/json")


def idempotent_post(
    request, *, scope: str, payload: dict, create: Callable[[], Response]
) -> Response:
    """`create()` once per `Idempotency-Key` (common/idempotency.py): without the
    header it just runs; with it, a retry gets the first answer again, marked
    `Idempotent-Replayed: true`. `payload` is what a reused key is compared by."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return create()

    def produce() -> tuple[int, dict]:
        response = create()
        return response.status_code, response.data

    status_code, body, replayed = idempotent_response(
        user=request.user, scope=scope, key=key, payload=payload, produce=produce
    )
    return Response(
        body,
        status=status_code,
        content_type=PROBLEM_CONTENT_TYPE if status_code >= 400 else None,
        headers={"Idempotent-Replayed": "true"} if replayed else None,
    )
