"""Listening posts: touchpoints, frequency rules, campaigns, invitations, events, widgets."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from closeloop.core.models import OrgOwnedModel
from closeloop.distribution.choices import (
    CampaignStatus,
    EventOutcome,
    InvitationStatus,
    ListeningChannel,
    RecurrenceUnit,
    SuppressionReason,
    WidgetPlacement,
)


class Touchpoint(OrgOwnedModel):
    """A moment in the customer journey (a purchase, a support call) where the business listens."""

    key = models.SlugField(_("key"), max_length=60)
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    # Channels the business means to listen through here; the journey flags gaps.
    channels = models.JSONField(_("channels"), default=list, blank=True)

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "key"], name="uniq_touchpoint_key"),
        ]

    def __str__(self) -> str:
        return self.name


class ListeningPost(OrgOwnedModel):
    """A survey listening at a touchpoint through one channel (a QR code, a widget, an email)."""

    touchpoint = models.ForeignKey(Touchpoint, on_delete=models.CASCADE, related_name="posts")
    survey = models.ForeignKey("surveys.Survey", on_delete=models.CASCADE, related_name="posts")
    channel = models.CharField(_("channel"), max_length=20, choices=ListeningChannel.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["touchpoint", "survey", "channel"], name="uniq_listening_post"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.survey_id} at {self.touchpoint_id} by {self.channel}"


class FrequencyPolicy(OrgOwnedModel):
    """How often a contact may be asked: org-wide (survey empty) or for one survey."""

    survey = models.OneToOneField(
        "surveys.Survey", null=True, blank=True, on_delete=models.CASCADE, related_name="frequency"
    )
    min_days_between = models.PositiveIntegerField(
        _("minimum days between invitations"), default=30
    )
    max_per_month = models.PositiveIntegerField(
        _("maximum invitations per month"), null=True, blank=True
    )
    skip_if_completed_within_days = models.PositiveIntegerField(
        _("skip if this survey was answered within (days)"), null=True, blank=True, default=90
    )
    skip_if_declined_within_days = models.PositiveIntegerField(
        _("skip if this survey was declined within (days)"), null=True, blank=True, default=30
    )
    # Emails due between these local times (the org's time zone) wait until the end; an end
    # earlier than the start spans midnight (21:00-08:00).
    quiet_hours_start = models.TimeField(_("quiet hours from"), null=True, blank=True)
    quiet_hours_end = models.TimeField(_("quiet hours until"), null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization"],
                condition=models.Q(survey__isnull=True),
                name="uniq_org_frequency_policy",
            ),
        ]

    def __str__(self) -> str:
        return f"frequency policy {self.organization_id}/{self.survey_id}"


class EmailTemplate(OrgOwnedModel):
    """The invitation email the user edits: subject, body and button text per language."""

    name = models.CharField(_("name"), max_length=120)
    # {"en": {"subject": ..., "body": ..., "button": ...}, "ko": {...}}
    texts = models.JSONField(_("texts"), default=dict)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Campaign(OrgOwnedModel):
    """An email send of a survey to a segment or a list, now, later, or on a recurring schedule."""

    name = models.CharField(_("name"), max_length=200)
    survey = models.ForeignKey("surveys.Survey", on_delete=models.CASCADE, related_name="campaigns")
    touchpoint = models.ForeignKey(
        Touchpoint, null=True, blank=True, on_delete=models.SET_NULL, related_name="campaigns"
    )
    segment = models.ForeignKey(
        "contacts.Segment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    contacts = models.ManyToManyField("contacts.Contact", blank=True, related_name="+")
    template = models.ForeignKey(
        EmailTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="campaigns"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    scheduled_at = models.DateTimeField(_("send at"), null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    reminder_after_days = models.PositiveIntegerField(
        _("remind after (days)"), null=True, blank=True, default=3
    )
    max_reminders = models.PositiveIntegerField(_("maximum reminders"), default=1)
    # Recurring relationship surveys: every N weeks or months, each contact once per period.
    recurrence_every = models.PositiveIntegerField(_("repeat every"), null=True, blank=True)
    recurrence_unit = models.CharField(
        _("unit"), max_length=10, choices=RecurrenceUnit.choices, blank=True
    )
    next_run_at = models.DateTimeField(null=True, blank=True)
    # Progress of the current send, for the UI and the CLI.
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name


class TriggerRule(OrgOwnedModel):
    """When a business event of a type arrives and its conditions hold, invite after a delay."""

    name = models.CharField(_("name"), max_length=200)
    event_type = models.CharField(_("event type"), max_length=100)
    # {"match": "all"|"any",
    #  "rules": [{"field": "properties.x"|"attribute.y", "op": ..., "value": ...}]}
    conditions = models.JSONField(_("conditions"), default=dict, blank=True)
    delay_minutes = models.PositiveIntegerField(_("delay (minutes)"), default=0)
    sample_percent = models.PositiveIntegerField(_("sampling (%)"), default=100)
    channel = models.CharField(
        _("channel"),
        max_length=20,
        choices=ListeningChannel.choices,
        default=ListeningChannel.EMAIL,
    )
    survey = models.ForeignKey("surveys.Survey", on_delete=models.CASCADE, related_name="triggers")
    touchpoint = models.ForeignKey(
        Touchpoint, null=True, blank=True, on_delete=models.SET_NULL, related_name="triggers"
    )
    template = models.ForeignKey(
        EmailTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="triggers"
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["event_type", "name"]
        indexes = [models.Index(fields=["organization", "event_type", "is_active"])]

    def __str__(self) -> str:
        return self.name


class Invitation(OrgOwnedModel):
    """One ask of one contact to answer one survey, through any channel, with its status; if it
    was not sent, the rule that stopped it."""

    survey = models.ForeignKey(
        "surveys.Survey", on_delete=models.CASCADE, related_name="invitations"
    )
    contact = models.ForeignKey(
        "contacts.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="invitations",
    )
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="invitations"
    )
    trigger = models.ForeignKey(
        TriggerRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="invitations"
    )
    event = models.ForeignKey(
        "Event", null=True, blank=True, on_delete=models.SET_NULL, related_name="invitations"
    )
    touchpoint = models.ForeignKey(
        Touchpoint, null=True, blank=True, on_delete=models.SET_NULL, related_name="invitations"
    )
    channel = models.CharField(_("channel"), max_length=20, choices=ListeningChannel.choices)
    language = models.CharField(_("language"), max_length=10, blank=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=InvitationStatus.choices,
        default=InvitationStatus.QUEUED,
    )
    suppressed_reason = models.CharField(
        _("stopped by"), max_length=40, choices=SuppressionReason.choices, blank=True
    )
    personal_link = models.ForeignKey(
        "responses.PersonalLink", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    response = models.ForeignKey(
        "responses.Response", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The period of a recurring campaign this invitation belongs to (e.g. "2026-11").
    period = models.CharField(max_length=20, blank=True)
    send_after = models.DateTimeField(_("send after"), null=True, blank=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)
    reminders_sent = models.PositiveIntegerField(default=0)
    last_reminder_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["organization", "contact", "-created_at"]),
            models.Index(fields=["organization", "status", "send_after"]),
            models.Index(fields=["campaign", "status"]),
        ]

    def __str__(self) -> str:
        return f"invitation {self.id} ({self.status})"


class Event(OrgOwnedModel):
    """A business event received through the API (a purchase, a closed ticket) and what it did."""

    contact = models.ForeignKey(
        "contacts.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    event_type = models.CharField(_("event type"), max_length=100)
    event_id = models.CharField(_("event id"), max_length=200, blank=True)
    properties = models.JSONField(_("properties"), default=dict, blank=True)
    occurred_at = models.DateTimeField(_("occurred at"))
    outcome = models.CharField(
        _("outcome"), max_length=20, choices=EventOutcome.choices, blank=True
    )
    # Per trigger rule, what happened and why:
    # {"rule": id, "name": ..., "result": ..., "reason": ...}
    details = models.JSONField(default=list, blank=True)
    # The same event id sent again (a client's retry) returns this event and counts here.
    duplicates = models.PositiveIntegerField(_("received again"), default=0)
    last_duplicate_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-occurred_at"]
        indexes = [models.Index(fields=["organization", "event_type", "-occurred_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "event_id"],
                condition=~models.Q(event_id=""),
                name="uniq_event_id",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}".strip()


def new_widget_key() -> str:
    return "wk_" + secrets.token_urlsafe(16)


def new_identity_secret() -> str:
    return secrets.token_hex(32)


class Widget(OrgOwnedModel):
    """A website pop-up or slide-in showing a survey; the snippet names it by a public key."""

    name = models.CharField(_("name"), max_length=200)
    public_key = models.CharField(max_length=40, unique=True, default=new_widget_key)
    survey = models.ForeignKey("surveys.Survey", on_delete=models.CASCADE, related_name="widgets")
    touchpoint = models.ForeignKey(
        Touchpoint, null=True, blank=True, on_delete=models.SET_NULL, related_name="widgets"
    )
    placement = models.CharField(
        _("placement"),
        max_length=20,
        choices=WidgetPlacement.choices,
        default=WidgetPlacement.SLIDE_IN,
    )
    allowed_origins = models.JSONField(_("allowed origins"), default=list, blank=True)
    # {"url_pattern": "/checkout/*", "min_seconds": 10, "scroll_percent": 50, "exit_intent": false,
    #  "event": "checkout_done"}
    triggers = models.JSONField(_("triggers"), default=dict, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # The ceiling for the key (every visitor together), and each visitor's own share by IP.
    rate_limit_per_minute = models.PositiveIntegerField(_("requests per minute"), default=6000)
    rate_limit_per_ip = models.PositiveIntegerField(
        _("requests per minute per visitor"), default=60
    )
    # Identity verification: the host's server signs the visitor's id (HMAC-SHA256) with this.
    identity_secret = models.CharField(max_length=64, default=new_identity_secret)
    require_verified_identity = models.BooleanField(_("require verified identity"), default=False)
    # The listening post the widget made at its touchpoint; it follows the widget.
    listening_post = models.ForeignKey(
        ListeningPost, null=True, blank=True, on_delete=models.SET_NULL, related_name="widgets"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
