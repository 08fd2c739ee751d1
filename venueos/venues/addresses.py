"""A venue's structured postal address.

Stored as a JSON object with the known keys `street`, `city`, `postcode`,
`region` and `country` (ISO 3166-1 alpha-2, e.g. "DE"), all optional; any
other keys are kept as sent. A plain string (the old form) is accepted and
stored as `{"street": "<the string>"}`, which is also what the migration made
of the addresses stored before.
"""

from __future__ import annotations

import json
from typing import Any

import pycountry

from venueos.common.problems import InvalidInput

KNOWN_KEYS = ("street", "city", "postcode", "region", "country")
MAX_TEXT = 200
MAX_KEYS = 30
MAX_JSON_LENGTH = 4000
_COUNTRIES = frozenset(country.alpha_2 for country in pycountry.countries)


def _invalid(message: str) -> InvalidInput:
    return InvalidInput.field("address", message, slug="invalid-address")


def clean_address(value: Any) -> dict:
    """The address to store: the object as sent, once checked; {} for none."""
    if value is None:
        return {}
    if isinstance(value, str):
        value = value.strip()
        if len(value) > 2000:
            raise _invalid("An address is at most 2000 characters.")
        return {"street": value} if value else {}
    if not isinstance(value, dict):
        raise _invalid(
            "Send the address as an object with street, city, postcode, region "
            "and country (ISO 3166-1 alpha-2, e.g. DE)."
        )
    if len(value) > MAX_KEYS:
        raise _invalid(f"An address has at most {MAX_KEYS} keys.")
    for key in value:
        if not key or len(key) > 50:
            raise _invalid("Address keys are 1 to 50 characters long.")
    for key in KNOWN_KEYS:
        item = value.get(key)
        if item is None:
            continue
        if not isinstance(item, str):
            raise _invalid(f"address.{key} must be a string.")
        if len(item) > MAX_TEXT:
            raise _invalid(f"address.{key} is at most {MAX_TEXT} characters.")
    country = value.get("country")
    if country and country not in _COUNTRIES:
        raise _invalid(
            f"address.country must be an ISO 3166-1 alpha-2 code in capitals "
            f"(e.g. DE, US, GB); '{country[:10]}' is not one."
        )
    if len(json.dumps(value)) > MAX_JSON_LENGTH:
        raise _invalid(f"An address is at most {MAX_JSON_LENGTH} characters of JSON.")
    return value


def format_address(address: dict | str | None) -> str:
    """One line: "street, postcode city, region, country" (the parts given)."""
    if not address:
        return ""
    if isinstance(address, str):
        return address
    parts = [address.get("street") or ""]
    parts.append(
        " ".join(p for p in (address.get("postcode"), address.get("city")) if p)
    )
    parts += [address.get("region") or "", address.get("country") or ""]
    return ", ".join(part.strip() for part in parts if part and part.strip())
