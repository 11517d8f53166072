"""Closed-loop cases with their timeline and replies, and the org's case settings: root causes,
SLA policies, business hours, holidays and reply templates."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from closeloop.cases.choices import (
    SLA_CLOCK_STATUSES,
    WEEKDAYS,
    CaseEventKind,
    CasePriority,
    CaseStatus,
)
from closeloop.core.models import AppendOnlyError, OrgOwnedModel


class CaseSettings(OrgOwnedModel):
    """Per-org case bookkeeping: the last case number handed out, and whether defaults exist."""

    last_number = models.PositiveIntegerField(default=1000)
    defaults_installed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization"], name="uniq_case_settings")]

    def __str__(self) -> str:
        return f"case settings of {self.organization_id}"


class RootCause(OrgOwnedModel):
    """An entry of the org's root-cause taxonomy, required to resolve a case."""

    name = models.CharField(_("name"), max_length=120)
    description = models.CharField(_("description"), max_length=300, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    default_key = models.CharField(max_length=60, blank=True)

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="uniq_root_cause_name")
        ]

    def __str__(self) -> str:
        return self.name


class SlaPolicy(OrgOwnedModel):
    """Due times for a team (none: every team) and priority (blank: any priority)."""

    name = models.CharField(_("name"), max_length=120, blank=True)
    team = models.ForeignKey(
        "accounts.Team",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sla_policies",
        verbose_name=_("team"),
    )
    priority = models.CharField(
        _("priority"), max_length=10, choices=CasePriority.choices, blank=True
    )
    first_response_hours = models.DecimalField(
        _("first response within (hours)"), max_digits=7, decimal_places=2
    )
    resolution_hours = models.DecimalField(
        _("resolution within (hours)"), max_digits=7, decimal_places=2
    )
    business_hours_only = models.BooleanField(_("count business hours only"), default=True)
    escalate_to_lead = models.BooleanField(_("notify the team lead on breach"), default=True)
    raise_priority = models.BooleanField(_("raise the priority on breach"), default=True)

    class Meta:
        ordering = ["team__name", "priority"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "team", "priority"],
                condition=models.Q(team__isnull=False),
                name="uniq_sla_policy_team",
            ),
            models.UniqueConstraint(
                fields=["organization", "priority"],
                condition=models.Q(team__isnull=True),
                name="uniq_sla_policy_org",
            ),
        ]

    def __str__(self) -> str:
        return self.name or f"SLA {self.team_id or '*'} {self.priority or '*'}"


class BusinessHours(OrgOwnedModel):
    """Opening hours of one weekday in the org's time zone; a missing weekday is closed."""

    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=WEEKDAYS)
    start = models.TimeField(_("opens"))
    end = models.TimeField(_("closes"))

    class Meta:
        ordering = ["weekday"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "weekday"], name="uniq_business_hours_day"
            ),
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="business_hours_end_after"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.weekday} {self.start}-{self.end}"


class Holiday(OrgOwnedModel):
    """A day the org is closed: SLA clocks in business hours skip it."""

    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=120)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "date"], name="uniq_holiday_date")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class ReplyTemplate(OrgOwnedModel):
    """A reply agents start from: subject and body per language, with {{placeholders}}."""

    name = models.CharField(_("name"), max_length=120)
    # {"en": {"subject": "...", "body": "..."}, "ko": {...}}
    texts = models.JSONField(_("texts"), default=dict)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name"], name="uniq_reply_template_name"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def text_for(self, language: str, default_language: str = "en") -> dict[str, str]:
        """Subject and body in `language`, else the org's language, else any."""
        texts: dict[str, Any] = self.texts or {}
        for lang in (language, default_language, "en"):
            if lang in texts:
                return {
                    "subject": texts[lang].get("subject", ""),
                    "body": texts[lang].get("body", ""),
                }
        for value in texts.values():
            return {"subject": value.get("subject", ""), "body": value.get("body", "")}
        return {"subject": "", "body": ""}


class Case(OrgOwnedModel):
    """A customer who needs a human answer: owned by a team, due by its SLA, resolved with a
    root cause and followed up."""

    number = models.PositiveIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=300)
    contact = models.ForeignKey(
        "contacts.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
        verbose_name=_("customer"),
    )
    response = models.ForeignKey(
        "responses.Response",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
    )
    team = models.ForeignKey(
        "accounts.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
        verbose_name=_("team"),
    )
    assignee = models.ForeignKey(
        "accounts.Membership",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_cases",
        verbose_name=_("assignee"),
    )
    priority = models.CharField(
        _("priority"), max_length=10, choices=CasePriority.choices, default=CasePriority.NORMAL
    )
    status = models.CharField(
        _("status"), max_length=24, choices=CaseStatus.choices, default=CaseStatus.NEW
    )
    tags = models.JSONField(_("tags"), default=list, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    sla_policy = models.ForeignKey(
        SlaPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    first_response_due_at = models.DateTimeField(_("first response due"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolution due"), null=True, blank=True)
    first_responded_at = models.DateTimeField(_("first response"), null=True, blank=True)
    # The SLA clock: it starts at creation (again at each reopening); time spent waiting on
    # the customer since then is added to the due times, in calendar and in business time.
    sla_started_at = models.DateTimeField(null=True, blank=True)
    waiting_since = models.DateTimeField(null=True, blank=True)
    sla_paused = models.DurationField(default=timedelta(0))
    sla_paused_business = models.DurationField(default=timedelta(0))
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    root_cause = models.ForeignKey(
        RootCause,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("root cause"),
    )
    resolution_note = models.TextField(_("resolution note"), blank=True)
    breached_first_response = models.BooleanField(default=False)
    breached_resolution = models.BooleanField(default=False)
    escalated_at = models.DateTimeField(null=True, blank=True)
    follow_up_sent_at = models.DateTimeField(null=True, blank=True)
    follow_up_answered_at = models.DateTimeField(null=True, blank=True)
    follow_up_resolved = models.BooleanField(null=True, blank=True)
    follow_up_score = models.PositiveSmallIntegerField(null=True, blank=True)
    # The NPS of the response that opened the case (kept so "recovered" needs no join).
    original_score = models.PositiveSmallIntegerField(null=True, blank=True)
    recovered = models.BooleanField(null=True, blank=True)
    rule = models.UUIDField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "number"], name="uniq_case_number")
        ]
        indexes = [
            models.Index(fields=["organization", "status", "-created_at"]),
            models.Index(fields=["organization", "team", "status"]),
            models.Index(fields=["assignee", "status"]),
            models.Index(fields=["status", "first_response_due_at"]),
            models.Index(fields=["status", "resolution_due_at"]),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.title}"

    @property
    def is_active(self) -> bool:
        return self.status not in (CaseStatus.RESOLVED, CaseStatus.CLOSED)

    @property
    def sla_paused_now(self) -> bool:
        """Waiting on the customer: the SLA clock stands still."""
        return self.is_active and self.status not in SLA_CLOCK_STATUSES

    @property
    def next_due_at(self) -> Any:
        """The next deadline still ahead of the case (first response, else resolution); none
        while the clock is paused."""
        if self.status not in SLA_CLOCK_STATUSES:
            return None
        if self.first_responded_at is None and self.first_response_due_at is not None:
            return self.first_response_due_at
        return self.resolution_due_at

    @property
    def breached(self) -> bool:
        return self.breached_first_response or self.breached_resolution


class CaseEvent(models.Model):
    """One entry of a case's timeline; append-only."""

    id = models.BigAutoField(primary_key=True)
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=24, choices=CaseEventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Who acted when it was not a signed-in user: an API key (its name kept should the key be
    # deleted), or the customer (a follow-up answer).
    api_key = models.ForeignKey(
        "accounts.ApiKey", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    api_key_name = models.CharField(max_length=120, blank=True)
    by_customer = models.BooleanField(default=False)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["case", "created_at"])]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise AppendOnlyError("case events cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("case events cannot be deleted")

    @property
    def actor_label(self) -> str:
        """Who did it, as the timeline names them: a person, an API key, the customer or the
        system."""
        if self.actor is not None:
            return self.actor.display_name
        if self.api_key_id is not None or self.api_key_name:
            return str(_("API key %(name)s") % {"name": self.api_key_name})
        if self.by_customer:
            return str(_("the customer"))
        return str(_("system"))


class CaseReply(OrgOwnedModel):
    """An email an agent sent the customer from the case (through the outbox)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="replies")
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("message"))
    to_email = models.EmailField(_("to"))
    language = models.CharField(max_length=10, blank=True)
    template = models.ForeignKey(
        ReplyTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    delivery = models.ForeignKey(
        "integrations.Delivery", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reply_link = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name_plural = "case replies"

    def __str__(self) -> str:
        return self.subject
