"""AWS schedule expressions against AWS's documented examples, its DST rules, and properties.

Sources:
- EventBridge cron reference and its examples table:
  https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cron-expressions.html
  (also https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html)
- EventBridge rate reference: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rate-expressions.html
- EventBridge Scheduler schedule types, time zones and daylight saving time:
  https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stop_recorder.watchdog.expressions import Schedule, ScheduleError, parse_schedule, translate_cron, wall_to_utc, zone_for

UTC = timezone.utc


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def week(expression: str, tz: str = "UTC", start=utc(2026, 11, 15, 23, 59)) -> list[datetime]:
    """Runs from Monday 2026-11-16 00:00 UTC through Sunday 2026-11-22 23:59 UTC."""
    return parse_schedule(expression, tz).fires(start, start + timedelta(days=7), limit=5000)


# --- the EventBridge cron examples table, one row each ------------------------------------------

def test_doc_example_10am_every_day():
    runs = week("cron(0 10 * * ? *)")  # "Run at 10:00 am (UTC+0) every day"
    assert len(runs) == 7 and {(r.hour, r.minute) for r in runs} == {(10, 0)}


def test_doc_example_12_15_every_day():
    runs = week("cron(15 12 * * ? *)")  # "Run at 12:15 pm (UTC+0) every day"
    assert len(runs) == 7 and {(r.hour, r.minute) for r in runs} == {(12, 15)}


def test_doc_example_6pm_monday_to_friday():
    runs = week("cron(0 18 ? * MON-FRI *)")  # "Run at 6:00 pm (UTC+0) every Monday through Friday"
    assert [r.strftime("%a %H:%M") for r in runs] == ["Mon 18:00", "Tue 18:00", "Wed 18:00", "Thu 18:00", "Fri 18:00"]


def test_doc_example_8am_first_day_of_month():
    schedule = parse_schedule("cron(0 8 1 * ? *)")  # "Run at 8:00 am (UTC+0) every 1st day of the month"
    runs = schedule.fires(utc(2026, 11, 1), utc(2027, 2, 1), 10)
    assert runs == [utc(2026, 11, 1, 8), utc(2026, 12, 1, 8), utc(2027, 1, 1, 8)]


def test_doc_example_every_15_minutes():
    runs = week("cron(0/15 * * * ? *)")  # "Run every 15 minutes"
    assert len(runs) == 7 * 24 * 4 and {r.minute for r in runs} == {0, 15, 30, 45}


def test_doc_example_every_10_minutes_weekdays():
    runs = week("cron(0/10 * ? * MON-FRI *)")  # "Run every 10 minutes Monday through Friday"
    assert len(runs) == 5 * 24 * 6 and {r.strftime("%a") for r in runs} == {"Mon", "Tue", "Wed", "Thu", "Fri"}


def test_doc_example_every_5_minutes_office_hours():
    # "Run every 5 minutes Monday through Friday between 8:00 am and 5:55 pm (UTC+0)"
    runs = week("cron(0/5 8-17 ? * MON-FRI *)")
    assert len(runs) == 5 * 10 * 12
    assert min((r.hour, r.minute) for r in runs) == (8, 0) and max((r.hour, r.minute) for r in runs) == (17, 55)


def test_doc_example_wrapping_hour_range():
    # cron(0/30 20-2 ? * MON-FRI *): the hour range wraps past midnight (20..23 and 0..2) on Monday-Friday.
    # (The docs' prose for this row says "10:00 pm"; the fields say hour 20, which is what AWS evaluates.)
    runs = week("cron(0/30 20-2 ? * MON-FRI *)")
    hours = {r.hour for r in runs}
    assert hours == {20, 21, 22, 23, 0, 1, 2}
    assert {r.strftime("%a") for r in runs} == {"Mon", "Tue", "Wed", "Thu", "Fri"}
    assert len(runs) == 5 * 7 * 2


def test_doc_example_midnight_to_2am_weekdays():
    runs = week("cron(0/30 0-2 ? * MON-FRI *)")
    assert len(runs) == 5 * 6 and max(r.hour for r in runs) == 2


# --- the wildcards as the reference explains them ----------------------------------------------

def test_slash_from_first_minute():
    # "1/10 ... every tenth minute, starting from the first minute of the hour (the 11th, 21st, 31st ...)"
    runs = parse_schedule("cron(1/10 * * * ? *)").fires(utc(2026, 11, 16), utc(2026, 11, 16, 1), 20)
    assert [r.minute for r in runs] == [1, 11, 21, 31, 41, 51]


def test_w_is_nearest_weekday():
    # "3W specifies the weekday closest to the third day of the month": 2027-01-03 is a Sunday -> Monday the 4th;
    # 2026-10-03 is a Saturday -> Friday the 2nd.
    schedule = parse_schedule("cron(0 9 3W * ? *)")
    runs = schedule.fires(utc(2026, 10, 1), utc(2027, 1, 31), 10)
    assert [r.date().isoformat() for r in runs] == ["2026-10-02", "2026-11-03", "2026-12-03", "2027-01-04"]


def test_hash_is_nth_weekday():
    # "3#2 refers to the second Tuesday of the month (Tuesday is the third day of the week)"
    runs = parse_schedule("cron(0 9 ? * 3#2 *)").fires(utc(2026, 11, 1), utc(2027, 1, 1), 10)
    assert [r.date().isoformat() for r in runs] == ["2026-11-10", "2026-12-08"]
    assert all(r.strftime("%a") == "Tue" for r in runs)


def test_l_in_day_of_month_is_last_day():
    runs = parse_schedule("cron(0 12 L * ? *)").fires(utc(2027, 1, 1), utc(2027, 4, 1), 10)
    assert [r.day for r in runs] == [31, 28, 31]


def test_scheduler_doc_last_friday_in_year_range():
    # Scheduler docs' cron example: cron(15 10 ? * 6L 2022-2023), 10:15 on the last Friday of each month, 2022-2023.
    schedule = parse_schedule("cron(15 10 ? * 6L 2022-2023)")
    runs = schedule.fires(utc(2022, 1, 1), utc(2030, 1, 1), 100)
    assert len(runs) == 24
    assert runs[0] == utc(2022, 1, 28, 10, 15) and runs[-1] == utc(2023, 12, 29, 10, 15)
    assert all(r.strftime("%a") == "Fri" and (r + timedelta(days=7)).month != r.month for r in runs)


def test_l_alone_in_day_of_week_is_saturday():
    runs = week("cron(0 6 ? * L *)")
    assert [r.strftime("%a") for r in runs] == ["Sat"]


def test_weekday_numbers_start_on_sunday():
    assert [r.strftime("%a") for r in week("cron(0 6 ? * 1 *)")] == ["Sun"]
    assert [r.strftime("%a") for r in week("cron(0 6 ? * 2,7 *)")] == ["Mon", "Sat"]
    assert [r.strftime("%a") for r in week("cron(0 6 ? * 2-3 *)")] == ["Mon", "Tue"]


def test_month_names_and_lists():
    runs = parse_schedule("cron(0 0 1 JAN,FEB,MAR ? *)").fires(utc(2027, 1, 1) - timedelta(seconds=1), utc(2027, 12, 31), 10)
    assert [r.month for r in runs] == [1, 2, 3]


def test_past_year_never_fires():
    assert parse_schedule("cron(0 9 * * ? 2020)").count(utc(2026, 1, 1), utc(2027, 1, 1)) == 0


@pytest.mark.parametrize("expression, why", [
    ("cron(0 10 * * * *)", "exactly one"),           # "You can't use * in both the Day-of-month and Day-of-week fields"
    ("cron(0 10 ? * ? *)", "exactly one"),
    ("cron(0 10 7 * MON *)", "exactly one"),        # values in both day fields
    ("cron(0 10 * * ?)", "six fields"),             # Unix five-field cron
    ("cron(0 0 10 * * ? *)", "six fields"),         # Quartz seven-field cron
    ("cron(0 9 ? * 3#1,6#3 *)", "one expression"),  # the reference's own invalid example
    ("cron(0 9 ? * 8 *)", "1-7"),
    ("cron(0 9 ? * 0 *)", "1-7"),
    ("cron(61 9 * * ? *)", "cron("),
    ("cron(0 25 * * ? *)", "cron("),
    ("cron(0 9 * * ? 2200)", "1970-2099"),
    ("cron(0 9 L * ? *)x", "expected"),
    ("cron(0 9 W# * ? *)", "character"),
    ("rate(0 minutes)", "positive"),
    ("rate(5 weeks)", "expected"),
    ("every 5 minutes", "expected"),
])
def test_rejects_what_aws_rejects(expression, why):
    with pytest.raises(ScheduleError, match=None) as error:
        parse_schedule(expression)
    assert why in str(error.value)


# --- rate expressions ---------------------------------------------------------------------------

@pytest.mark.parametrize("expression, interval", [
    ("rate(1 minute)", timedelta(minutes=1)), ("rate(5 minutes)", timedelta(minutes=5)),
    ("rate(1 hour)", timedelta(hours=1)), ("rate(1 day)", timedelta(days=1)), ("rate(7 days)", timedelta(days=7)),
])
def test_doc_rate_examples(expression, interval):
    schedule = parse_schedule(expression, strict=True)
    assert schedule.interval == interval and schedule.period(utc(2026, 1, 1)) == interval


@pytest.mark.parametrize("expression", ["rate(1 hours)", "rate(5 hour)"])
def test_rate_unit_number_must_agree_when_strict(expression):
    # "rate(1 hours) and rate(5 hour) aren't valid"
    with pytest.raises(ScheduleError, match="singular"):
        parse_schedule(expression, strict=True)
    assert parse_schedule(expression).interval is not None  # what AWS stored is read leniently


def test_rate_counts_whole_intervals_only():
    schedule = parse_schedule("rate(5 minutes)")
    assert schedule.count(utc(2026, 1, 1), utc(2026, 1, 1, 0, 14, 59)) == 2
    assert schedule.count(utc(2026, 1, 1), utc(2026, 1, 1, 0, 15)) == 3


def test_rate_days_are_24_hours_across_dst():
    # "days represents a 24-hour duration on the clock" (knowledge-center article on Scheduler and DST)
    schedule = parse_schedule("rate(1 day)", "America/New_York")
    assert schedule.count(utc(2027, 3, 13, 12), utc(2027, 3, 14, 11, 59)) == 0


def test_at_is_one_time_in_its_zone():
    schedule = parse_schedule("at(2027-01-15T09:30:00)", "Europe/Paris")
    assert not schedule.recurring and schedule.at == utc(2027, 1, 15, 8, 30)


# --- time zones and daylight saving time (Scheduler) ---------------------------------------------

def test_cron_runs_on_the_zone_wall_clock():
    runs = parse_schedule("cron(0 9 * * ? *)", "Europe/Paris").fires(utc(2027, 1, 10), utc(2027, 1, 11), 5)
    assert runs == [utc(2027, 1, 10, 8)]  # 09:00 CET = 08:00 UTC
    runs = parse_schedule("cron(0 9 * * ? *)", "Europe/Paris").fires(utc(2027, 7, 10), utc(2027, 7, 11), 5)
    assert runs == [utc(2027, 7, 10, 7)]  # 09:00 CEST = 07:00 UTC


def test_spring_forward_skips_the_missing_time():
    # New York 2027-03-14: 02:00 jumps to 03:00. "your schedule invocation gets skipped if the cron expression
    # falls on a non-existent date and time"
    runs = parse_schedule("cron(30 2 * * ? *)", "America/New_York").fires(utc(2027, 3, 13), utc(2027, 3, 16), 10)
    assert [r.astimezone(zone_for("America/New_York")).date().isoformat() for r in runs] == ["2027-03-13", "2027-03-15"]


def test_fall_back_runs_once():
    # New York 2027-11-07: 01:00-02:00 happens twice. "your schedule runs only once and doesn't repeat"
    runs = parse_schedule("cron(30 1 * * ? *)", "America/New_York").fires(utc(2027, 11, 6, 12), utc(2027, 11, 8), 10)
    assert runs == [utc(2027, 11, 7, 5, 30)]  # 01:30 EDT, the first occurrence


def test_every_minute_across_fall_back_never_goes_backwards():
    runs = parse_schedule("cron(0/15 * * * ? *)", "America/New_York").fires(utc(2027, 11, 7, 4), utc(2027, 11, 7, 8), 100)
    assert runs == sorted(set(runs))
    # 01:00-01:59 local happens once (EDT); the repeated EST hour adds no runs
    assert len(runs) == 4 * 4 - 4


def test_unknown_zone_is_a_clear_error():
    with pytest.raises(ScheduleError, match="IANA"):
        parse_schedule("cron(0 9 * * ? *)", "Mars/Olympus_Mons")


def test_zone_falls_back_to_dateutil_database(monkeypatch):
    # Lambda images may lack the system tz database; dateutil (a botocore dependency) bundles one.
    import zoneinfo

    def missing(name):
        raise zoneinfo.ZoneInfoNotFoundError(name)

    zone_for.cache_clear()
    monkeypatch.setattr(zoneinfo, "ZoneInfo", missing)
    try:
        zone = zone_for("Europe/Paris")
        assert wall_to_utc(datetime(2027, 7, 10, 9), zone) == utc(2027, 7, 10, 7)
        assert wall_to_utc(datetime(2027, 3, 28, 2, 30), zone) is None  # Paris springs forward at 02:00
    finally:
        zone_for.cache_clear()


def test_botocore_still_brings_dateutil():
    # The asset bundles croniter but not python-dateutil: the python3.13 runtime's botocore requires it.
    from importlib.metadata import requires

    assert any(r.startswith("python-dateutil") for r in requires("botocore") or [])
    assert any(r.startswith("python-dateutil") for r in requires("croniter") or [])


# --- latest runs and period ---------------------------------------------------------------------

def test_latest_and_period_of_a_weekday_schedule():
    schedule = parse_schedule("cron(0 18 ? * MON-FRI *)")
    monday_morning = utc(2026, 11, 16, 10)
    assert schedule.latest(monday_morning, 2) == [utc(2026, 11, 13, 18), utc(2026, 11, 12, 18)]
    assert schedule.period(monday_morning) == timedelta(days=1)


def test_latest_includes_now():
    schedule = parse_schedule("cron(0/5 * * * ? *)")
    assert schedule.latest(utc(2026, 11, 16, 10, 5), 1) == [utc(2026, 11, 16, 10, 5)]


# --- properties ---------------------------------------------------------------------------------

_minute = st.one_of(st.integers(0, 59).map(str), st.integers(0, 59).map(lambda m: f"{m}/{max(1, 60 - m) if m else 7}"),
                    st.just("*"))
_hour = st.one_of(st.integers(0, 23).map(str), st.just("*"), st.tuples(st.integers(0, 23), st.integers(0, 23)).map(
    lambda t: f"{t[0]}-{t[1]}"))
_dow = st.one_of(st.just("?"), st.just("*"), st.integers(1, 7).map(str), st.sampled_from(["MON-FRI", "SAT,SUN", "2#1", "6L", "L"]))
_zones = st.sampled_from(["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"])


@settings(max_examples=60, deadline=None)
@given(minute=_minute, hour=_hour, dow=_dow, zone=_zones, offset=st.integers(0, 400 * 24))
def test_fires_are_increasing_in_range_and_match_the_wall_clock(minute, hour, dow, zone, offset):
    dom = "*" if dow == "?" else "?"
    expression = f"cron({minute} {hour} {dom} * {dow} *)"
    schedule = parse_schedule(expression, zone)
    start = utc(2026, 1, 1) + timedelta(hours=offset)
    end = start + timedelta(days=3)
    runs = schedule.fires(start, end, 200)
    assert all(start < r <= end for r in runs)
    assert runs == sorted(set(runs))
    for run in runs:
        local = run.astimezone(zone_for(zone))
        if minute.isdigit():
            assert local.minute == int(minute)
        if hour.isdigit():
            assert local.hour == int(hour)
    if runs:
        assert schedule.latest(runs[-1], 1) == [runs[-1]]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_arbitrary_text_is_a_schedule_error_or_a_schedule(text):
    try:
        schedule = parse_schedule(text)
    except ScheduleError:
        return
    assert isinstance(schedule, Schedule)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["0", "5", "*", "?", "L", "W", "#", "-", "/", ",", "1", "7", "MON", "15W", "3#2"]),
                min_size=6, max_size=6))
def test_arbitrary_fields_are_a_schedule_error_or_evaluable(fields):
    try:
        schedule = parse_schedule(f"cron({' '.join(fields)})")
    except ScheduleError:
        return
    runs = schedule.fires(utc(2026, 1, 1), utc(2026, 1, 3), 10)
    assert len(runs) <= 10 and runs == sorted(runs)
    assert all(utc(2026, 1, 1) <= run <= utc(2026, 1, 3) for run in runs)


def test_translation_is_croniter_seven_fields():
    assert translate_cron("0 18 ? * MON-FRI *") == "0 18 * * MON-FRI 0 *"
    assert translate_cron("15 10 ? * 6L 2022-2023") == "15 10 * * L5 0 2022-2023"
    assert translate_cron("0 9 ? * 3#2 *") == "0 9 * * 2#2 0 *"
