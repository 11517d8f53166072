"""GET /api/v1/drivers: the key drivers of a survey's NPS or CSAT (mounted by api/api.py)."""

from __future__ import annotations

import datetime as dt
import uuid

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from closeloop.accounts.access import access_object
from closeloop.analytics.drivers import DriverAnalysis, DriverFilters, driver_analysis
from closeloop.api.auth import api_org
from closeloop.api.schemas import with_errors
from closeloop.core.errors import DomainError
from closeloop.responses.choices import Channel
from closeloop.surveys.selectors import access_survey

router = Router(tags=["analytics"])


class DriversQuery(Schema):
    survey: uuid.UUID = Field(description="The survey's id.")
    target: str = Field(
        "",
        description="`nps` (the first NPS question), `csat` (the first CSAT question), the key of "
        "an NPS, CSAT, CES or rating question, or empty for NPS, else CSAT.",
        max_length=64,
    )
    from_: dt.date | None = Field(
        None, alias="from", description="First day of completion (org time zone)."
    )
    to: dt.date | None = Field(None, description="Last day of completion, included.")
    touchpoint: uuid.UUID | None = Field(None, description="Only responses at this touchpoint.")
    channel: Channel | None = Field(None, description="Only responses through this channel.")
    language: str = Field("", description="Only responses in this language.", max_length=10)
    segment: uuid.UUID | None = Field(None, description="Only responses from this segment.")
    drivers: str = Field(
        "",
        description="Comma-separated driver keys to weigh (default: every candidate), e.g. "
        "`q:taste,q:price,attr:plan`.",
        max_length=2000,
    )


class TargetOut(Schema):
    key: str
    type: str
    label: str
    title: str


class DriverOut(Schema):
    key: str = Field(description="`q:<question>`, `q:<matrix>.<row>`, `attr:<attribute>`, ...")
    label: str
    kind: str = Field(description="scale, choice, yes_no or number")
    source: str = Field(description="question, attribute, or an extra source such as theme")
    weight: float = Field(description="Raw relative weight; the drivers' weights add up to R².")
    share: float = Field(description="weight / R², from 0 to 1.")
    performance: float | None = Field(
        description="0-100: a rating's mean on a 0-100 scale, or for a choice or yes/no the "
        "share giving the answer that goes with the highest target. Null for numbers."
    )
    quadrant: str | None = Field(description="fix_first, keep_up, monitor or lower_priority")
    best_level: str | None
    direction: int = Field(description="+1 / -1: higher values go with a higher / lower target")
    answered: int = Field(description="Responses answering the target and this driver.")


class ExcludedOut(Schema):
    key: str
    label: str
    kind: str
    code: str = Field(description="low_coverage, constant, too_many_levels or listwise")
    reason: str


class DriversOut(Schema):
    survey: uuid.UUID
    target: TargetOut
    status: str = Field(description="ok, too_few_responses or no_drivers (then `message` says why)")
    message: str
    n: int = Field(description="Responses in the model (answered the target and every driver).")
    n_target: int = Field(description="Responses that answered the target.")
    r_squared: float | None
    importance_cut: float | None = Field(description="Median share: the quadrants' cut.")
    performance_cut: float | None = Field(description="Median performance: the quadrants' cut.")
    drivers: list[DriverOut]
    excluded: list[ExcludedOut]
    summary: str
    capped: bool = Field(description="True when only the newest 50,000 responses were read.")


def _out(analysis: DriverAnalysis) -> dict[str, object]:
    target = analysis.target
    return {
        "survey": analysis.survey_id,
        "target": {
            "key": target.key,
            "type": target.type,
            "label": target.label,
            "title": target.title,
        },
        "status": analysis.status,
        "message": analysis.message,
        "n": analysis.n,
        "n_target": analysis.n_target,
        "r_squared": analysis.r_squared,
        "importance_cut": analysis.importance_cut,
        "performance_cut": analysis.performance_cut,
        "drivers": [
            {
                "key": d.key,
                "label": d.label,
                "kind": d.kind,
                "source": d.source,
                "weight": d.weight,
                "share": d.share,
                "performance": d.performance,
                "quadrant": d.quadrant,
                "best_level": d.best_level,
                "direction": d.direction,
                "answered": d.answered,
            }
            for d in analysis.drivers
        ],
        "excluded": [
            {"key": e.key, "label": e.label, "kind": e.kind, "code": e.code, "reason": e.reason}
            for e in analysis.excluded
        ],
        "summary": " ".join(analysis.summary),
        "capped": analysis.capped,
    }


@router.get("/drivers", response=with_errors({200: DriversOut}, 404, 422))
def drivers_get(request: HttpRequest, query: Query[DriversQuery]) -> dict[str, object]:
    """Key drivers of a survey's NPS or CSAT by Johnson's relative weights: each driver's
    importance (weight, share of R²), performance (0-100) and priority quadrant, with n, R²
    and a plain-language summary in the request's language. Too few responses is not an
    error: `status` says so and `message` explains."""
    from closeloop.contacts.selectors import access_segment
    from closeloop.distribution.models import Touchpoint

    organization = api_org(request)
    survey = access_survey(organization=organization, pk=query.survey)
    if query.from_ and query.to and query.from_ > query.to:
        raise DomainError(_("The end date is before the start date."), field="to")
    if query.touchpoint is not None:
        access_object(Touchpoint.objects.all(), organization=organization, pk=query.touchpoint)
    segment = access_segment(organization=organization, pk=query.segment) if query.segment else None
    filters = DriverFilters(
        date_from=query.from_,
        date_to=query.to,
        touchpoint_id=query.touchpoint,
        channel=query.channel or "",
        language=query.language.strip(),
        segment=segment,
    )
    keys = [k.strip() for k in query.drivers.split(",") if k.strip()] or None
    analysis = driver_analysis(
        survey=survey, target=query.target, filters=filters, driver_keys=keys
    )
    return _out(analysis)
