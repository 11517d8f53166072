"""Daily rollups of answers and responses, so dashboards read thousands of rows, not millions.

Every rollup row covers one day in the organization's time zone for one survey and one
(touchpoint, channel, language). The worker keeps them current: a completed response (or an
imported one) marks its (organization, survey, day) dirty, and a periodic job recomputes dirty
days from the answer facts with one GROUP BY per day (see closeloop.analytics.services).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

SCORES = range(0, 11)
# The reserved choice key of a ChoiceRollup row holding how many responses answered the question
# (the denominator of a multiple-choice share); real choice keys are never empty.
ANSWERED = ""

__all__ = [
    "ANSWERED",
    "SCORES",
    "ChoiceRollup",
    "ResponseRollup",
    "RollupDirtyDay",
    "RollupState",
    "ScoreDayRollup",
    "ScoreRollup",
]


class RollupDay(models.Model):
    """The key every daily rollup shares: organization, survey and local day."""

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    survey = models.ForeignKey(
        "surveys.Survey", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    day = models.DateField()

    class Meta:
        abstract = True


class RollupDimensions(RollupDay):
    """A day's key split by where the answers came from: touchpoint, channel and language."""

    touchpoint_id = models.UUIDField(null=True, blank=True)
    channel = models.CharField(max_length=20)
    language = models.CharField(max_length=10)

    class Meta:
        abstract = True


class ScoreSums(models.Model):
    """The sums of one score question's answers: count, sum, sum of squares and how many
    answered each whole score 0..10."""

    question_key = models.CharField(max_length=64)
    question_type = models.CharField(max_length=20)
    version_number = models.PositiveIntegerField()
    n = models.PositiveIntegerField()
    total = models.FloatField()
    total_squares = models.FloatField()
    score_0 = models.PositiveIntegerField(default=0)
    score_1 = models.PositiveIntegerField(default=0)
    score_2 = models.PositiveIntegerField(default=0)
    score_3 = models.PositiveIntegerField(default=0)
    score_4 = models.PositiveIntegerField(default=0)
    score_5 = models.PositiveIntegerField(default=0)
    score_6 = models.PositiveIntegerField(default=0)
    score_7 = models.PositiveIntegerField(default=0)
    score_8 = models.PositiveIntegerField(default=0)
    score_9 = models.PositiveIntegerField(default=0)
    score_10 = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.survey_id} {self.question_key} {self.day}: n={self.n}"  # type: ignore[attr-defined]


class ScoreRollup(RollupDimensions, ScoreSums):
    """Numeric answers of one score question (NPS, CSAT, CES, rating) on one day, per
    touchpoint, channel and language."""

    class Meta:
        indexes = [
            # the dashboards: one metric type across the org over a date range
            models.Index(
                fields=["organization", "question_type", "day"], name="analytics_score_org_type"
            ),
            # one survey (and question) over a date range; also the recompute's delete
            models.Index(fields=["survey", "day"], name="analytics_score_survey_day"),
        ]


class ScoreDayRollup(RollupDay, ScoreSums):
    """The same sums as ScoreRollup for the whole day of a survey, across touchpoints, channels
    and languages: what trends, cards and distributions without those filters read."""

    class Meta:
        indexes = [
            models.Index(
                fields=["organization", "question_type", "day"], name="analytics_sday_org_type"
            ),
            models.Index(fields=["survey", "day"], name="analytics_sday_survey_day"),
        ]


class ChoiceRollup(RollupDimensions):
    """How many picked each choice of one choice question on one day; the row with the reserved
    choice key ANSWERED ("") counts the responses that answered the question."""

    question_key = models.CharField(max_length=64)
    version_number = models.PositiveIntegerField()
    choice = models.CharField(max_length=64, blank=True)
    count = models.PositiveIntegerField()

    class Meta:
        indexes = [
            models.Index(
                fields=["survey", "question_key", "day"], name="analytics_choice_question"
            ),
            models.Index(fields=["survey", "day"], name="analytics_choice_survey_day"),
        ]

    def __str__(self) -> str:
        return f"{self.survey_id} {self.question_key}={self.choice} {self.day}: {self.count}"


class ResponseRollup(RollupDimensions):
    """Responses of one day: started that day, completed that day, and of those started that
    day how many are complete now (the completion rate's numerator). Historical imports count
    as completed, never as started."""

    started = models.PositiveIntegerField(default=0)
    completed = models.PositiveIntegerField(default=0)
    started_completed = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["organization", "day"], name="analytics_resp_org_day"),
            models.Index(fields=["survey", "day"], name="analytics_resp_survey_day"),
        ]

    def __str__(self) -> str:
        return f"{self.survey_id} {self.day}: {self.started} started, {self.completed} completed"


class RollupDirtyDay(models.Model):
    """A day of a survey whose rollups are out of date (new or late answers); the worker
    recomputes it and removes the mark in the same transaction."""

    id = models.BigAutoField(primary_key=True)
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )
    survey = models.ForeignKey(
        "surveys.Survey", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    day = models.DateField()
    marked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["survey", "day"], name="uniq_rollup_dirty_day"),
        ]

    def __str__(self) -> str:
        return f"{self.survey_id} {self.day} dirty"


class RollupState(models.Model):
    """Whether an organization's rollups are complete, and in which time zone they were cut.

    Until a full build has finished (or after the organization changes its time zone) the
    metric engine reads the raw answers instead, and the worker rebuilds."""

    organization = models.OneToOneField(
        "accounts.Organization", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    time_zone = models.CharField(max_length=64)
    built_at = models.DateTimeField(null=True, blank=True)
    rebuild_started_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"rollups of {self.organization_id} ({self.time_zone})"
