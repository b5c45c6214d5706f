"""A parcel's journey in the demo data: the tracking events planned from pick-up to signature.

Times are aware, in China time.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from random import Random

from merchant.demo.catalogue import (
    BY_CITY,
    SHANGHAI,
    SIGNERS,
    SURNAMES,
    Event,
    Place,
    arrived,
    delivered,
    departed,
    out_for_delivery,
    picked_up,
)

# Where the shop's own parcels are picked up (zh, en).
WAREHOUSE_SITE = ("优选生活杭州仓", "the YouXuan Life Hangzhou warehouse")
_SIGNER_NAMES = tuple(s[0] for s in SIGNERS)
_SIGNER_ODDS = tuple(s[2] for s in SIGNERS)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A moment in China time."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


def route(
    rng: Random,
    carrier: str,
    origin: Place,
    site: tuple[str, str],
    dest: Place,
    district: str,
    shipped: datetime,
    delivery_day: date,
) -> tuple[list[Event], str]:
    """The whole journey as planned (pick-up, hubs, out for delivery, signed), and who signs."""

    def minutes(lo: float, hi: float) -> timedelta:
        return timedelta(seconds=int(60 * (lo + (hi - lo) * rng.random())))

    hubs = [origin, *([BY_CITY[dest.via]] if dest.via else []), *([dest] if dest is not origin else [])]
    arrive = shipped + minutes(80, 180)
    leave = arrive + minutes(50, 160)
    events = [
        picked_up(shipped, carrier, origin, *site),
        arrived(arrive, origin),
        departed(leave, origin, hubs[1] if len(hubs) > 1 else None, district),
    ]
    on_road, out_at = leave, at(delivery_day, 7, 30) + minutes(0, 150)
    for j, hub in enumerate(hubs[1:], start=1):  # line haul: the last hub the night before delivery
        share = (out_at - timedelta(hours=3) - on_road) * (j / (len(hubs) - 1))
        arrive = max(leave + timedelta(hours=2), on_road + share - minutes(0, 120))
        leave = arrive + minutes(50, 160)
        events += [arrived(arrive, hub), departed(leave, hub, hubs[j + 1] if j + 1 < len(hubs) else None, district)]
    out_at = max(out_at, leave + minutes(40, 100))
    signer = rng.choices(_SIGNER_NAMES, _SIGNER_ODDS)[0]
    events += [
        out_for_delivery(out_at, dest, district, SURNAMES[int(rng.random() * 40)]),
        delivered(out_at + minutes(20, 420), dest, carrier, signer),
    ]
    return events, signer
