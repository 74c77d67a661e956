"""Bookable slots of one service in one municipality, and the nearest free ones.

Slots come from the service's configuration (meeting hours per weekday, slot
length, parallel capacity, closed days) plus the Danish public holidays. Times
are local (Europe/Copenhagen).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from actions.booking_store import BookingProvider
from actions.day_reference import describe_day
from actions.opening_hours import closed_reason, format_clock
from actions.settings import TIMEZONE
from muni_core.municipalities import BookableService, Municipality

MIN_LEAD = timedelta(hours=1)
MAX_DAYS_AHEAD = 90
SEARCH_DAYS = 21


@dataclass(frozen=True)
class ServiceCalendar:
    """The calendar of ``service`` in ``municipality``."""

    municipality: Municipality
    service: BookableService

    @classmethod
    def of(cls, municipality: Municipality, service_key: str | None) -> ServiceCalendar | None:
        """The calendar of the service ``service_key`` if ``municipality`` offers it, else None."""
        service = municipality.booking.get(service_key or "")
        return cls(municipality, service) if service else None

    def closed_reason(self, day: date) -> str | None:
        """Why the service is closed all day (a holiday's name or 'lukkedag'), or None."""
        if day in self.service.closed_days:
            return "lukkedag"
        return closed_reason(self.municipality, day)

    def slots_on(self, day: date) -> list[datetime]:
        """Every slot start on ``day`` (empty on closed days)."""
        if self.closed_reason(day):
            return []
        length = timedelta(minutes=self.service.slot_minutes)
        starts = []
        for interval in self.service.hours.get(day.weekday(), []):
            moment = datetime.combine(day, interval.opens, tzinfo=TIMEZONE)
            end = datetime.combine(day, interval.closes, tzinfo=TIMEZONE)
            while moment + length <= end:
                starts.append(moment)
                moment += length
        return starts

    def problem_with(self, start: datetime, now: datetime) -> str | None:
        """Why ``start`` cannot be booked, or None.

        'past', 'too_soon', 'too_far', 'closed', 'outside_hours', or 'off_grid' (inside the hours, between slots).
        """
        if start <= now:
            return "past"
        if start < now + MIN_LEAD:
            return "too_soon"
        if start.date() > now.date() + timedelta(days=MAX_DAYS_AHEAD):
            return "too_far"
        if self.closed_reason(start.date()) or not self.service.hours.get(start.weekday()):
            return "closed"
        if start not in self.slots_on(start.date()):
            return "off_grid" if self.within_hours(start) else "outside_hours"
        return None

    def within_hours(self, start: datetime) -> bool:
        """True when ``start`` lies inside the service's meeting hours that day (on the slot grid or not)."""
        moment = start.time()
        return any(i.opens <= moment < i.closes for i in self.service.hours.get(start.weekday(), []))

    def free_slots(self, provider: BookingProvider, first_day: date, days: int, now: datetime) -> list[datetime]:
        """Free slot starts from ``first_day`` over ``days`` days, not before now + lead time."""
        start = datetime.combine(first_day, time(0), tzinfo=TIMEZONE)
        end = start + timedelta(days=days)
        taken = provider.booked_count(self.municipality.id, self.service.key, start, end)
        free = []
        for offset in range(days):
            for slot in self.slots_on(first_day + timedelta(days=offset)):
                if slot >= now + MIN_LEAD and taken.get(slot.replace(tzinfo=None), 0) < self.service.capacity:
                    free.append(slot)
        return free

    def is_free(self, provider: BookingProvider, start: datetime, now: datetime) -> bool:
        """True when ``start`` is a bookable slot with a free seat."""
        return self.problem_with(start, now) is None and start in self.free_slots(provider, start.date(), 1, now)

    def nearest_free(
        self,
        provider: BookingProvider,
        now: datetime,
        *,
        wished: datetime | None = None,
        day: date | None = None,
        window: tuple[time, time] | None = None,
        count: int = 3,
    ) -> list[datetime]:
        """Up to ``count`` free slots closest to what the citizen wished, in time order.

        ``wished`` is a wished moment; ``day`` a wished day without time; ``window``
        a part of the day ("om formiddagen"). Without any, the earliest free slots.
        """
        first_day = max(now.date(), (wished.date() if wished else day or now.date()) - timedelta(days=2))
        free = self.free_slots(provider, first_day, SEARCH_DAYS, now)
        if window:
            in_window = [s for s in free if window[0] <= s.time() < window[1]]
            free = in_window or free
        if wished:
            free.sort(key=lambda s: (abs((s - wished).total_seconds()), s < wished))  # ties: later first
        elif day:
            free.sort(key=lambda s: (abs((s.date() - day).days), s.date() < day, s))
        return sorted(free[:count])


def speak_slot(start: datetime, today: date) -> str:
    """A slot as Danes say it: 'torsdag kl. 10.30', 'i morgen kl. 9', 'mandag den 14. december kl. 13'."""
    words = describe_day(start.date(), today)
    if words.startswith("på "):
        words = words[3:]
    return f"{words} kl. {format_clock(start.time())[4:]}"


def speak_choices(starts: list[datetime], today: date) -> str:
    """'torsdag kl. 10.30, torsdag kl. 13 eller fredag kl. 9'."""
    spoken = [speak_slot(s, today) for s in starts]
    if len(spoken) <= 1:
        return "".join(spoken)
    return ", ".join(spoken[:-1]) + " eller " + spoken[-1]
