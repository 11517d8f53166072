"""Cases for tests (and the tenant-isolation walker), made through the services."""

from __future__ import annotations

from typing import Any

from closeloop.accounts.models import Membership, Organization, Team, TeamMember
from closeloop.cases.config import case_defaults_ensure
from closeloop.cases.models import Case, Holiday, ReplyTemplate, RootCause, SlaPolicy
from closeloop.cases.services import case_create
from closeloop.contacts.models import Contact
from closeloop.distribution.tests.campaigns_factories import customer, nps_survey
from closeloop.responses.models import Response
from closeloop.responses.services import response_create_complete


def support(organization: Organization) -> Team:
    return Team.objects.get(organization=organization, slug="support")


def join_team(team: Team, *memberships: Membership, lead: Membership | None = None) -> None:
    for membership in memberships:
        TeamMember.objects.get_or_create(team=team, membership=membership)
    if lead is not None:
        TeamMember.objects.update_or_create(team=team, membership=lead, defaults={"is_lead": True})


def detractor_response(
    organization: Organization, contact: Contact | None = None, score: int = 3
) -> Response:
    survey = nps_survey(organization, name=f"NPS {Response.objects.count()}")
    answers: dict[str, Any] = {"q1": score}
    if score < 9:
        answers["q2"] = ["speed"]
        answers["q3"] = "The coffee arrived cold and late."
    else:
        answers["q4"] = "coffee"
    return response_create_complete(
        survey=survey, answers=answers, contact_id=contact.pk if contact else None
    )


def make_case(organization: Organization, **kwargs: Any) -> Case:
    kwargs.setdefault("title", "Coffee arrived cold")
    kwargs.setdefault("team", support(organization))
    kwargs.setdefault("assignee_strategy", "none")
    return case_create(organization=organization, **kwargs)


def customer_case(organization: Organization, score: int = 3, **kwargs: Any) -> Case:
    contact = customer(organization, f"cust{Contact.objects.count()}@example.com", "Min", "en")
    response = detractor_response(organization, contact, score)
    return make_case(organization, response=response, **kwargs)


def root_cause(organization: Organization, key: str = "delivery-delay") -> RootCause:
    case_defaults_ensure(organization=organization)
    return RootCause.objects.get(organization=organization, default_key=key)


# --- for the tenant-isolation walker -------------------------------------------------------


def isolation_case(organization: Organization) -> Case:
    return make_case(organization, title="Isolation case")


def isolation_root_cause(organization: Organization) -> RootCause:
    return RootCause.objects.create(organization=organization, name="Isolation cause")


def isolation_sla_policy(organization: Organization) -> SlaPolicy:
    return SlaPolicy.objects.create(
        organization=organization,
        team=Team.objects.filter(organization=organization).order_by("name").first(),
        priority="urgent",
        first_response_hours=1,
        resolution_hours=8,
    )


def isolation_holiday(organization: Organization) -> Holiday:
    import datetime as dt

    return Holiday.objects.create(
        organization=organization, date=dt.date(2030, 1, 1), name="New year"
    )


def isolation_reply_template(organization: Organization) -> ReplyTemplate:
    return ReplyTemplate.objects.create(
        organization=organization,
        name="Isolation",
        texts={"en": {"subject": "Hi", "body": "Hello {{contact.first_name}}"}},
    )
