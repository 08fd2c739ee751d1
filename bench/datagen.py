"""Bench data, written through the VenueOS services (never raw SQL), so every
rule, trigger and audit record applies. Run as a subprocess with DATABASE_URL
set:

    python -m bench.datagen setup MANIFEST --venues V --customers C
    python -m bench.datagen users MANIFEST --prefix buyer --count N --out FILE
    python -m bench.datagen bookings MANIFEST [--start M] --count N --shard S --shards K

Bookings go through `venueos.bookings.imports.booking_import` (the bulk path of
the same rules), the venues, spaces and users through their create services. Booking i always
gets the same slot (`plan.generated_slot`), so `--start M --count N` adds
bookings M..N-1 to data holding 0..M-1 without overlaps.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import date, timedelta

from bench import plan

PASSWORD = "bench-Pa55word-long"


def _django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "venueos.settings")
    # Users are created by the thousand; PBKDF2's slowness is not what we measure.
    os.environ.setdefault("VENUEOS_FAST_PASSWORD_HASHER", "1")
    import django

    django.setup()


def _users(prefix: str, count: int, role: str = "customer", organization=None):
    from venueos.accounts import services

    out = []
    for n in range(count):
        email = f"{prefix}{n}@bench.example"
        user = services.user_create(
            actor=None,
            email=email,
            password=PASSWORD,
            full_name=f"{prefix} {n}",
            role=role,
            organization=organization,
        )
        _, raw = services.token_create(email=email, password=PASSWORD, name="bench")
        out.append({"id": str(user.id), "email": email, "token": raw})
    return out


def cmd_setup(args) -> None:
    _django()
    from venueos.accounts import services as accounts
    from venueos.venues import services as venues

    org = accounts.organization_get_or_create(actor=None, slug="bench-org")
    [manager] = _users("manager", 1, role="manager", organization=org)
    from venueos.accounts.models import User

    actor = User.objects.get(pk=manager["id"])
    venue_rows = []

    def make_venue(name, tz, halls, rooms_per_hall, booths_per_room):
        venue = venues.venue_create(
            organization=org,
            actor=actor,
            name=name,
            timezone=tz,
            max_capacity=100_000,
            booking_horizon_days=3650,
            # The bench's customers each hold hundreds of bookings: it
            # measures the booking engine, not the per-customer limit.
            max_active_bookings_per_customer=None,
        )
        spaces = []
        for h in range(halls):
            hall = venues.space_create(
                venue=venue, actor=actor, name=f"Hall {h}", capacity=1000
            )
            spaces.append({"id": str(hall.id), "parent": None, "depth": 0})
            for r in range(rooms_per_hall):
                room = venues.space_create(
                    venue=venue,
                    actor=actor,
                    name=f"Hall {h} Room {r}",
                    capacity=200,
                    parent=hall,
                )
                spaces.append({"id": str(room.id), "parent": str(hall.id), "depth": 1})
                for b in range(booths_per_room):
                    booth = venues.space_create(
                        venue=venue,
                        actor=actor,
                        name=f"Hall {h} Room {r} Booth {b}",
                        capacity=20,
                        parent=room,
                    )
                    spaces.append(
                        {"id": str(booth.id), "parent": str(room.id), "depth": 2}
                    )
        return {"id": str(venue.id), "tz": tz, "spaces": spaces}

    for v in range(args.venues):
        venue_rows.append(
            make_venue(
                f"Bench Venue {v}",
                plan.TIMEZONES[v % len(plan.TIMEZONES)],
                plan.HALLS_PER_VENUE,
                plan.ROOMS_PER_HALL,
                plan.BOOTHS_PER_ROOM,
            )
        )
    # The large venue comes last: the scenarios use venues[0] and venues[1].
    big = make_venue(
        "Bench Large Venue",
        plan.BIG_TIMEZONE,
        plan.BIG_HALLS,
        plan.BIG_ROOMS_PER_HALL,
        plan.BIG_BOOTHS_PER_ROOM,
    )
    venue_rows.append({**big, "big": True})
    customers = _users("customer", args.customers)
    manifest = {
        "base_date": (date.today() + timedelta(days=1)).isoformat(),
        "manager": manager,
        "customers": customers,
        "venues": venue_rows,
    }
    with open(args.manifest, "w") as fh:
        json.dump(manifest, fh)


def cmd_users(args) -> None:
    _django()
    users = _users(args.prefix, args.count)
    with open(args.out, "w") as fh:
        json.dump(users, fh)


def leaves_of(manifest: dict) -> list[dict]:
    out = []
    for venue in manifest["venues"]:
        parents = {s["parent"] for s in venue["spaces"]}
        for space in venue["spaces"]:
            if space["id"] not in parents:
                out.append({**space, "tz": venue["tz"], "venue": venue["id"]})
    return out


def cmd_bookings(args) -> None:
    """This shard's bookings, through `booking_import`: every row checked by the
    same rule code as a create, inserted in batches (trigger, exclusion
    constraints and advisory locks as for a create), one audit entry each."""
    _django()
    from venueos.accounts.models import User
    from venueos.bookings.imports import BookingImportRow, booking_import
    from venueos.venues.models import Space

    with open(args.manifest) as fh:
        manifest = json.load(fh)
    base = date.fromisoformat(manifest["base_date"])
    leaves = leaves_of(manifest)
    spaces = {
        str(s.id): s
        for s in Space.objects.filter(id__in=[leaf["id"] for leaf in leaves])
    }
    customers = manifest["customers"]
    users = {
        str(u.id): u for u in User.objects.filter(id__in=[c["id"] for c in customers])
    }
    manager = User.objects.get(pk=manifest["manager"]["id"])

    def rows():
        for i in range(args.start + args.shard, args.count, args.shards):
            leaf, start, end = plan.generated_slot(i, leaves, base)
            yield BookingImportRow(
                space=spaces[leaf["id"]],
                user=users[customers[i % len(customers)]["id"]],
                start_time=start,
                end_time=end,
                title=f"bench booking {i}",
            )

    t0 = time.perf_counter()
    made = booking_import(actor=manager, rows=rows(), batch_size=args.batch_size)
    print(
        json.dumps({"shard": args.shard, "made": made, "s": time.perf_counter() - t0}),
        flush=True,
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.datagen")
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("setup")
    p.add_argument("manifest")
    p.add_argument("--venues", type=int, required=True)
    p.add_argument("--customers", type=int, required=True)
    p.set_defaults(func=cmd_setup)
    p = sub.add_parser("users")
    p.add_argument("manifest")
    p.add_argument("--prefix", required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_users)
    p = sub.add_parser("bookings")
    p.add_argument("manifest")
    p.add_argument("--count", type=int, required=True)
    p.add_argument(
        "--start", type=int, default=0, help="first booking index (to grow data)"
    )
    p.add_argument("--shard", type=int, default=0)
    p.add_argument("--shards", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=1000)
    p.set_defaults(func=cmd_bookings)
    args = parser.parse_args(argv)
    args.func(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
