"""Schemathesis over the whole OpenAPI schema, in process (the WSGI app).

Every operation, as an administrator and as a customer, positive and negative
examples, then the stateful phase (sequences along the links Schemathesis
infers: a created venue's id into its spaces, and so on). Each response must
be no 5xx and conform to the schema (status code, content type, headers,
body); input the schema forbids must be refused. Bounded by
`VENUEOS_FUZZ_EXAMPLES` per operation and role (default 8) so that it runs in
every `make test`; raise it for a deeper run.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from datetime import timedelta

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.utils import timezone
from hypothesis import HealthCheck, Phase, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.conftest import make_space, make_user, make_venue, set_opening_hours
from tests.events.helpers import make_event
from venueos.accounts.models import Role
from venueos.accounts.services import token_create
from venueos.bookings.services import booking_create

EXAMPLES = int(os.environ.get("VENUEOS_FUZZ_EXAMPLES", "8"))
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
# Valid input can still be refused by a rule the schema cannot express (a
# booking in the past, outside opening hours): that is a 4xx by design.
EXCLUDED_CHECKS = [positive_data_acceptance]


@pytest.fixture
def wsgi_app(db):
    # Django's WSGI handler would close the test's connection at the end of
    # each request (the test transaction is not autocommit); the test client
    # disconnects the same signal.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def world(db):
    """Something to find: a venue with a space tree, hours, a booking, an event."""
    from tests.conftest import PASSWORD, make_organization

    organization = make_organization()
    venue = make_venue(organization)
    set_opening_hours(venue, 0, 24 * 60)
    hall = make_space(venue, name="Hall")
    room = make_space(venue, parent=hall, name="Room")
    customer = make_user(Role.CUSTOMER)
    start = (timezone.now() + timedelta(days=30)).replace(
        minute=0, second=0, microsecond=0
    )
    booking_create(
        actor=customer,
        space=room,
        start_time=start,
        end_time=start + timedelta(hours=1),
        title="Fuzz",
    )
    make_event(venue)
    tokens = {
        role: token_create(email=user.email, password=PASSWORD)[1]
        for role, user in (
            ("admin", make_user(Role.ADMIN)),
            ("manager", make_user(Role.MANAGER, organization=organization)),
            ("customer", customer),
        )
    }
    return tokens


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _load_schema():
    """The schema /api/schema/ serves, generated here (no request, no
    database at collection time), answered by the app in process."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    generated = SchemaGenerator().get_schema(request=None, public=True)
    loaded = schemathesis.openapi.from_dict(
        json.loads(OpenApiJsonRenderer().render(generated))
    )
    loaded.app = get_wsgi_application()
    return loaded


# The live stream is an ASGI app routed in venueos/asgi.py before Django, so the
# in-process WSGI app does not serve it; tests/realtime drives it over HTTP.
schema = _load_schema().exclude(path="/api/v1/stream/")


@schema.parametrize()
@FUZZ_SETTINGS
def test_every_operation_as_an_administrator(case, world, wsgi_app):
    case.call_and_validate(
        headers=_bearer(world["admin"]), excluded_checks=EXCLUDED_CHECKS
    )


@schema.parametrize()
@FUZZ_SETTINGS
def test_every_operation_as_a_customer(case, world, wsgi_app):
    case.call_and_validate(
        headers=_bearer(world["customer"]), excluded_checks=EXCLUDED_CHECKS
    )


def _run_stateful(token: str) -> Counter:
    """Runs the scenarios; returns the status classes of the linked steps."""
    headers = _bearer(token)
    linked: Counter = Counter()

    class Scenario(schema.as_state_machine()):
        # Every scenario starts from the same database, so that the same
        # choices meet the same answers (Hypothesis checks that they do).
        def setup(self):
            self.savepoint = transaction.savepoint()

        def teardown(self):
            transaction.savepoint_rollback(self.savepoint)

        def get_call_kwargs(self, case):
            return {"headers": headers}

        def step(self, input):
            output = super().step(input)
            if input.transition is not None:
                linked[f"{output.response.status_code // 100}xx"] += 1
            return output

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(
                response, excluded_checks=EXCLUDED_CHECKS, headers=headers
            )

    Scenario.run(
        settings=settings(
            max_examples=EXAMPLES * 4,
            stateful_step_count=6,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )
    return linked


def test_links_between_operations_are_inferred():
    schema.as_state_machine()
    assert schema.statistic.transitions.total >= 20


def test_linked_sequences_as_an_administrator(world, wsgi_app):
    linked = _run_stateful(world["admin"])
    assert linked["2xx"] > 0, linked  # the sequences reached real objects


def test_linked_sequences_as_a_customer(world, wsgi_app):
    linked = _run_stateful(world["customer"])
    assert linked["2xx"] > 0, linked
