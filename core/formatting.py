"""The one way durations are written for people: pages, mails and the `humanizeDuration` filter."""

from __future__ import annotations

from datetime import timedelta


def duration_text(value: timedelta | float | int | None) -> str:
    """A short human duration; "" for None.

    Under a second in milliseconds (`850 ms`), under a minute with one decimal when not whole
    (`2.5 s`), otherwise whole units with zero units left out: `4 min 5 s`, `1 h 2 min 5 s`,
    `1 d 1 h`. Negative durations keep their sign; zero is `0 s`.
    """
    if value is None:
        return ""
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    if 0 < seconds < 0.9995:
        return f"{sign}{seconds * 1000:.0f} ms"
    if seconds < 59.95 and seconds != int(seconds):
        return f"{sign}{round(seconds, 1):g} s"
    total = int(seconds + 0.5)
    days, rest = divmod(total, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    units = ((days, "d"), (hours, "h"), (minutes, "min"), (secs, "s"))
    text = " ".join(f"{amount} {unit}" for amount, unit in units if amount)
    return sign + (text or "0 s")
