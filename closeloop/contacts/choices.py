from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class ContactKind(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    EMPLOYEE = "employee", _("Employee")


class AttributeType(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    BOOLEAN = "boolean", _("Yes/no")


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for column mapping")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class DedupeBy(models.TextChoices):
    EMAIL = "email", _("Email")
    EXTERNAL_ID = "external_id", _("External id")


class SegmentMatch(models.TextChoices):
    ALL = "all", _("All rules")
    ANY = "any", _("Any rule")


class RuleOp(models.TextChoices):
    EQ = "eq", _("is")
    NE = "ne", _("is not")
    CONTAINS = "contains", _("contains")
    LT = "lt", _("less than")
    GT = "gt", _("greater than")
    IN = "in", _("is one of")
    IS_SET = "is_set", _("is set")
    NOT_SET = "not_set", _("is not set")
    BEFORE = "before", _("before")
    AFTER = "after", _("after")


class SurveyHistory(models.TextChoices):
    ANSWERED = "answered", _("Answered")
    NOT_ANSWERED = "not_answered", _("Did not answer")
    DETRACTOR_LAST_TIME = "detractor_last_time", _("Detractor last time (NPS 0-6)")
    PASSIVE_LAST_TIME = "passive_last_time", _("Passive last time (NPS 7-8)")
    PROMOTER_LAST_TIME = "promoter_last_time", _("Promoter last time (NPS 9-10)")


StrOrPromise = str | Promise

# Contact fields an import column can map to (besides attribute:<key> and ignore).
IMPORT_FIELDS: list[tuple[str, StrOrPromise]] = [
    ("email", _("Email")),
    ("phone", _("Phone")),
    ("first_name", _("First name")),
    ("last_name", _("Last name")),
    ("language", _("Language")),
    ("external_id", _("External id")),
    ("kind", _("Kind")),
]
