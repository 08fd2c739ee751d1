"""Forms of the recurring-booking and report pages: types only; the services
decide the rules."""

from __future__ import annotations

from django import forms

from venueos.web.fields import BoundedDateField

REPEAT_CHOICES = [
    ("", "Does not repeat"),
    ("daily", "Every day"),
    ("weekly", "Every week"),
    ("monthly", "Every month"),
]


def _date_input():
    return forms.DateInput(attrs={"type": "date"})


class SeriesCancelForm(forms.Form):
    from_day = BoundedDateField(
        label="From (optional)",
        required=False,
        widget=_date_input(),
        help_text="Cancel the occurrences from this day on; empty: all that "
        "have not started.",
    )
    reason = forms.CharField(label="Reason (optional)", required=False, max_length=500)


class ReportForm(forms.Form):
    venue = forms.ChoiceField(label="Venue")
    start = BoundedDateField(label="From", required=False, widget=_date_input())
    end = BoundedDateField(label="Until", required=False, widget=_date_input())

    def __init__(self, *args, venues=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["venue"].choices = [(str(venue.id), venue.name) for venue in venues]
