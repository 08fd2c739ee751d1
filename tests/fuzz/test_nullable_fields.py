"""A column that can be NULL is declared nullable in every output serializer
(and so in the OpenAPI schema): clients generated from the schema must not
choke on `"expires_at": null`."""

import importlib
import inspect

import pytest
from django.db.models import Field
from rest_framework import serializers

DOMAINS = ["accounts", "venues", "bookings", "events"]


def _output_fields():
    for domain in DOMAINS:
        module = importlib.import_module(f"venueos.{domain}.serializers")
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__ or not issubclass(
                cls, serializers.ModelSerializer
            ):
                continue
            model = cls.Meta.model
            for field_name, field in cls().fields.items():
                source = field_name if field.source == "*" else field.source
                try:
                    column = model._meta.get_field(source.split(".")[0])
                except Exception:
                    continue
                if isinstance(column, Field) and column.null:
                    yield pytest.param(field, id=f"{name}.{field_name}")


@pytest.mark.parametrize("field", list(_output_fields()))
def test_nullable_columns_are_nullable_in_the_output(field):
    assert field.allow_null
