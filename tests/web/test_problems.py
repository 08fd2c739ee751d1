"""Domain problems become sentences a person understands."""

from __future__ import annotations

import pytest
from django import forms

from venueos.bookings.rules import BookingRuleViolation
from venueos.bookings.services import BookingConflict
from venueos.common.problems import InvalidInput, NotAuthenticated, NotFound
from venueos.testing import browser
from venueos.web.problems import add_problem_to_form, problem_message


class _Form(forms.Form):
    start = forms.CharField()
    attendee_count = forms.IntegerField()


def test_api_wording_is_replaced_for_people():
    problem = NotAuthenticated("Sign in, or send 'Authorization: Bearer <token>'.")
    assert problem_message(problem) == "Please sign in to continue."
    off_grid = BookingRuleViolation(
        "start_time must lie on the venue's 15-minute grid",
        slug="off-grid",
        errors={"start_time": ["…"]},
    )
    assert "start_time" not in problem_message(off_grid)
    assert problem_message(BookingConflict("'Room' is already booked")).startswith(
        "Someone else has booked that time"
    )


def test_a_readable_service_message_is_kept():
    problem = BookingRuleViolation(
        "'Room 101' holds at most 12 people.",
        slug="over-capacity",
        errors={"attendee_count": ["'Room 101' holds at most 12 people."]},
    )
    assert problem_message(problem) == "'Room 101' holds at most 12 people."


def test_a_problem_lands_next_to_the_field_it_names():
    form = _Form({"start": "x", "attendee_count": 3})
    form.is_valid()
    add_problem_to_form(
        form,
        BookingRuleViolation(
            "A booking cannot start in the past.",
            slug="in-the-past",
            errors={"start_time": ["A booking cannot start in the past."]},
        ),
    )
    assert form.errors == {
        "start": ["That time has already passed. Please pick a later time."]
    }


def test_a_problem_without_a_known_field_goes_above_the_form():
    form = _Form({"start": "x", "attendee_count": 3})
    form.is_valid()
    add_problem_to_form(form, InvalidInput.field("space_id", "No such space."))
    add_problem_to_form(form, NotFound("No such booking."))
    assert form.non_field_errors() == [
        "No such space.",
        "We could not find that. It may have been removed, or it is not yours to see.",
    ]


def test_a_missing_chromium_is_a_reason_not_a_crash(monkeypatch, tmp_path):
    monkeypatch.setenv("VENUEOS_CHROMIUM", str(tmp_path / "no-such-chromium"))
    assert browser.browser_unavailable().startswith("No Chromium found")
    monkeypatch.setenv("VENUEOS_REQUIRE_BROWSER", "1")
    assert browser.browser_required() is True
    monkeypatch.setenv("VENUEOS_REQUIRE_BROWSER", "")
    assert browser.browser_required() is False


@pytest.mark.django_db
def test_an_unknown_page_is_a_page_not_json(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    api = client.get("/api/v1/no-such-thing/")
    assert api["Content-Type"] == "application/problem+json"
