"""Hand-made data for the advocacy review tests: comments on known themes with known scores,
cases in known states, customers who come back, an advocacy team from several departments."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from closeloop.accounts.models import Membership, Organization, Team, TeamMember
from closeloop.accounts.tests.factories import MembershipFactory, UserFactory
from closeloop.cases.models import Case, RootCause
from closeloop.cases.tests.factories import make_case, root_cause
from closeloop.contacts.models import Contact
from closeloop.distribution.tests.campaigns_factories import customer, nps_survey
from closeloop.initiatives.models import Initiative
from closeloop.responses.services import response_create_complete
from closeloop.text.models import Comment, CommentTheme, Theme
from conftest import Personas


def ago(days: float, hours: float = 0) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days, hours=hours)


def theme(org: Organization, key: str) -> Theme:
    return Theme.objects.get(organization=org, key=key)


def comment(
    org: Organization,
    key: str | None,
    text: str,
    *,
    score: float | None,
    at: dt.datetime,
    language: str = "en",
    sentiment: str = "negative",
    response: Any = None,
) -> Comment:
    """A comment about one theme (or none), scored on the NPS scale, already enriched."""
    row = Comment.objects.create(
        organization=org,
        text=text,
        source="api",
        answered_at=at,
        score=score,
        score_type="nps" if score is not None else "",
        language=language,
        sentiment=sentiment,
        response=response,
        question_key="why" if response is not None else "",
        model_version=1,
        enriched_at=at,
    )
    if key is not None:
        CommentTheme.objects.create(comment=row, theme=theme(org, key))
    return row


def advocate(
    org: Organization, email: str, *, language: str = "", role: str = "viewer"
) -> Membership:
    user = UserFactory(email=email, language=language)
    return MembershipFactory(organization=org, user=user, role=role)


def team(org: Organization, slug: str) -> Team:
    return Team.objects.get(organization=org, slug=slug)


def join(team_: Team, *memberships: Membership) -> None:
    for membership in memberships:
        TeamMember.objects.get_or_create(team=team_, membership=membership)


def flag_cx(org: Organization) -> Team:
    cx = team(org, "customer-experience")
    Team.objects.filter(pk=cx.pk).update(is_advocacy_team=True)
    cx.refresh_from_db()
    return cx


@dataclass
class World:
    org: Organization
    cx: Team
    korean: Membership  # on the advocacy team, also in Support, reads Korean
    thai: Membership  # on the advocacy team, also in Product, reads Thai
    english: Membership  # the personas' agent: on the advocacy team only
    cases: dict[str, Case] = field(default_factory=dict)
    contacts: dict[str, Contact] = field(default_factory=dict)
    initiative: Initiative | None = None


def themes_data(org: Organization) -> None:
    """This period: delivery 10 detractors, billing 6 detractors, staff 20 promoters; the
    period before: delivery 4 detractors. A Korean delivery comment is the newest."""
    for n in range(9):
        comment(org, "delivery", f"The parcel came late again {n}", score=2, at=ago(5 + n))
    comment(org, "delivery", "배송이 너무 늦었어요", score=1, at=ago(1), language="ko")
    for n in range(6):
        comment(org, "billing", f"Charged twice on my card {n}", score=3, at=ago(4 + n))
    for n in range(20):
        comment(org, "staff", f"Lovely barista {n}", score=10, at=ago(2 + n / 2),
                sentiment="positive")  # fmt: skip
    for n in range(4):
        comment(org, "delivery", f"Old late parcel {n}", score=2, at=ago(40 + n))


def _response(org: Organization, contact: Contact, score: int, at: dt.datetime) -> Any:
    survey = nps_survey(org, name=f"NPS {contact.email} {score} {at.timestamp()}")
    answers: dict[str, Any] = {"q1": score}
    if score < 9:
        answers |= {"q2": ["speed"], "q3": "Too slow."}
    else:
        answers["q4"] = "coffee"
    return response_create_complete(
        survey=survey, answers=answers, contact_id=contact.pk, completed_at=at
    )


def cases_data(world: World) -> None:
    """Support: 3 open (one breached, one due within the hour, one fine); Product: 1 open;
    a closed one; resolved: 2 x delivery-delay and 1 other this period, 1 delivery-delay
    before; Ana's case was resolved this period and her follow-up said it was."""
    org, now = world.org, timezone.now()
    support, product = team(org, "support"), team(org, "product")
    late = make_case(org, title="Breached", team=support)
    Case.objects.filter(pk=late.pk).update(
        breached_first_response=True, status="open", first_responded_at=None,
        first_response_due_at=now - dt.timedelta(hours=1),
        resolution_due_at=now + dt.timedelta(days=3),
    )  # fmt: skip
    soon = make_case(org, title="Due soon", team=support)
    Case.objects.filter(pk=soon.pk).update(
        status="new", first_response_due_at=now + dt.timedelta(hours=1),
        resolution_due_at=now + dt.timedelta(days=3),
        breached_first_response=False, first_responded_at=None,
    )  # fmt: skip
    fine = make_case(org, title="Fine", team=support)
    Case.objects.filter(pk=fine.pk).update(
        status="open", first_response_due_at=now + dt.timedelta(days=2),
        resolution_due_at=now + dt.timedelta(days=3), first_responded_at=None,
    )  # fmt: skip
    prod = make_case(org, title="Product one", team=product)
    Case.objects.filter(pk=prod.pk).update(
        status="open", first_response_due_at=None, resolution_due_at=None
    )
    done = make_case(org, title="Closed", team=support)
    Case.objects.filter(pk=done.pk).update(status="closed", breached_resolution=True)

    delay = root_cause(org, "delivery-delay")
    other = RootCause.objects.filter(organization=org).exclude(pk=delay.pk).first()
    assert other is not None
    ana = customer(org, "ana@example.com", "Ana", "en")
    world.contacts["ana"] = ana
    ana_response = _response(org, ana, 2, ago(12))
    comment(org, None, "Beans never arrived", score=2, at=ago(12), response=ana_response)
    resolved = [
        ("R1", delay, ago(3), ana, ana_response, True),
        ("R2", delay, ago(6), None, None, None),
        ("R3", other, ago(7), None, None, None),
        ("R0", delay, ago(45), None, None, None),
    ]
    for title, cause, at, contact, response, said_resolved in resolved:
        case = make_case(org, title=title, team=support)
        Case.objects.filter(pk=case.pk).update(
            status="resolved", resolved_at=at, root_cause=cause, contact=contact,
            response=response, follow_up_resolved=said_resolved,
            original_score=2 if contact else None, follow_up_score=9 if contact else None,
        )  # fmt: skip
        world.cases[title] = case
    world.cases.update(late=late, soon=soon, fine=fine, prod=prod, done=done)


def recovered_data(world: World) -> None:
    """Ben: 3 two months ago, 9 this period (recovered). Cleo: 3, then 9, then 2 again (not).
    Dan: 9 this period without an earlier detractor score (not)."""
    org = world.org
    ben = customer(org, "ben@example.com", "Ben", "en")
    cleo = customer(org, "cleo@example.com", "Cleo", "en")
    dan = customer(org, "dan@example.com", "Dan", "en")
    _response(org, ben, 3, ago(60))
    _response(org, ben, 9, ago(8))
    _response(org, cleo, 3, ago(60))
    _response(org, cleo, 9, ago(10))
    _response(org, cleo, 2, ago(5))
    _response(org, dan, 9, ago(6))
    world.contacts.update(ben=ben, cleo=cleo, dan=dan)


def initiatives_data(world: World) -> None:
    org = world.org
    product = team(org, "product")
    kw: dict[str, Any] = {"organization": org, "owner_team": product}
    world.initiative = Initiative.objects.create(
        number=1, title="Faster courier", status="in_progress",
        due_date=timezone.now().date() + dt.timedelta(days=20), **kw,
    )  # fmt: skip
    world.initiative.themes.add(theme(org, "delivery"))
    Initiative.objects.create(number=2, title="Old idea", status="dropped", **kw)
    Initiative.objects.create(
        number=3, title="Shipped fix", status="shipped", shipped_at=ago(4), **kw
    )
    Initiative.objects.create(
        number=4, title="Shipped long ago", status="shipped", shipped_at=ago(200), **kw
    )
    Initiative.objects.create(number=5, title="Proposal", status="proposed", **kw)


def world(personas: Personas, *, data: bool = True) -> World:
    """Acme's advocacy team (customer experience) with members from Support and Product, and
    (with `data`) a month of themes, cases, recovered customers and initiatives."""
    org = personas.org
    cx = flag_cx(org)
    korean = advocate(org, "minji@acme.test", language="ko")
    thai = advocate(org, "somchai@acme.test", language="th")
    english = personas.membership(personas.agent)
    join(cx, korean, thai, english)
    join(team(org, "support"), korean)
    join(team(org, "product"), thai)
    w = World(org=org, cx=cx, korean=korean, thai=thai, english=english)
    if data:
        themes_data(org)
        cases_data(w)
        recovered_data(w)
        initiatives_data(w)
    return w
