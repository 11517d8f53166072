"""Alert rule services: create, change, pause or resume, delete. Every change is recorded in the
audit log; webhook URLs are checked like every outbound URL (no private addresses), and a
signed webhook without a secret gets one, shown once (`rule.revealed_secret`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from closeloop.accounts.models import ApiKey, Membership, Organization, Team, User
from closeloop.analytics.models import AlertCount, AlertKind, AlertMetric, AlertRule
from closeloop.core.errors import DomainError
from closeloop.core.services import activity_record
from closeloop.core.verbs import register_verbs

register_verbs(
    {
        "alert_rule.created": gettext_lazy("created an alert rule"),
        "alert_rule.updated": gettext_lazy("changed an alert rule"),
        "alert_rule.deleted": gettext_lazy("deleted an alert rule"),
        "alert_rule.paused": gettext_lazy("paused an alert rule"),
        "alert_rule.resumed": gettext_lazy("resumed an alert rule"),
        "alert.triggered": gettext_lazy("raised an alert"),
    }
)

# A count is judged per clock hour, quarter of a day, day or week (in the org's time zone).
COUNT_WINDOWS = (1, 6, 24, 168)
MAX_SILENCE_HOURS = 24 * 30
URL_FIELDS = ("slack_webhook_url", "teams_webhook_url", "webhook_url")


@dataclass
class RuleInput:
    """Everything a rule holds, as given by a form or the API (objects already looked up)."""

    name: str
    kind: str
    metric: str = ""
    min_drop: float = 0.0
    count_of: str = ""
    level: int | None = None
    window_hours: int = 24
    survey: Any = None
    segment: Any = None
    touchpoint: Any = None
    email_teams: list[Team] = field(default_factory=list)
    email_members: list[Membership] = field(default_factory=list)
    slack_webhook_url: str = ""
    teams_webhook_url: str = ""
    webhook_url: str = ""
    webhook_secret: str = ""
    is_active: bool = True

    @classmethod
    def of(cls, rule: AlertRule) -> RuleInput:
        """A rule's current values (to merge a partial change into)."""
        return cls(
            name=rule.name,
            kind=rule.kind,
            metric=rule.metric,
            min_drop=rule.min_drop,
            count_of=rule.count_of,
            level=rule.level,
            window_hours=rule.window_hours,
            survey=rule.survey,
            segment=rule.segment,
            touchpoint=rule.touchpoint,
            email_teams=list(rule.email_teams.all()),
            email_members=list(rule.email_members.all()),
            slack_webhook_url=rule.slack_webhook_url,
            teams_webhook_url=rule.teams_webhook_url,
            webhook_url=rule.webhook_url,
            webhook_secret=rule.webhook_secret,
            is_active=rule.is_active,
        )


def mask_url(value: str) -> str:
    """A webhook URL shown after saving: its host and last four characters, never the token."""
    if not value:
        return ""
    if "://" in value:
        scheme, rest = value.split("://", 1)
        return f"{scheme}://{rest.split('/', 1)[0]}/…{value[-4:]}"
    return "…"


def _owned(organization: Organization, obj: Any, name: str) -> None:
    if obj is not None and getattr(obj, "organization_id", None) != organization.pk:
        raise DomainError(_("Choose one of your organization's entries."), field=name)


def _check_url(value: str, name: str) -> str:
    from closeloop.integrations.webhooks import endpoint_url_check

    value = (value or "").strip()
    if not value:
        return ""
    try:
        return endpoint_url_check(value)
    except DomainError as exc:
        raise DomainError(exc.message, field=name) from None


def _clean(organization: Organization, data: RuleInput) -> RuleInput:
    """Validate a rule; DomainError names the field at fault."""
    data.name = (data.name or "").strip()
    if not data.name:
        raise DomainError(_("Give the rule a name."), field="name")
    if len(data.name) > 200:
        raise DomainError(_("Use at most 200 characters."), field="name")
    if data.kind not in AlertKind.values:
        raise DomainError(
            _("Choose what to watch: %(kinds)s.") % {"kinds": ", ".join(AlertKind.values)},
            field="kind",
        )
    for name in ("survey", "segment", "touchpoint"):
        _owned(organization, getattr(data, name), name)
    if data.kind == AlertKind.SCORE_DROP:
        if data.metric not in AlertMetric.values:
            raise DomainError(_("Choose the score to watch: NPS, CSAT or CES."), field="metric")
        if data.min_drop is None or data.min_drop < 0:
            raise DomainError(_("The minimum drop is zero or more."), field="min_drop")
        data.count_of, data.level = "", None
    elif data.kind == AlertKind.COUNT_ABOVE:
        if data.count_of not in AlertCount.values:
            raise DomainError(
                _("Choose what to count: detractors, passives, promoters or responses."),
                field="count_of",
            )
        if data.level is None or data.level < 0:
            raise DomainError(_("Give the level the count must go above."), field="level")
        if data.window_hours not in COUNT_WINDOWS:
            raise DomainError(
                _("Count per 1, 6, 24 or 168 hours (an hour, a quarter day, a day, a week)."),
                field="window_hours",
            )
        data.metric, data.min_drop = "", 0.0
    else:
        if data.touchpoint is None:
            raise DomainError(_("Choose the touchpoint to watch."), field="touchpoint")
        if not 1 <= data.window_hours <= MAX_SILENCE_HOURS:
            raise DomainError(
                _("Silence is measured in hours, from 1 to %(max)s.") % {"max": MAX_SILENCE_HOURS},
                field="window_hours",
            )
        data.metric, data.min_drop, data.count_of, data.level = "", 0.0, "", None
    for team in data.email_teams:
        _owned(organization, team, "email_teams")
    for membership in data.email_members:
        _owned(organization, membership, "email_members")
    for name in URL_FIELDS:
        setattr(data, name, _check_url(getattr(data, name), name))
    data.webhook_secret = (data.webhook_secret or "").strip()
    if len(data.webhook_secret) > 200:
        raise DomainError(_("Use at most 200 characters."), field="webhook_secret")
    return data


def _apply(rule: AlertRule, data: RuleInput) -> str:
    """Copy the values onto the rule; returns a secret made now (to show once), or ""."""
    from closeloop.integrations.webhooks import secret_generate

    revealed = ""
    secret = data.webhook_secret
    if data.webhook_url and not secret:
        # keep the secret of an unchanged URL; a new URL without one gets a new secret
        if rule.webhook_secret and rule.webhook_url == data.webhook_url:
            secret = rule.webhook_secret
        else:
            secret = revealed = secret_generate()
    if not data.webhook_url:
        secret = ""
    for name in (
        "name", "kind", "metric", "min_drop", "count_of", "level", "window_hours", "survey",
        "segment", "touchpoint", "slack_webhook_url", "teams_webhook_url", "webhook_url",
        "is_active",
    ):  # fmt: skip
        setattr(rule, name, getattr(data, name))
    rule.webhook_secret = secret
    return revealed


def _keep_masked(rule: AlertRule, data: RuleInput) -> None:
    """A masked URL sent back (as shown on the page or by the API) keeps the saved one."""
    for name in URL_FIELDS:
        given = getattr(data, name) or ""
        saved = getattr(rule, name)
        if saved and given and given == mask_url(saved):
            setattr(data, name, saved)
    if rule.webhook_secret and data.webhook_secret in ("…", "…" + rule.webhook_secret[-4:]):
        data.webhook_secret = rule.webhook_secret


def alert_rule_create(
    *,
    organization: Organization,
    data: RuleInput,
    actor: User | None = None,
    api_key: ApiKey | None = None,
) -> AlertRule:
    """Add an alert rule; a signed webhook without a secret gets one (`revealed_secret`)."""
    data = _clean(organization, data)
    with transaction.atomic():
        rule = AlertRule(organization=organization, created_by=actor)
        revealed = _apply(rule, data)
        rule.save()
        rule.email_teams.set(data.email_teams)
        rule.email_members.set(data.email_members)
        activity_record(
            organization=organization, actor=actor, api_key=api_key,
            verb="alert_rule.created", target=rule, data={"kind": rule.kind},
        )  # fmt: skip
    rule.revealed_secret = revealed  # type: ignore[attr-defined]
    return rule


def alert_rule_update(
    *,
    rule: AlertRule,
    data: RuleInput,
    actor: User | None = None,
    api_key: ApiKey | None = None,
) -> AlertRule:
    """Change a rule (every field given; masked URLs keep the saved ones)."""
    _keep_masked(rule, data)
    data = _clean(rule.organization, data)
    with transaction.atomic():
        locked = AlertRule.objects.select_for_update().get(pk=rule.pk)
        revealed = _apply(locked, data)
        if (locked.kind, locked.window_hours) != (rule.kind, rule.window_hours):
            locked.last_check = {}
        locked.save()
        locked.email_teams.set(data.email_teams)
        locked.email_members.set(data.email_members)
        activity_record(
            organization=locked.organization, actor=actor, api_key=api_key,
            verb="alert_rule.updated", target=locked,
        )  # fmt: skip
    for name in ("name", "kind", "metric", "min_drop", "count_of", "level", "window_hours",
                 "survey", "segment", "touchpoint", "slack_webhook_url", "teams_webhook_url",
                 "webhook_url", "webhook_secret", "is_active", "last_check"):  # fmt: skip
        setattr(rule, name, getattr(locked, name))
    rule.revealed_secret = revealed  # type: ignore[attr-defined]
    return rule


def alert_rule_set_active(
    *,
    rule: AlertRule,
    active: bool,
    actor: User | None = None,
    api_key: ApiKey | None = None,
) -> AlertRule:
    """Pause or resume a rule (locks it; recorded once per actual change)."""
    with transaction.atomic():
        locked = AlertRule.objects.select_for_update().get(pk=rule.pk)
        if locked.is_active != active:
            locked.is_active = active
            locked.save(update_fields=["is_active", "updated_at"])
            activity_record(
                organization=locked.organization, actor=actor, api_key=api_key,
                verb="alert_rule.resumed" if active else "alert_rule.paused", target=locked,
            )  # fmt: skip
    rule.is_active = locked.is_active
    return rule


def alert_rule_delete(
    *, rule: AlertRule, actor: User | None = None, api_key: ApiKey | None = None
) -> None:
    """Delete a rule and its past alerts."""
    with transaction.atomic():
        activity_record(
            organization=rule.organization, actor=actor, api_key=api_key,
            verb="alert_rule.deleted", target=rule,
        )  # fmt: skip
        rule.delete()


def teams_and_members(
    organization: Organization, team_ids: Iterable[Any], member_ids: Iterable[Any]
) -> tuple[list[Team], list[Membership]]:
    """The organization's teams and memberships with these ids (unknown ids are refused)."""
    team_ids, member_ids = [str(t) for t in team_ids], [str(m) for m in member_ids]
    teams = list(Team.objects.filter(organization=organization, pk__in=team_ids))
    if len(teams) != len(set(team_ids)):
        raise DomainError(_("One of these teams does not exist."), field="email_teams")
    members = list(
        Membership.objects.filter(organization=organization, pk__in=member_ids).select_related(
            "user"
        )
    )
    if len(members) != len(set(member_ids)):
        raise DomainError(_("One of these members does not exist."), field="email_members")
    return teams, members
