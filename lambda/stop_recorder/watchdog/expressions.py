"""AWS schedule expressions: `rate()`, `cron()` (AWS's six-field dialect) and `at()`, with time zones.

Evaluation is croniter's (maintained, MIT, pure Python, bundled in the Lambda asset); this module is the
small shim from AWS's dialect to croniter's, per the EventBridge cron reference
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cron-expressions.html):

- six fields `minutes hours day-of-month month day-of-week year`; croniter's seven-field form is
  `minutes hours day-of-month month day-of-week seconds year`, so a `0` seconds field is inserted;
- day-of-week is 1-7 with 1 = Sunday (croniter: 0-6, 0 = Sunday), so numbers shift down by one,
  also inside `a-b`, `n#k` (nth weekday) and `nL` (last weekday n, croniter spells it `Ln`);
  a bare `L` in day-of-week is the last day of the week, Saturday;
- `?` ("any", required in exactly one of the two day fields) becomes `*`;
- `L` and `nW` in day-of-month and `n#k` are croniter's own syntax.

Time zones follow EventBridge Scheduler (https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html,
"Daylight saving time"; also https://repost.aws/knowledge-center/eventbridge-scheduler-adjust-dst): a cron
expression is evaluated on the wall clock of `ScheduleExpressionTimezone`; when clocks spring forward an
invocation that falls on a non-existent local time is skipped, and when they fall back it runs once, not
twice. croniter's own DST handling differs (it moves the skipped run and repeats the doubled hour), so the
shim walks croniter over naive wall-clock times and converts each to UTC itself. Rate expressions are
durations ("days" are 24 hours) and ignore the zone. EventBridge rules always use UTC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any

from croniter import CroniterBadDateError, CroniterError, croniter

UTC = timezone.utc
_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$")
_CRON = re.compile(r"^cron\((.*)\)$", re.DOTALL)
_AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")
_UNIT = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}
# Characters each field may use, from the reference's "Wildcards" column (names for month and weekday).
_FIELD_CHARS = {
    "minutes": re.compile(r"^[0-9,\-*/]+$"),
    "hours": re.compile(r"^[0-9,\-*/]+$"),
    "day-of-month": re.compile(r"^[0-9,\-*?/LW]+$"),
    "month": re.compile(r"^[0-9A-Z,\-*/]+$"),
    "day-of-week": re.compile(r"^[0-9A-Z,\-*?L#]+$"),
    "year": re.compile(r"^[0-9,\-*/]+$"),
}
_WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
# Far enough to cover any UTC offset change, so that walking the wall clock from (start - margin) never
# misses a run whose UTC time is just after start.
_DST_MARGIN = timedelta(hours=3)
CRONITER_LAST_YEAR = 2099  # AWS allows up to 2199; croniter's year field stops at 2099


class ScheduleError(ValueError):
    """The expression or time zone is not one AWS accepts (or one this shim can evaluate)."""


@dataclass(frozen=True)
class Schedule:
    """A parsed schedule expression: what it is, and when it fires."""

    expression: str
    timezone: str = "UTC"
    kind: str = "rate"  # rate | cron | at
    interval: timedelta | None = None  # rate only
    cron: str | None = None  # croniter's spelling of an AWS cron expression
    at: datetime | None = None  # one-time schedules, UTC
    _zone: Any = field(default=None, repr=False, compare=False)

    @property
    def recurring(self) -> bool:
        """rate() and cron() repeat; at() fires once."""
        return self.kind != "at"

    def fires(self, start: datetime, end: datetime, limit: int = 1000) -> list[datetime]:
        """Invocation times in (start, end], oldest first, at most `limit` (UTC). Rates need an anchor: see count."""
        if self.kind == "at":
            return [self.at] if self.at and start < self.at <= end else []
        if self.kind == "rate":
            raise ScheduleError("a rate() schedule has no fixed phase here; use count()")
        return _cron_walk(self, start, end, limit)

    def count(self, start: datetime, end: datetime, limit: int = 1000) -> int:
        """How many invocations fall in (start, end], capped at `limit`.

        A rate schedule's phase depends on when it was created (rules) or its StartDate (Scheduler), which
        the watchdog does not always know, so a rate counts only the whole intervals that fit: a lower bound
        that is never more than one below the truth.
        """
        if end <= start:
            return 0
        if self.kind == "rate":
            assert self.interval is not None
            return min(limit, int((end - start) / self.interval))
        return len(self.fires(start, end, limit))

    def latest(self, now: datetime, n: int = 1) -> list[datetime]:
        """The n most recent invocation times at or before now, newest first (cron and at only)."""
        if self.kind == "at":
            return [self.at] if self.at and self.at <= now else []
        if self.kind == "rate":
            raise ScheduleError("a rate() schedule has no fixed phase here")
        return _cron_walk_back(self, now, n)

    def period(self, now: datetime) -> timedelta | None:
        """The spacing of invocations around now: the rate, or the gap between the last two cron runs."""
        if self.kind == "rate":
            return self.interval
        if self.kind == "at":
            return None
        last = self.latest(now, 2)
        if len(last) == 2:
            return last[0] - last[1]
        upcoming = _cron_walk(self, now, now + timedelta(days=366 * 5), 2)
        return upcoming[1] - upcoming[0] if len(upcoming) == 2 else None

    def describe(self) -> str:
        """The expression with its zone when that is not UTC."""
        return self.expression if self.timezone in ("UTC", "Etc/UTC", "") else f"{self.expression} ({self.timezone})"


def parse_schedule(expression: str, timezone_name: str | None = "UTC", *, strict: bool = False) -> Schedule:
    """Parse an EventBridge rule or Scheduler expression; strict also enforces rate()'s singular/plural unit rule.

    AWS validated every expression it stored, so discovered ones are read leniently; `strict` is for
    expressions a person typed into the `schedules` config.
    """
    text = (expression or "").strip()
    zone_name = (timezone_name or "UTC").strip() or "UTC"
    zone = zone_for(zone_name)
    if match := _RATE.match(text):
        value, unit = int(match.group(1)), match.group(2)
        if value <= 0:
            raise ScheduleError(f"{text}: the rate value must be a positive whole number")
        if strict and (value == 1) == unit.endswith("s"):
            raise ScheduleError(f"{text}: use a singular unit for 1 and a plural one otherwise, "
                                "e.g. rate(1 hour), rate(5 hours)")
        return Schedule(text, zone_name, "rate", interval=value * _UNIT[unit.rstrip("s")], _zone=zone)
    if match := _CRON.match(text):
        return Schedule(text, zone_name, "cron", cron=translate_cron(match.group(1)), _zone=zone)
    if match := _AT.match(text):
        wall = datetime.fromisoformat(match.group(1))
        moment = wall_to_utc(wall, zone)
        return Schedule(text, zone_name, "at", at=moment, _zone=zone)
    raise ScheduleError(f"{text!r}: expected rate(value unit), cron(six fields) or at(yyyy-mm-ddThh:mm:ss)")


def translate_cron(fields_text: str) -> str:
    """AWS's six cron fields to croniter's seven-field spelling; raise ScheduleError for what AWS rejects."""
    fields = fields_text.upper().split()
    if len(fields) != 6:
        raise ScheduleError(f"cron({fields_text}): AWS cron expressions have six fields "
                            f"(minutes hours day-of-month month day-of-week year), got {len(fields)}")
    names = ("minutes", "hours", "day-of-month", "month", "day-of-week", "year")
    for name, value in zip(names, fields):
        if not _FIELD_CHARS[name].match(value):
            raise ScheduleError(f"cron({fields_text}): {name} {value!r} uses a character AWS does not allow there")
    minutes, hours, dom, month, dow, year = fields
    if (dom == "?") == (dow == "?"):
        raise ScheduleError(f"cron({fields_text}): use ? in exactly one of day-of-month and day-of-week")
    if "?" in dom[1:] or "?" in dow[1:]:
        raise ScheduleError(f"cron({fields_text}): ? stands alone in its field")
    if "#" in dow and "," in dow:
        raise ScheduleError(f"cron({fields_text}): with #, day-of-week holds one expression only")
    if dom == "LW":
        raise ScheduleError(f"cron({fields_text}): LW is not evaluated by the cron library; use L or nW")
    for number in re.findall(r"\d+", year):
        if int(number) > CRONITER_LAST_YEAR or int(number) < 1970:
            raise ScheduleError(f"cron({fields_text}): years 1970-{CRONITER_LAST_YEAR} can be evaluated")
    translated = " ".join((minutes, hours, "*" if dom == "?" else dom, month, _weekdays(dow, fields_text), "0", year))
    try:
        croniter(translated, datetime(2026, 1, 1))
    except CroniterError as error:
        raise ScheduleError(f"cron({fields_text}): {_reason(error)}") from None
    return translated


def _weekdays(dow: str, original: str) -> str:
    if dow in ("?", "*"):
        return "*"
    if dow == "L":
        return "6"  # the last day of the week: Saturday (AWS 7)
    parts = []
    for token in dow.split(","):
        if match := re.fullmatch(r"(\w+)#(\d)", token):
            parts.append(f"{_day(match.group(1), original)}#{match.group(2)}")
        elif match := re.fullmatch(r"(\w+)L", token):
            parts.append(f"L{_day(match.group(1), original)}")
        elif match := re.fullmatch(r"(\w+)-(\w+)", token):
            parts.append(f"{_day(match.group(1), original)}-{_day(match.group(2), original)}")
        else:
            parts.append(_day(token, original))
    return ",".join(parts)


def _day(token: str, original: str) -> str:
    if token in _WEEKDAYS:
        return token
    if token.isdigit() and 1 <= int(token) <= 7:
        return str(int(token) - 1)
    raise ScheduleError(f"cron({original}): day-of-week {token!r} is not 1-7 or SUN-SAT")


def _reason(error: Exception) -> str:
    text = str(error)
    return "a value is out of range or malformed" if not text else text.split("]")[-1].strip(" ,") or text


@lru_cache(maxsize=64)
def zone_for(name: str):
    """A tzinfo for an IANA zone name: zoneinfo, else dateutil's bundled database (botocore ships dateutil)."""
    if name in ("UTC", "Etc/UTC"):
        return UTC
    try:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    except ImportError:  # pragma: no cover - zoneinfo is stdlib on 3.9+
        pass
    from dateutil.zoneinfo import get_zonefile_instance

    zone = get_zonefile_instance().get(name)
    if zone is None:
        raise ScheduleError(f"time zone {name!r} is not an IANA zone name such as Europe/Paris or America/New_York")
    return zone


def wall_to_utc(wall: datetime, zone) -> datetime | None:
    """A naive wall-clock time in zone as UTC; None when the clock skipped it (spring forward).

    An ambiguous time (fall back) maps to its first occurrence only, as Scheduler runs once.
    """
    if zone is UTC:
        return wall.replace(tzinfo=UTC)
    moment = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if moment.astimezone(zone).replace(tzinfo=None) != wall:
        return None
    return moment


def _local(moment: datetime, zone) -> datetime:
    return moment.astimezone(zone).replace(tzinfo=None)


def _cron_walk(schedule: Schedule, start: datetime, end: datetime, limit: int) -> list[datetime]:
    zone = schedule._zone or UTC
    walker = croniter(schedule.cron, _local(start, zone) - _DST_MARGIN)
    found: list[datetime] = []
    while len(found) < limit:
        try:
            wall = walker.get_next(datetime)
        except CroniterBadDateError:  # no run within croniter's 50-year horizon (e.g. a past year)
            break
        moment = wall_to_utc(wall, zone)
        if moment is None:
            continue
        if moment > end:
            break
        if moment > start and (not found or moment > found[-1]):
            found.append(moment)
    return found


def _cron_walk_back(schedule: Schedule, now: datetime, n: int) -> list[datetime]:
    zone = schedule._zone or UTC
    walker = croniter(schedule.cron, _local(now, zone) + _DST_MARGIN)
    found: list[datetime] = []
    while len(found) < n:
        try:
            wall = walker.get_prev(datetime)
        except CroniterBadDateError:
            break
        moment = wall_to_utc(wall, zone)
        if moment is None or moment > now:
            continue
        if not found or moment < found[-1]:
            found.append(moment)
    return found
