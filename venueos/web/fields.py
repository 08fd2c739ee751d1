"""Form fields shared by the site's forms."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from venueos.common.timeutils import MAX_YEAR, MIN_YEAR


class BoundedDateField(forms.DateField):
    """A date within the years the API accepts: a later or earlier one cannot
    be booked, and arithmetic on it ("the next day") would overflow."""

    def to_python(self, value):
        day = super().to_python(value)
        if day is not None and not MIN_YEAR <= day.year <= MAX_YEAR:
            raise ValidationError(
                f"Enter a date between the years {MIN_YEAR} and {MAX_YEAR}.",
                code="out_of_range",
            )
        return day
