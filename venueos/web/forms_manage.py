"""Forms of the managers' and administrators' pages.

Like `web/forms.py`, they only parse: types, required fields, a time typed in
the venue's zone. Every rule (policy limits, overlapping hours, the tree,
capacity, permissions) is the services' to decide and to explain.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo, available_timezones

import pycountry
from django import forms

from venueos.bookings.models import BookingStatus
from venueos.common.timeutils import local_wall_time
from venueos.venues.models import MAX_CUSTOMER_BOOKING_LIMIT
from venueos.web.fields import BoundedDateField
from venueos.web.forms import BookingForm

WEEKDAY_NAMES = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
]
MIDNIGHT = 24 * 60
ADDRESS_KEYS = ("street", "postcode", "city", "region", "country")


def _date_input(**attrs) -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date", **attrs})


def _time_input() -> forms.TimeInput:
    return forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def minute_of_day(value: time) -> int:
    return value.hour * 60 + value.minute


def local_instant(day: date, clock: time, zone: ZoneInfo) -> datetime:
    return local_wall_time(day, minute_of_day(clock), zone)


def label_spaces(spaces: list) -> list:
    """Give each space of one venue a `label` naming its ancestors, in tree
    order (spaces as `venue_spaces` reads them, with `path`)."""
    by_id = {space.id: space for space in spaces}
    for space in spaces:
        names = [by_id[ancestor].name for ancestor in space.path if ancestor in by_id]
        space.label = " › ".join([*names, space.name])
    return sorted(spaces, key=lambda space: space.label.casefold())


class VenueForm(forms.Form):
    name = forms.CharField(label="Name", max_length=200)
    slug = forms.SlugField(
        label="Short name in addresses",
        max_length=100,
        required=False,
        help_text="Letters, digits and hyphens; made from the name when empty.",
    )
    timezone = forms.ChoiceField(label="Time zone")
    street = forms.CharField(label="Street", required=False, max_length=200)
    postcode = forms.CharField(label="Postcode", required=False, max_length=200)
    city = forms.CharField(label="City", required=False, max_length=200)
    region = forms.CharField(label="Region", required=False, max_length=200)
    country = forms.ChoiceField(label="Country", required=False)
    max_capacity = forms.IntegerField(label="Maximum people in the venue", min_value=1)
    slot_minutes = forms.IntegerField(
        label="Time grid (minutes)",
        min_value=1,
        help_text="Bookings start and end on this grid, e.g. 15 or 30.",
    )
    min_duration_minutes = forms.IntegerField(
        label="Shortest booking (minutes)", min_value=1
    )
    max_duration_minutes = forms.IntegerField(
        label="Longest booking (minutes)", min_value=1
    )
    booking_horizon_days = forms.IntegerField(
        label="Bookable ahead (days)", min_value=1, max_value=32767
    )
    max_active_bookings_per_customer = forms.IntegerField(
        label="Upcoming bookings per customer",
        min_value=1,
        max_value=MAX_CUSTOMER_BOOKING_LIMIT,
        required=False,
        help_text="At most this many pending or confirmed bookings still to "
        "come per customer. Empty: no limit. Managers are not limited.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["timezone"].choices = [
            (name, name) for name in sorted(available_timezones()) if "/" in name
        ]
        self.fields["country"].choices = [("", "—")] + sorted(
            ((country.alpha_2, country.name) for country in pycountry.countries),
            key=lambda choice: choice[1],
        )

    def address(self, current: dict) -> dict:
        """The address typed, over the stored one (keys the form does not
        show are kept)."""
        address = dict(current or {})
        for key in ADDRESS_KEYS:
            address[key] = self.cleaned_data[key]
        return {key: value for key, value in address.items() if value}


class OpeningHoursForm(forms.Form):
    """The weekly table: for each weekday a few (opens, closes) pairs. Empty
    pairs are ignored; a closing time of 00:00 means midnight."""

    def __init__(self, *args, hours=(), **kwargs):
        super().__init__(*args, **kwargs)
        by_day: dict[int, list[tuple[int, int]]] = {day: [] for day in range(7)}
        for row in hours:
            by_day[row.weekday].append((row.opens_minute, row.closes_minute))
        self.slots = max(2, *(len(intervals) + 1 for intervals in by_day.values()))
        self.days = []
        for weekday, name in enumerate(WEEKDAY_NAMES):
            pairs = []
            for slot in range(self.slots):
                opens, closes = f"d{weekday}-{slot}-opens", f"d{weekday}-{slot}-closes"
                self.fields[opens] = forms.TimeField(
                    label="Opens", required=False, widget=_time_input()
                )
                self.fields[closes] = forms.TimeField(
                    label="Closes", required=False, widget=_time_input()
                )
                if slot < len(by_day[weekday]):
                    start, end = by_day[weekday][slot]
                    self.initial[opens] = time(start // 60, start % 60)
                    self.initial[closes] = time((end // 60) % 24, end % 60)
                pairs.append((opens, closes))
            self.days.append((weekday, name, pairs))

    def rows(self):
        """For the template: (day name, [(opens field, closes field), …])."""
        return [
            (name, [(self[opens], self[closes]) for opens, closes in pairs])
            for _, name, pairs in self.days
        ]

    def clean(self):
        data = super().clean()
        self.intervals: list[tuple[int, int, int]] = []
        self.fields_of: list[str] = []
        for weekday, name, pairs in self.days:
            for opens, closes in pairs:
                start, end = data.get(opens), data.get(closes)
                if start is None and end is None:
                    continue
                if start is None or end is None:
                    missing = opens if start is None else closes
                    self.add_error(missing, f"Give both times of this {name} interval.")
                    continue
                end_minute = minute_of_day(end) or MIDNIGHT
                self.intervals.append((weekday, minute_of_day(start), end_minute))
                self.fields_of.append(closes)
        return data


class ClosureForm(forms.Form):
    space = forms.ChoiceField(label="Space", required=False)
    start_date = BoundedDateField(label="From (date)", widget=_date_input())
    start_time = forms.TimeField(label="From (time)", widget=_time_input())
    end_date = BoundedDateField(label="Until (date)", widget=_date_input())
    end_time = forms.TimeField(label="Until (time)", widget=_time_input())
    reason = forms.CharField(label="Reason", required=False, max_length=500)
    reason_public = forms.BooleanField(
        label="Show the reason to customers (else they see only that it is closed)",
        required=False,
    )

    def __init__(self, *args, spaces=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["space"].choices = [("", "The whole venue")] + [
            (str(space.id), space.label) for space in spaces
        ]


class SpaceForm(forms.Form):
    name = forms.CharField(label="Name", max_length=200)
    parent = forms.ChoiceField(label="Inside", required=False)
    capacity = forms.IntegerField(label="Capacity (people)", min_value=1)
    features = forms.CharField(
        label="Features",
        required=False,
        max_length=500,
        help_text="Separated by commas, e.g. projector, wheelchair.",
    )
    is_bookable = forms.BooleanField(label="Can be booked", required=False)
    requires_approval = forms.BooleanField(
        label="Bookings need a manager's approval", required=False
    )
    # Empty means none; the service refuses values beyond its limit.
    buffer_before_minutes = forms.IntegerField(
        label="Set-up time before each booking (minutes)",
        min_value=0,
        required=False,
        help_text="Kept free before every booking, 0 to 240. Changing it applies "
        "to new and moved bookings only.",
    )
    buffer_after_minutes = forms.IntegerField(
        label="Clean-up time after each booking (minutes)",
        min_value=0,
        required=False,
        help_text="Kept free after every booking, 0 to 240.",
    )

    def __init__(self, *args, spaces=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].choices = [("", "Nothing (top level)")] + [
            (str(space.id), space.label) for space in spaces
        ]

    def clean_buffer_before_minutes(self) -> int:
        return self.cleaned_data["buffer_before_minutes"] or 0

    def clean_buffer_after_minutes(self) -> int:
        return self.cleaned_data["buffer_after_minutes"] or 0

    def clean_features(self) -> list[str]:
        return [part.strip() for part in self.cleaned_data["features"].split(",")]


class BookingFilterForm(forms.Form):
    venue = forms.ChoiceField(label="Venue", required=False)
    space = forms.ChoiceField(label="Space", required=False)
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "Any status"), *BookingStatus.choices],
    )
    start = BoundedDateField(label="From", required=False, widget=_date_input())
    end = BoundedDateField(label="Until", required=False, widget=_date_input())

    def __init__(self, *args, venues=(), spaces=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["venue"].choices = [("", "All venues")] + [
            (str(venue.id), venue.name) for venue in venues
        ]
        self.fields["space"].choices = [("", "All spaces")] + [
            (str(space.id), space.label) for space in spaces
        ]


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("confirm", "Confirm"), ("reject", "Reject")])
    reason = forms.CharField(label="Reason", required=False, max_length=500)


class ManagerCancelForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        max_length=500,
        help_text="The customer sees it with their booking.",
    )


class OnBehalfForm(BookingForm):
    """A booking for a customer: their e-mail, any space of the venues the
    manager runs, the time in that venue's zone."""

    customer = forms.EmailField(label="Customer's email", max_length=254)
    space = forms.ChoiceField(label="Space")

    field_order = ["customer", "space", "date", "start", "end", "title"]

    def __init__(self, *args, spaces=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["space"].choices = [("", "Pick a space")] + [
            (str(space.id), f"{space.label} ({space.venue.name})") for space in spaces
        ]


class EventForm(forms.Form):
    venue = forms.ChoiceField(label="Venue")
    space = forms.ChoiceField(
        label="Space",
        required=False,
        help_text="When set, the event occupies it in the booking calendar.",
    )
    name = forms.CharField(label="Name", max_length=200)
    description = forms.CharField(
        label="Description",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    start_date = BoundedDateField(label="Starts (date)", widget=_date_input())
    start_time = forms.TimeField(label="Starts (time)", widget=_time_input())
    end_date = BoundedDateField(label="Ends (date)", widget=_date_input())
    end_time = forms.TimeField(label="Ends (time)", widget=_time_input())
    capacity = forms.IntegerField(label="Places", min_value=1)

    def __init__(self, *args, venues=(), spaces=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["venue"].choices = [(str(venue.id), venue.name) for venue in venues]
        self.fields["space"].choices = [("", "No particular space")] + [
            (str(space.id), f"{space.label} ({space.venue.name})") for space in spaces
        ]


class OrganizationForm(forms.Form):
    name = forms.CharField(label="Name", max_length=200)
    slug = forms.SlugField(
        label="Short name",
        max_length=100,
        required=False,
        help_text="Letters, digits and hyphens; made from the name when empty.",
    )


class ManagerForm(forms.Form):
    full_name = forms.CharField(label="Name", max_length=200)
    email = forms.EmailField(label="Email", max_length=254)
    password = forms.CharField(
        label="Password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 8 characters, not only digits, not a common password.",
    )
    organization = forms.ChoiceField(label="Organization")

    def __init__(self, *args, organizations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].choices = [
            (str(organization.id), organization.name) for organization in organizations
        ]
