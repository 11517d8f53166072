"""Plain sentences for what an alert rule watches and what its checks found, in the active
language (rendered when shown or sent, from the figures stored on the event)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from closeloop.analytics.metrics.stats import change_sentence
from closeloop.analytics.models import AlertCount, AlertEvent, AlertKind, AlertMetric, AlertRule

# The estimate kind of each watched score (for how a change is worded).
METRIC_KIND = {"nps": "nps", "enps": "nps", "csat": "proportion", "ces": "mean"}


def number(value: float | None, kind: str = "nps") -> str:
    """A figure as shown: one decimal at most (two for means), no trailing zeros."""
    if value is None:
        return "—"
    digits = 2 if kind == "mean" else 1
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def metric_label(metric: str) -> str:
    if metric == "enps":
        return "eNPS"
    try:
        return str(AlertMetric(metric).label)
    except ValueError:
        return metric


def count_label(count_of: str, count: int) -> str:
    """ "12 detractors", "1 response"."""
    if count_of == AlertCount.DETRACTORS:
        return ngettext("%(n)s detractor", "%(n)s detractors", count) % {"n": count}
    if count_of == AlertCount.PASSIVES:
        return ngettext("%(n)s passive", "%(n)s passives", count) % {"n": count}
    if count_of == AlertCount.PROMOTERS:
        return ngettext("%(n)s promoter", "%(n)s promoters", count) % {"n": count}
    return ngettext("%(n)s response", "%(n)s responses", count) % {"n": count}


def _local(value: str | None, zone: str) -> dt.datetime | None:
    if not value:
        return None
    moment = dt.datetime.fromisoformat(value)
    return moment.astimezone(zoneinfo.ZoneInfo(zone))


def _when(value: str | None, zone: str) -> str:
    moment = _local(value, zone)
    return formats.date_format(moment, "DATETIME_FORMAT") if moment else "—"


def _day(value: str | None) -> str:
    if not value:
        return "—"
    return formats.date_format(dt.date.fromisoformat(value[:10]), "DATE_FORMAT")


def rule_scope(rule: AlertRule) -> str:
    """Where the rule looks: "survey X · segment Y · touchpoint Z", or every customer survey."""
    parts = []
    if rule.survey_id:
        parts.append(_("survey %(name)s") % {"name": rule.survey.name})  # type: ignore[union-attr]
    if rule.segment_id:
        parts.append(_("segment %(name)s") % {"name": rule.segment.name})  # type: ignore[union-attr]
    if rule.touchpoint_id:
        parts.append(_("touchpoint %(name)s") % {"name": rule.touchpoint.name})  # type: ignore[union-attr]
    return " · ".join(parts) if parts else _("every customer survey")


def rule_summary(rule: AlertRule) -> str:
    """What the rule watches, in one sentence."""
    if rule.kind == AlertKind.SCORE_DROP:
        text = _(
            "%(metric)s falls week over week by more than the margin of error (%(scope)s)."
        ) % {"metric": metric_label(rule.metric), "scope": rule_scope(rule)}
        if rule.min_drop:
            text += " " + _("Only drops of at least %(drop)s.") % {
                "drop": number(rule.min_drop, METRIC_KIND.get(rule.metric, "nps"))
            }
        return text
    if rule.kind == AlertKind.COUNT_ABOVE:
        what = str(AlertCount(rule.count_of).label).lower() if rule.count_of else ""
        return _("More than %(level)s %(what)s in %(window)s (%(scope)s).") % {
            "level": rule.level,
            "what": what,
            "window": window_label(rule.window_hours),
            "scope": rule_scope(rule),
        }
    return _("No responses for %(hours)s at %(touchpoint)s when it usually has some.") % {
        "hours": hours_label(rule.window_hours),
        "touchpoint": rule.touchpoint.name if rule.touchpoint_id else "—",  # type: ignore[union-attr]
    }


def hours_label(hours: int) -> str:
    if hours % 24 == 0:
        days = hours // 24
        return ngettext("%(n)s day", "%(n)s days", days) % {"n": days}
    return ngettext("%(n)s hour", "%(n)s hours", hours) % {"n": hours}


def window_label(hours: int) -> str:
    return {
        1: _("one clock hour"),
        6: _("a quarter of a day (00-06, 06-12, 12-18, 18-24)"),
        24: _("one day"),
        168: _("one week (Monday to Sunday)"),
    }.get(hours, hours_label(hours))


def finding_sentence(kind: str, data: dict[str, Any], *, time_zone: str) -> str:
    """What a check found (fired or not), from its stored figures."""
    status = data.get("status", "")
    min_size = data.get("min_group_size", 5)
    if status == "error":
        return _("The rule could not be checked: %(error)s") % {"error": data.get("error", "")}
    if status == "too_few":
        return _(
            "Too few responses to judge without revealing a small group (fewer than %(min)s)."
        ) % {"min": min_size}
    if status == "no_data":
        if kind == AlertKind.SILENCE:
            return _("No responses here yet, so there is no usual rhythm to compare with.")
        return _("No responses in this period.")
    if kind == AlertKind.SCORE_DROP:
        return _score_sentence(data)
    if kind == AlertKind.COUNT_ABOVE:
        return _count_sentence(data, time_zone)
    return _silence_sentence(data, time_zone)


def _score_sentence(data: dict[str, Any]) -> str:
    metric = str(data.get("metric", "nps"))
    kind = METRIC_KIND.get(metric, "nps")
    value, previous = data.get("value"), data.get("previous")
    head = _(
        "%(metric)s in the week of %(week)s: %(value)s (n = %(n)s), the week before "
        "%(previous)s (n = %(previous_n)s)."
    ) % {
        "metric": metric_label(metric),
        "week": _day(data.get("week")),
        "value": number(value, kind),
        "n": data.get("n", 0),
        "previous": number(previous, kind),
        "previous_n": data.get("previous_n", 0),
    }
    difference = data.get("difference")
    if difference is None:
        return head
    tail = change_sentence(float(difference), data.get("margin"), kind)  # type: ignore[arg-type]
    return f"{head} {tail}"


def _count_sentence(data: dict[str, Any], zone: str) -> str:
    count = int(data.get("count", 0))
    text = _("%(count)s from %(start)s to %(end)s; the level is %(level)s.") % {
        "count": count_label(str(data.get("count_of", "")), count),
        "start": _when(data.get("start"), zone),
        "end": _when(data.get("end"), zone),
        "level": data.get("level", 0),
    }
    if data.get("count_of") != AlertCount.RESPONSES and data.get("n"):
        text += " " + ngettext(
            "Out of %(n)s scored response.", "Out of %(n)s scored responses.", int(data["n"])
        ) % {"n": data["n"]}
    return text


def _silence_sentence(data: dict[str, Any], zone: str) -> str:
    expected = float(data.get("expected") or 0)
    last = data.get("last_response_at")
    if data.get("status") in ("fired", "usually_quiet"):
        base = _(
            "No responses for %(silent)s (the last one %(last)s); in the four weeks before, it "
            "got about %(expected)s in that much time."
        ) % {
            "silent": hours_label(int(data.get("silent_hours") or 0)),
            "last": _when(last, zone),
            "expected": number(expected, "proportion"),
        }
        if data.get("status") == "usually_quiet":
            base += " " + _("That is too few to call the silence unusual.")
        return base
    return _("Responses are coming in (the last one %(last)s).") % {"last": _when(last, zone)}


def event_sentence(event: AlertEvent) -> str:
    """Why the alert fired, in plain words."""
    return finding_sentence(
        event.rule.kind, event.data, time_zone=event.rule.organization.time_zone
    )


def event_title(event: AlertEvent) -> str:
    """A short headline: "NPS dropped", "31 detractors", "Delivery went silent"."""
    rule, data = event.rule, event.data
    if rule.kind == AlertKind.SCORE_DROP:
        return _("%(metric)s dropped: %(rule)s") % {
            "metric": metric_label(str(data.get("metric", rule.metric))),
            "rule": rule.name,
        }
    if rule.kind == AlertKind.COUNT_ABOVE:
        return _("%(count)s: %(rule)s") % {
            "count": count_label(rule.count_of, int(data.get("count", 0))),
            "rule": rule.name,
        }
    return _("%(touchpoint)s went silent: %(rule)s") % {
        "touchpoint": rule.touchpoint.name if rule.touchpoint_id else "—",  # type: ignore[union-attr]
        "rule": rule.name,
    }


def event_figures(event: AlertEvent) -> list[tuple[str, str]]:
    """The numbers behind an alert, as (label, value) rows."""
    data, kind = event.data, event.rule.kind
    zone = event.rule.organization.time_zone
    rows: list[tuple[str, str]] = []
    if kind == AlertKind.SCORE_DROP:
        k = METRIC_KIND.get(str(data.get("metric")), "nps")
        rows += [
            (_("This week"), f"{number(data.get('value'), k)} (n = {data.get('n', 0)})"),
            (
                _("Week before"),
                f"{number(data.get('previous'), k)} (n = {data.get('previous_n', 0)})",
            ),
            (_("Change"), number(data.get("difference"), k)),
            (_("Margin of error of the change"), "±" + number(data.get("margin"), k)),
        ]
    elif kind == AlertKind.COUNT_ABOVE:
        rows += [
            (_("Count"), str(data.get("count", 0))),
            (_("Level"), str(data.get("level", 0))),
            (_("From"), _when(data.get("start"), zone)),
            (_("To"), _when(data.get("end"), zone)),
        ]
        if data.get("n") is not None:
            rows.append((_("Scored responses"), str(data.get("n"))))
    else:
        rows += [
            (_("Last response"), _when(data.get("last_response_at"), zone)),
            (_("Silent for"), hours_label(int(data.get("silent_hours") or 0))),
            (_("Usually in that time"), number(data.get("expected"), "proportion")),
            (_("Responses in the four weeks before"), str(data.get("baseline", 0))),
        ]
    return rows
