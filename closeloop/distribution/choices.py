from django.db import models
from django.utils.translation import gettext_lazy as _


class ListeningChannel(models.TextChoices):
    EMAIL = "email", _("Email invitation")
    LINK = "link", _("Web link")
    QR = "qr", _("QR code")
    WIDGET = "widget", _("Website widget")
    EVENT = "event", _("After a business event")


class InvitationStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    BOUNCED = "bounced", _("Bounced")
    OPENED = "opened", _("Opened")
    STARTED = "started", _("Started")
    COMPLETED = "completed", _("Completed")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
    FAILED = "failed", _("Failed")
    SUPPRESSED = "suppressed", _("Not sent")
    CANCELLED = "cancelled", _("Cancelled")


class SuppressionReason(models.TextChoices):
    """Why an invitation was not sent: the rule that stopped it."""

    UNSUBSCRIBED = "unsubscribed", _("The contact unsubscribed")
    NO_EMAIL = "no_email", _("The contact has no email address")
    ERASED = "erased", _("The contact was erased")
    MIN_DAYS = "min_days_between", _("Invited too recently (minimum days between invitations)")
    MONTHLY_MAX = "max_per_month", _("Monthly maximum of invitations reached")
    RECENT_COMPLETED = "recently_completed", _("Answered this survey recently")
    RECENT_DECLINED = "recently_declined", _("Declined this survey recently")
    SAMPLED_OUT = "sampled_out", _("Left out by sampling")
    PERIOD_ALREADY = "already_this_period", _("Already invited in this period")
    SURVEY_CLOSED = "survey_closed", _("The survey is not open")
    DUPLICATE = "duplicate", _("Already invited by this campaign")


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SCHEDULED = "scheduled", _("Scheduled")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    CANCELLED = "cancelled", _("Cancelled")


class EventOutcome(models.TextChoices):
    TRIGGERED = "triggered", _("Invitation scheduled")
    NO_RULE = "no_rule", _("No trigger rule matched")
    SUPPRESSED = "suppressed", _("A rule stopped it")
    # Never stored as an outcome: the log's filter for events whose id arrived more than once.
    DUPLICATE = "duplicate", _("Received more than once")


class WidgetPlacement(models.TextChoices):
    POPUP = "popup", _("Pop-up")
    SLIDE_IN = "slide_in", _("Slide-in")


class RecurrenceUnit(models.TextChoices):
    WEEKS = "weeks", _("weeks")
    MONTHS = "months", _("months")
