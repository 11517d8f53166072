"""Automation rules (when an event matches conditions, run actions), their run log, and the
routing they produce: tags on responses and feedback sent to a team's inbox."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from closeloop.automation.choices import SubjectType
from closeloop.core.models import OrgOwnedModel


def _default_conditions() -> dict[str, object]:
    return {"match": "all", "rules": []}


class Rule(OrgOwnedModel):
    """When `trigger` happens and the conditions hold, run the actions in order."""

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    trigger = models.CharField(_("when"), max_length=60)
    # {"match": "all"|"any", "rules": [{"type": "score", "metric": "nps", "min": 0, ...}]}
    conditions = models.JSONField(_("conditions"), default=_default_conditions)
    # [{"type": "create_case", "params": {...}}, ...] run in this order
    actions = models.JSONField(_("actions"), default=list)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    stop_processing = models.BooleanField(
        _("stop processing later rules when this one matches"), default=False
    )
    # Set on the rules every organization starts with, so they are installed only once.
    default_key = models.CharField(max_length=60, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Not stored: signing secrets made by the save that returned this rule, shown once.
    revealed_secrets: list[dict[str, object]]

    class Meta:
        ordering = ["position", "created_at"]
        indexes = [models.Index(fields=["organization", "trigger", "is_active", "position"])]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "default_key"],
                condition=~models.Q(default_key=""),
                name="uniq_rule_default_key",
            )
        ]

    def __str__(self) -> str:
        return self.name


class AutomationSetup(OrgOwnedModel):
    """Marks that an organization received the default rules (a deleted default stays gone)."""

    defaults_installed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization"], name="uniq_automation_setup")
        ]

    def __str__(self) -> str:
        return f"automation setup of {self.organization_id}"


class RuleRun(OrgOwnedModel):
    """One evaluation of a rule for one event: which conditions held and what each action did.

    With AUTOMATION_LOG_UNMATCHED off, the rules that did not match an event are not logged one
    by one: a single summary row per event (no rule) counts them in `unmatched_count`."""

    rule = models.ForeignKey(
        Rule, null=True, blank=True, on_delete=models.CASCADE, related_name="runs"
    )
    event = models.CharField(_("event"), max_length=60)
    # What makes this occurrence of the event unique (the response id for response.completed):
    # a task run twice finds the run and does nothing again.
    event_key = models.CharField(max_length=100)
    subject_type = models.CharField(_("subject"), max_length=20, choices=SubjectType.choices)
    subject_id = models.CharField(max_length=64)
    matched = models.BooleanField(_("matched"), default=False)
    failed = models.BooleanField(_("an action failed"), default=False)
    # [{"type", "held", "condition"}]; for a run that did not match, only the failing condition
    condition_results = models.JSONField(default=list, blank=True)
    # [{"index", "type", "label", "status": ok|failed|skipped, "detail"}]
    action_results = models.JSONField(default=list, blank=True)
    # On a summary row (rule is empty): how many rules were evaluated and did not match.
    unmatched_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["organization", "-created_at"]),
            models.Index(fields=["rule", "matched", "-created_at"]),
        ]
        constraints = [
            # event_key first: the engine looks up an event's runs by key alone.
            models.UniqueConstraint(fields=["event_key", "rule"], name="uniq_rule_run_event"),
            models.UniqueConstraint(
                fields=["event_key"],
                condition=models.Q(rule__isnull=True),
                name="uniq_rule_run_event_summary",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id or 'summary'} on {self.event} {self.subject_id}"

    @property
    def is_summary(self) -> bool:
        """A row counting the rules that did not match this event (no rule of its own)."""
        return self.rule_id is None

    @property
    def conditions_display(self) -> list[dict[str, object]]:
        """Each condition worded in the reader's language, and whether it held."""
        from closeloop.automation.conditions import with_labels

        return with_labels(self.condition_results)


class ResponseTag(OrgOwnedModel):
    """A tag put on a response by a rule (for filters and team inboxes)."""

    response = models.ForeignKey(
        "responses.Response", on_delete=models.CASCADE, related_name="automation_tags"
    )
    tag = models.CharField(_("tag"), max_length=60)
    rule = models.ForeignKey(
        Rule, null=True, blank=True, on_delete=models.SET_NULL, related_name="tags_added"
    )

    class Meta:
        ordering = ["tag"]
        constraints = [
            models.UniqueConstraint(fields=["response", "tag"], name="uniq_response_tag")
        ]
        indexes = [models.Index(fields=["organization", "tag"])]

    def __str__(self) -> str:
        return self.tag


class TeamFeedback(OrgOwnedModel):
    """A response routed to a team's inbox by a rule, with the reason it concerns the team."""

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="feedback")
    response = models.ForeignKey(
        "responses.Response", on_delete=models.CASCADE, related_name="team_feedback"
    )
    rule = models.ForeignKey(
        Rule, null=True, blank=True, on_delete=models.SET_NULL, related_name="routed"
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["team", "response"], name="uniq_team_feedback")
        ]
        indexes = [models.Index(fields=["team", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.response_id} for {self.team_id}"
