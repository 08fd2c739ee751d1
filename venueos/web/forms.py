"""The site's forms: they parse what a person typed into Python values.

They check types and required fields only. Every rule (opening hours, the time
grid, capacity, permissions, conflicts) is decided by the services, whose
problems the views show next to the fields (`web/problems.py`).
"""

from __future__ import annotations

import uuid

from django import forms

from venueos.events.models import MAX_REGISTRATION_QUANTITY
from venueos.web.fields import BoundedDateField
from venueos.web.forms_scheduling import REPEAT_CHOICES

DURATION_CHOICES = [
    (30, "30 minutes"),
    (60, "1 hour"),
    (90, "1½ hours"),
    (120, "2 hours"),
    (180, "3 hours"),
    (240, "4 hours"),
]


class SignUpForm(forms.Form):
    full_name = forms.CharField(label="Name", max_length=200)
    email = forms.EmailField(label="Email", max_length=254)
    password = forms.CharField(
        label="Password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 8 characters, not only digits, not a common password.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["full_name"].widget.attrs["autocomplete"] = "name"
        self.fields["email"].widget.attrs["autocomplete"] = "email"


class SignInForm(forms.Form):
    email = forms.EmailField(label="Email", max_length=254)
    password = forms.CharField(
        label="Password",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs["autocomplete"] = "email"


class SearchForm(forms.Form):
    q = forms.CharField(label="Venue or city", required=False, max_length=100)
    date = BoundedDateField(
        label="Date", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    duration = forms.TypedChoiceField(
        label="How long", choices=DURATION_CHOICES, coerce=int, initial=60
    )
    people = forms.IntegerField(
        label="People", min_value=1, max_value=100_000, initial=1, required=False
    )
    features = forms.MultipleChoiceField(
        label="Features", required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, feature_names=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["features"].choices = [(name, name) for name in feature_names]


class BookingForm(forms.Form):
    """A booking's time is typed in the venue's local time."""

    space = forms.UUIDField(widget=forms.HiddenInput)
    date = BoundedDateField(
        label="Date", widget=forms.DateInput(attrs={"type": "date"})
    )
    start = forms.TimeField(
        label="Start", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    end = forms.TimeField(
        label="End", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    title = forms.CharField(label="Title", max_length=200)
    attendee_count = forms.IntegerField(label="Attendees", min_value=1, initial=1)
    description = forms.CharField(
        label="Description",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    repeat = forms.ChoiceField(label="Repeat", required=False, choices=REPEAT_CHOICES)
    repeat_count = forms.IntegerField(
        label="How many times",
        required=False,
        min_value=2,
        initial=4,
        help_text="At most 200, same local time each time.",
    )


class CancelForm(forms.Form):
    reason = forms.CharField(label="Reason (optional)", required=False, max_length=500)


class RegistrationForm(forms.Form):
    # The limits are the service's to enforce; the widget only hints at them.
    quantity = forms.IntegerField(
        label="Places",
        initial=1,
        widget=forms.NumberInput(attrs={"min": 1, "max": MAX_REGISTRATION_QUANTITY}),
        help_text=f"Up to {MAX_REGISTRATION_QUANTITY} per person.",
    )


class WaitlistForm(forms.Form):
    """Join a sold-out event's waiting list (prefixed: it can share a page
    with the registration form)."""

    prefix = "waitlist"
    quantity = forms.IntegerField(
        label="Places",
        initial=1,
        widget=forms.NumberInput(attrs={"min": 1, "max": MAX_REGISTRATION_QUANTITY}),
        help_text=f"Up to {MAX_REGISTRATION_QUANTITY} per person.",
    )


class CheckInForm(forms.Form):
    """One scan at the door. The code field keeps the focus (autofocus here,
    static/web/checkin.js after each scan) so a hardware scanner can type into
    it; no autocomplete or spelling help that could alter a code."""

    gate = forms.TypedChoiceField(
        label="Gate", required=False, coerce=uuid.UUID, empty_value=None
    )
    code = forms.CharField(
        label="Ticket code",
        max_length=200,
        widget=forms.TextInput(
            attrs={
                "autofocus": True,
                "autocomplete": "off",
                "autocapitalize": "none",
                "autocorrect": "off",
                "spellcheck": "false",
                "enterkeyhint": "go",
            }
        ),
    )

    def __init__(self, *args, gates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["gate"].choices = [("", "No gate")] + [
            (str(gate.id), gate.name) for gate in gates
        ]
