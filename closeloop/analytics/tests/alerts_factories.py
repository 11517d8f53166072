"""Helpers for the alerts, digest, targets and business-metrics tests (and objects for the
tenant-isolation walker), made through the services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from closeloop.accounts.models import Membership, Organization, Team, User
from closeloop.accounts.tests.factories import MembershipFactory, UserFactory
from closeloop.analytics.alerts.rules import RuleInput, alert_rule_create
from closeloop.analytics.alerts.targets import target_create
from closeloop.analytics.models import AlertRule, MetricTarget
from closeloop.analytics.tests.metrics_data import answer, at, metrics_survey
from closeloop.distribution.tests.campaigns_factories import SmtpServer
from closeloop.surveys.models import Survey

UTC = dt.UTC


@pytest.fixture
def smtp(settings: Any) -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) that keeps what it receives."""
    server = SmtpServer().start()
    settings.MAILERS = server.mailers()
    settings.BASE_URL = "http://testserver"
    yield server
    server.stop()


def member(
    organization: Organization, email: str, *, language: str = "", role: str = "viewer"
) -> Membership:
    user = UserFactory(email=email, language=language)
    return MembershipFactory(organization=organization, user=user, role=role)


def team(organization: Organization, slug: str = "support") -> Team:
    return Team.objects.get(organization=organization, slug=slug)


def join(team_: Team, *memberships: Membership) -> None:
    from closeloop.accounts.models import TeamMember

    for membership in memberships:
        TeamMember.objects.get_or_create(team=team_, membership=membership)


def scores(survey: Survey, day: str, values: list[int], **kw: Any) -> list[Any]:
    """One response per NPS score on a day (noon UTC), each with a comment."""
    why = kw.pop("why", None)
    return [answer(survey, at(day), rec=v, why=why or f"Score {v} on {day}", **kw) for v in values]


def drop_rule(organization: Organization, survey: Survey | None = None, **kw: Any) -> AlertRule:
    return alert_rule_create(
        organization=organization,
        data=RuleInput(name=kw.pop("name", "NPS drop"), kind="score_drop", metric="nps",
                       survey=survey, **kw),
    )  # fmt: skip


def count_rule(organization: Organization, level: int = 5, **kw: Any) -> AlertRule:
    return alert_rule_create(
        organization=organization,
        data=RuleInput(name=kw.pop("name", "Detractors today"), kind="count_above",
                       count_of=kw.pop("count_of", "detractors"), level=level,
                       window_hours=kw.pop("window_hours", 24), **kw),
    )  # fmt: skip


def survey_for(organization: Organization, name: str = "Visit") -> Survey:
    return metrics_survey(organization, name=name)


def user_of(membership: Membership) -> User:
    return membership.user


# --- for the tenant-isolation walker -------------------------------------------------------


def isolation_alert_rule(organization: Organization) -> AlertRule:
    return count_rule(organization, name="Isolation rule")


def isolation_target(organization: Organization) -> MetricTarget:
    return target_create(
        organization=organization, data={"kind": "target", "metric": "nps", "value": 40}
    )
