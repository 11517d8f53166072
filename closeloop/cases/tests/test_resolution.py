"""Resolving needs a root cause and a note; then the customer gets the follow-up micro-survey.
A link in it only opens the page with the choice made; the customer's button records it. Its
"no" reopens the case; "yes" closes it, and a detractor whose score rose to 7+ counts as
recovered."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from closeloop.cases.choices import CaseEventKind, CaseStatus
from closeloop.cases.followup import follow_up_token, is_recovered
from closeloop.cases.models import CaseEvent
from closeloop.cases.services import case_resolve
from closeloop.cases.tests.factories import customer_case, root_cause
from closeloop.core.errors import DomainError
from closeloop.core.worker import run_ready_tasks
from closeloop.distribution.tests.campaigns_factories import SmtpServer
from conftest import Personas

# The worker runs tasks on its own connection use: a real transaction per test.
pytestmark = pytest.mark.django_db(transaction=True)

LINK_RE = re.compile(r"http://testserver(/cases/f/[^\s?]+/)\?([^\s]+)")


def _links(text: str) -> dict[str, str]:
    return {query: path for path, query in LINK_RE.findall(text)}


def test_resolve_requires_a_root_cause_and_a_note(personas: Personas) -> None:
    org = personas.org
    case = customer_case(org)
    agent = personas.client_for(personas.agent)
    url = reverse("cases:resolve", args=[org.slug, case.pk])
    missing = agent.post(url, {"note": "Sent a new bag"})
    assert missing.status_code == 400
    assert "This field is required" in missing.content.decode()
    no_note = agent.post(url, {"root_cause": root_cause(org).pk, "note": ""})
    assert no_note.status_code == 400
    case.refresh_from_db()
    assert case.status == CaseStatus.NEW
    try:
        case_resolve(case=case, root_cause=None, note="x", actor=None)
    except DomainError as exc:
        assert exc.field == "root_cause"
    else:
        raise AssertionError("resolved without a root cause")


def test_follow_up_no_reopens_the_case(personas: Personas, smtp: SmtpServer) -> None:
    org = personas.org
    case = customer_case(org, score=3)
    agent = personas.client_for(personas.agent)
    resolved = agent.post(
        reverse("cases:resolve", args=[org.slug, case.pk]),
        {"root_cause": root_cause(org).pk, "note": "Courier was late; refunded shipping."},
    )
    assert resolved.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.RESOLVED and case.root_cause == root_cause(org)
    assert case.follow_up_sent_at is not None
    run_ready_tasks()
    [message] = smtp.sink.to(case.contact.email)  # type: ignore[union-attr]
    assert "Did we resolve your issue?" in str(message["Subject"])
    text = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    links = _links(text)
    assert set(links) >= {"resolved=yes", "resolved=no", "score=0", "score=10"}

    customer = Client(enforce_csrf_checks=True)
    url = links["resolved=no"]
    page = customer.get(url + "?resolved=no")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'value="no" checked' in html and 'data-testid="follow-up-confirm"' in html
    case.refresh_from_db()
    assert case.status == CaseStatus.RESOLVED  # opening the link records nothing
    token = customer.cookies["csrftoken"].value
    answered = customer.post(url, {"resolved": "no", "csrfmiddlewaretoken": token})
    assert answered.status_code == 200
    assert "Your case is open again" in answered.content.decode()
    case.refresh_from_db()
    assert case.status == CaseStatus.REOPENED
    assert case.follow_up_resolved is False
    events = list(CaseEvent.objects.filter(case=case))
    assert [e.kind for e in events[-2:]] == [
        CaseEventKind.FOLLOW_UP_ANSWERED,
        CaseEventKind.STATUS_CHANGED,
    ]
    assert all(e.by_customer for e in events[-2:])
    timeline = agent.get(reverse("cases:detail", args=[org.slug, case.pk])).content.decode()
    assert "Resolved: no" in timeline and "the customer" in timeline


def test_follow_up_yes_with_a_higher_score_is_a_recovered_customer(
    personas: Personas, smtp: SmtpServer
) -> None:
    org = personas.org
    case = customer_case(org, score=4)
    case_resolve(case=case, root_cause=root_cause(org), note="Replaced the grinder", actor=None)
    case.refresh_from_db()
    token = follow_up_token(case)
    customer = Client()
    url = reverse("cases_public:follow_up", args=[token])
    assert customer.get(url + "?resolved=yes").status_code == 200
    assert customer.post(url, {"resolved": "yes"}).status_code == 200
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and case.recovered is None
    # the score from the page's form
    assert customer.post(url, {"score": "9"}).status_code == 200
    case.refresh_from_db()
    assert case.follow_up_score == 9 and case.recovered is True
    assert case.status == CaseStatus.CLOSED


def test_recovered_definition() -> None:
    assert is_recovered(3, 7) is True
    assert is_recovered(3, 6) is False  # still a detractor
    assert is_recovered(6, 6) is False
    assert is_recovered(8, 10) is None  # was not a detractor
    assert is_recovered(None, 9) is None
    assert is_recovered(2, None) is None


def test_bad_or_old_links_do_not_work(personas: Personas, smtp: SmtpServer) -> None:
    org = personas.org
    case = customer_case(org)
    case_resolve(case=case, root_cause=root_cause(org), note="Fixed", actor=None)
    case.refresh_from_db()
    old = follow_up_token(case)
    client = Client()
    assert client.get(f"/cases/f/{old}x/?resolved=no").status_code == 404
    assert client.post(f"/cases/f/{old}x/", {"resolved": "no"}).status_code == 404
    client.post(f"/cases/f/{old}/", {"resolved": "no"})  # reopens
    case.refresh_from_db()
    import datetime as dt

    from closeloop.cases.models import Case

    # a later round makes the old link stale
    Case.objects.filter(pk=case.pk).update(
        follow_up_sent_at=case.follow_up_sent_at + dt.timedelta(seconds=5)  # type: ignore[operator]
    )
    stale = client.post(f"/cases/f/{old}/", {"resolved": "yes"})
    assert stale.status_code == 404
    assert urlsplit(f"/cases/f/{old}/").path.startswith("/cases/f/")


def test_a_mail_scanner_opening_every_link_answers_nothing(
    personas: Personas, smtp: SmtpServer
) -> None:
    """Security gateways fetch every link of an email before the customer reads it."""
    org = personas.org
    case = customer_case(org, score=2)
    case_resolve(case=case, root_cause=root_cause(org), note="Refunded", actor=None)
    run_ready_tasks()
    [message] = smtp.sink.to(case.contact.email)  # type: ignore[union-attr]
    text = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    scanner = Client()
    for path, query in LINK_RE.findall(text):
        assert scanner.get(f"{path}?{query}").status_code == 200
        assert scanner.head(f"{path}?{query}").status_code == 200
    case.refresh_from_db()
    assert case.status == CaseStatus.RESOLVED
    assert case.follow_up_answered_at is None and case.follow_up_score is None
    assert not CaseEvent.objects.filter(case=case, kind=CaseEventKind.FOLLOW_UP_ANSWERED).exists()


def test_the_score_link_preselects_and_one_button_sends(
    personas: Personas, smtp: SmtpServer
) -> None:
    org = personas.org
    case = customer_case(org, score=3)
    case_resolve(case=case, root_cause=root_cause(org), note="Refunded", actor=None)
    case.refresh_from_db()
    url = reverse("cases_public:follow_up", args=[follow_up_token(case)])
    customer = Client(enforce_csrf_checks=True)
    page = customer.get(url + "?score=8").content.decode()
    assert 'name="score" value="8" checked' in page
    section = page.split('data-testid="follow-up-page"', 1)[1].split("</section>", 1)[0]
    assert section.count('type="submit"') == 1  # one button
    # a form without its CSRF token is refused
    assert customer.post(url, {"score": "8"}).status_code == 403
    token = customer.cookies["csrftoken"].value
    sent = customer.post(url, {"score": "8", "csrfmiddlewaretoken": token})
    assert sent.status_code == 200 and "your answer is saved" in sent.content.decode()
    case.refresh_from_db()
    assert case.follow_up_score == 8 and case.recovered is True


def test_sending_the_same_answer_twice_records_it_once(
    personas: Personas, smtp: SmtpServer
) -> None:
    org = personas.org
    case = customer_case(org)
    case_resolve(case=case, root_cause=root_cause(org), note="Refunded", actor=None)
    case.refresh_from_db()
    url = reverse("cases_public:follow_up", args=[follow_up_token(case)])
    customer = Client()
    for _ in range(2):
        assert customer.post(url, {"resolved": "no", "score": "2"}).status_code == 200
    case.refresh_from_db()
    assert case.status == CaseStatus.REOPENED
    kinds = [e.kind for e in CaseEvent.objects.filter(case=case)]
    assert kinds.count(CaseEventKind.FOLLOW_UP_ANSWERED) == 1
    assert kinds.count(CaseEventKind.STATUS_CHANGED) == 2  # resolved, then reopened once
    empty = customer.post(url, {})
    assert empty.status_code == 400 and "Choose Yes or No" in empty.content.decode()
