"""Reads for the customer journey: touchpoints, who listens at each, and what customers said."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from closeloop.accounts.access import access_object
from closeloop.distribution.choices import CampaignStatus, ListeningChannel
from closeloop.distribution.models import Campaign, ListeningPost, Touchpoint, TriggerRule, Widget
from closeloop.surveys.models import Survey
from closeloop.surveys.selectors import survey_public_url

if TYPE_CHECKING:
    from closeloop.accounts.models import Organization

WINDOW_DAYS = 90
METRIC_TYPES = ("nps", "csat", "ces")
# Channels whose listening post is a link the business hands out (on a receipt, a parcel).
SHAREABLE = (ListeningChannel.LINK, ListeningChannel.QR)
CHANNEL_ORDER = [c.value for c in ListeningChannel]


def touchpoint_list(*, organization: Organization) -> QuerySet[Touchpoint]:
    """The organization's touchpoints in journey order."""
    return Touchpoint.objects.filter(organization=organization).order_by("position", "name", "id")


def access_touchpoint(*, organization: Organization, pk: Any) -> Touchpoint:
    """One touchpoint of the organization, or 404 (also for another organization's)."""
    return access_object(
        Touchpoint.objects.select_related("organization"), organization=organization, pk=pk
    )


def access_listening_post(*, touchpoint: Touchpoint, pk: Any) -> ListeningPost:
    """One listening post at this touchpoint, or 404."""
    return access_object(
        ListeningPost.objects.filter(touchpoint=touchpoint).select_related(
            "survey", "touchpoint__organization"
        ),
        organization=touchpoint.organization,
        pk=pk,
    )


def touchpoint_id_for_key(*, organization_id: Any, key: str) -> uuid.UUID | None:
    """The id of the organization's touchpoint with this key (the `tp` of a shared link)."""
    key = (key or "").strip()[:60]
    if not key:
        return None
    pk: uuid.UUID | None = (
        Touchpoint.objects.filter(organization_id=organization_id, key=key)
        .values_list("pk", flat=True)
        .first()
    )
    return pk


def touchpoint_link(*, survey: Survey, touchpoint: Touchpoint, channel: str = "link") -> str:
    """The survey's shareable link for this touchpoint; answers through it count there.
    A QR code's link also says so (`ch=qr`), so scans are told apart from clicks."""
    params = {"tp": touchpoint.key}
    if channel == ListeningChannel.QR:
        params["ch"] = "qr"
    return f"{survey_public_url(survey)}?{urlencode(params)}"


@dataclass(frozen=True)
class Listener:
    """A survey listening at a touchpoint through a channel, and what set it up."""

    survey: Survey
    channel: str
    source: str  # "post", "campaign", "trigger" or "widget"
    source_name: str = ""
    post: ListeningPost | None = None
    link: str = ""

    @property
    def channel_label(self) -> str:
        return str(ListeningChannel(self.channel).label)

    @property
    def is_shareable(self) -> bool:
        return self.channel in SHAREABLE and bool(self.link)


@dataclass(frozen=True)
class Score:
    """The touchpoint's score over the window: NPS (-100..100), CSAT (% satisfied) or CES
    (mean 1-7), with how many answers it rests on."""

    metric: str
    value: float
    n: int

    @property
    def label(self) -> str:
        return {"nps": "NPS", "csat": "CSAT", "ces": "CES"}[self.metric]

    @property
    def display(self) -> str:
        if self.metric == "nps":
            value = round(self.value)
            return f"{value:+d}" if value else "0"
        if self.metric == "csat":
            return f"{round(self.value)}%"
        return f"{self.value:.1f}"


@dataclass
class JourneyStop:
    """One touchpoint on the journey page: who listens there and what customers said."""

    touchpoint: Touchpoint
    listeners: list[Listener] = field(default_factory=list)
    responses: int = 0
    score: Score | None = None

    @property
    def no_listening_post(self) -> bool:
        return not self.listeners

    @property
    def channels(self) -> list[tuple[str, str]]:
        present = {lis.channel for lis in self.listeners}
        return [(c.value, str(c.label)) for c in ListeningChannel if c.value in present]

    @property
    def surveys(self) -> list[Survey]:
        seen: dict[uuid.UUID, Survey] = {}
        for lis in self.listeners:
            seen.setdefault(lis.survey.pk, lis.survey)
        return list(seen.values())

    @property
    def shareables(self) -> list[Listener]:
        return [lis for lis in self.listeners if lis.is_shareable]


@dataclass(frozen=True)
class _Metric:
    key: str
    type: str
    points: int


def _first_metric(survey: Survey) -> _Metric | None:
    """The survey's first NPS, CSAT or CES question (from its published definition)."""
    version = survey.current_version
    if version is None:
        return None
    for page in version.definition.get("pages") or []:
        for question in page.get("questions") or []:
            if question.get("type") in METRIC_TYPES:
                return _Metric(
                    key=str(question.get("key")),
                    type=str(question["type"]),
                    points=int(question.get("points") or 5),
                )
    return None


def _listeners(organization: Organization, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[Listener]]:
    found: dict[uuid.UUID, list[Listener]] = defaultdict(list)
    seen: set[tuple[uuid.UUID, uuid.UUID, str, str]] = set()

    def add(tp_id: uuid.UUID, listener: Listener) -> None:
        mark = (tp_id, listener.survey.pk, listener.channel, listener.source)
        if listener.source == "post" or mark not in seen:
            seen.add(mark)
            found[tp_id].append(listener)

    posts = (
        ListeningPost.objects.filter(organization=organization, touchpoint_id__in=ids)
        .select_related("survey__current_version", "touchpoint")
        .order_by("created_at")
    )
    # An active widget is listed by name below; its widget-channel post would list it twice.
    widget_marks = set(
        Widget.objects.filter(
            organization=organization, touchpoint_id__in=ids, is_active=True
        ).values_list("touchpoint_id", "survey_id")
    )
    for post in posts:
        if (
            post.channel == ListeningChannel.WIDGET
            and (post.touchpoint_id, post.survey_id) in widget_marks
        ):
            continue
        link = (
            touchpoint_link(survey=post.survey, touchpoint=post.touchpoint, channel=post.channel)
            if post.channel in SHAREABLE
            else ""
        )
        add(post.touchpoint_id, Listener(post.survey, post.channel, "post", "", post, link))
    campaigns = (
        Campaign.objects.filter(organization=organization, touchpoint_id__in=ids)
        .exclude(status=CampaignStatus.CANCELLED)
        .select_related("survey__current_version")
        .order_by("created_at")
    )
    for campaign in campaigns:
        assert campaign.touchpoint_id is not None
        add(
            campaign.touchpoint_id,
            Listener(campaign.survey, ListeningChannel.EMAIL, "campaign", campaign.name),
        )
    rules = (
        TriggerRule.objects.filter(organization=organization, touchpoint_id__in=ids, is_active=True)
        .select_related("survey__current_version")
        .order_by("created_at")
    )
    for rule in rules:
        assert rule.touchpoint_id is not None
        add(rule.touchpoint_id, Listener(rule.survey, ListeningChannel.EVENT, "trigger", rule.name))
    widgets = (
        Widget.objects.filter(organization=organization, touchpoint_id__in=ids, is_active=True)
        .select_related("survey__current_version")
        .order_by("created_at")
    )
    for widget in widgets:
        assert widget.touchpoint_id is not None
        add(
            widget.touchpoint_id,
            Listener(widget.survey, ListeningChannel.WIDGET, "widget", widget.name),
        )
    return found


def _scores(
    organization: Organization, ids: list[uuid.UUID], since: dt.datetime
) -> dict[uuid.UUID, Score]:
    """Per touchpoint: NPS if a survey answered there asks NPS first, else CSAT, else CES."""
    from closeloop.responses.choices import ResponseStatus
    from closeloop.responses.models import AnswerFact

    rows = list(
        AnswerFact.objects.filter(
            organization_id=organization.pk,
            question_type__in=METRIC_TYPES,
            number__isnull=False,
            response__touchpoint_id__in=ids,
            response__status=ResponseStatus.COMPLETE,
            response__completed_at__gte=since,
        )
        .order_by()
        .values("response__touchpoint_id", "survey_id", "question_key", "number")
        .annotate(n=Count("id"))
    )
    survey_ids = {row["survey_id"] for row in rows}
    metrics = {
        s.pk: _first_metric(s)
        for s in Survey.objects.filter(pk__in=survey_ids).select_related("current_version")
    }
    # (touchpoint, metric type) -> [(score, points, count)]
    buckets: dict[tuple[uuid.UUID, str], list[tuple[float, int, int]]] = defaultdict(list)
    for row in rows:
        metric = metrics.get(row["survey_id"])
        tp_id, number = row["response__touchpoint_id"], row["number"]
        if metric is None or metric.key != row["question_key"] or tp_id is None or number is None:
            continue
        buckets[(tp_id, metric.type)].append((float(number), metric.points, int(row["n"])))
    scores: dict[uuid.UUID, Score] = {}
    for tp_id in ids:
        for metric_type in METRIC_TYPES:
            values = buckets.get((tp_id, metric_type))
            if values:
                scores[tp_id] = _score(metric_type, values)
                break
    return scores


def _score(metric: str, values: list[tuple[float, int, int]]) -> Score:
    from closeloop.surveys.questions import csat_is_satisfied

    n = sum(count for _v, _p, count in values)
    if metric == "nps":
        promoters = sum(c for v, _p, c in values if v >= 9)
        detractors = sum(c for v, _p, c in values if v <= 6)
        return Score("nps", 100 * (promoters - detractors) / n, n)
    if metric == "csat":
        satisfied = sum(c for v, p, c in values if csat_is_satisfied(v, p))
        return Score("csat", 100 * satisfied / n, n)
    return Score("ces", sum(v * c for v, _p, c in values) / n, n)


def _response_counts(
    organization: Organization, ids: list[uuid.UUID], since: dt.datetime
) -> dict[uuid.UUID, int]:
    from closeloop.responses.choices import ResponseStatus
    from closeloop.responses.models import Response

    rows = (
        Response.objects.filter(
            organization=organization,
            touchpoint_id__in=ids,
            status=ResponseStatus.COMPLETE,
            completed_at__gte=since,
        )
        .order_by()
        .values("touchpoint_id")
        .annotate(n=Count("id"))
    )
    return {row["touchpoint_id"]: int(row["n"]) for row in rows if row["touchpoint_id"]}


def journey(
    *,
    organization: Organization,
    now: dt.datetime | None = None,
    days: int = WINDOW_DAYS,
    touchpoints: list[Touchpoint] | None = None,
) -> list[JourneyStop]:
    """The journey in order: each touchpoint's listeners (its listening posts and the
    campaigns, trigger rules and widgets pointed at it), completed responses in the last
    `days` days and the score they give."""
    since = (now or timezone.now()) - dt.timedelta(days=days)
    if touchpoints is None:
        touchpoints = list(touchpoint_list(organization=organization))
    ids = [t.pk for t in touchpoints]
    listeners = _listeners(organization, ids)
    counts = _response_counts(organization, ids, since)
    scores = _scores(organization, ids, since)
    return [
        JourneyStop(
            touchpoint=t,
            listeners=listeners.get(t.pk, []),
            responses=counts.get(t.pk, 0),
            score=scores.get(t.pk),
        )
        for t in touchpoints
    ]


def journey_stop(*, touchpoint: Touchpoint, now: dt.datetime | None = None) -> JourneyStop:
    """One touchpoint's place in the journey (for its own page)."""
    return journey(organization=touchpoint.organization, now=now, touchpoints=[touchpoint])[0]


def qr_survey_for(*, touchpoint: Touchpoint, survey_id: Any = None) -> Survey | None:
    """The survey a touchpoint's QR code points to: the one asked for (any survey of the org),
    else the first survey listening there by QR code or web link."""
    if survey_id:
        try:
            key = uuid.UUID(str(survey_id))
        except ValueError:
            return None
        return (
            Survey.objects.filter(organization_id=touchpoint.organization_id, pk=key)
            .select_related("organization")
            .first()
        )
    posts = list(
        ListeningPost.objects.filter(touchpoint=touchpoint, channel__in=SHAREABLE)
        .select_related("survey")
        .order_by("created_at")
    )
    # a QR post first: the code is what the caller is after
    posts.sort(key=lambda p: p.channel != ListeningChannel.QR)
    post = posts[0] if posts else None
    return post.survey if post is not None else None


def no_survey_message() -> str:
    return _("No survey listens at this touchpoint by QR code or web link.")
