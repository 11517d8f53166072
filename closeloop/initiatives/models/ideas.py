"""The idea portal: customers propose ideas, vote and comment; staff moderate, merge and set
statuses with a public reply."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from closeloop.core.models import BaseModel, OrgOwnedModel
from closeloop.initiatives.choices import IdeaStatus, PortalVisibility


class IdeaPortal(OrgOwnedModel):
    """The organization's idea portal: who may see it, its look and language, and its limits."""

    enabled = models.BooleanField(_("portal open"), default=False)
    visibility = models.CharField(
        _("who can see it"), max_length=20, choices=PortalVisibility.choices,
        default=PortalVisibility.PUBLIC,
    )  # fmt: skip
    # Per language: {"en": "...", "ko": "..."}
    title = models.JSONField(_("title"), default=dict, blank=True)
    intro = models.JSONField(_("introduction"), default=dict, blank=True)
    default_language = models.CharField(_("default language"), max_length=16, default="en")
    accent_color = models.CharField(_("accent colour"), max_length=7, default="#2563eb")
    logo_url = models.URLField(_("logo URL"), max_length=500, blank=True)
    moderate_ideas = models.BooleanField(_("review new ideas before they appear"), default=True)
    moderate_comments = models.BooleanField(
        _("review new comments before they appear"), default=False
    )
    # Per verified person per day.
    ideas_per_day = models.PositiveIntegerField(_("ideas per person per day"), default=5)
    votes_per_day = models.PositiveIntegerField(_("votes per person per day"), default=50)
    comments_per_day = models.PositiveIntegerField(_("comments per person per day"), default=20)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization"], name="uniq_idea_portal"),
        ]

    def __str__(self) -> str:
        return f"idea portal {self.organization_id}"


class PortalVisitor(OrgOwnedModel):
    """A person on the portal who confirmed their email (or came as an identified widget user);
    one vote per idea per visitor."""

    email = models.EmailField(_("email"))
    name = models.CharField(_("name"), max_length=120, blank=True)
    language = models.CharField(max_length=16, blank=True)
    contact = models.ForeignKey(
        "contacts.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    # The pending confirmation link's token (hashed), and the portal session's (hashed).
    confirm_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    confirm_sent_at = models.DateTimeField(null=True, blank=True)
    session_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    # What the visitor asked to do before confirming: done on confirmation.
    pending_action = models.JSONField(default=dict, blank=True)
    blocked_at = models.DateTimeField(null=True, blank=True)
    # The visitor asked for no more emails about ideas (the link in every update).
    updates_off_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "email"], name="uniq_portal_visitor_email"
            ),
        ]

    def __str__(self) -> str:
        return self.email


class Idea(OrgOwnedModel):
    """A customer's (or staff member's) proposal on the portal."""

    number = models.PositiveIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("description"), blank=True)
    language = models.CharField(_("language"), max_length=16, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=IdeaStatus.choices, default=IdeaStatus.PENDING
    )
    public_reply = models.TextField(_("public reply"), blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    author = models.ForeignKey(
        PortalVisitor, null=True, blank=True, on_delete=models.SET_NULL, related_name="ideas"
    )
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_ideas"
    )
    themes = models.ManyToManyField("text.Theme", blank=True, related_name="ideas")
    initiative = models.ForeignKey(
        "initiatives.Initiative", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="ideas",
    )  # fmt: skip
    vote_count = models.PositiveIntegerField(default=0)
    comment_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-vote_count", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "number"], name="uniq_idea_number"),
        ]
        indexes = [models.Index(fields=["organization", "status", "-vote_count"])]

    def __str__(self) -> str:
        return self.title


class IdeaVote(BaseModel):
    """One verified person's vote on an idea (moved to the surviving idea on a merge)."""

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="votes")
    visitor = models.ForeignKey(PortalVisitor, on_delete=models.CASCADE, related_name="votes")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["idea", "visitor"], name="uniq_idea_vote"),
        ]

    def __str__(self) -> str:
        return f"{self.visitor_id} on {self.idea_id}"


class IdeaComment(BaseModel):
    """A comment on an idea by a visitor or, marked official, by staff."""

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="comments")
    visitor = models.ForeignKey(
        PortalVisitor, null=True, blank=True, on_delete=models.SET_NULL, related_name="comments"
    )
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(_("comment"))
    approved = models.BooleanField(default=True)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.body[:60]


class IdeaStatusChange(BaseModel):
    """A status change of an idea with its public reply; voters are told about each."""

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    reply = models.TextField(blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notified = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.from_status} -> {self.to_status}"

    @property
    def from_label(self) -> str:
        return _status_label(self.from_status)

    @property
    def to_label(self) -> str:
        return _status_label(self.to_status)


def _status_label(status: str) -> str:
    return str(IdeaStatus(status).label) if status in IdeaStatus.values else status
