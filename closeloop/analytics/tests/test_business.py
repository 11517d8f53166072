"""Business metrics against scores: churn and retention of promoters, passives and detractors
with n and margins, the share with a business event, revenue at risk (an estimate), and the
unresolved-issue share of detractors; small groups hidden, on the page and in the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from closeloop.accounts.models import Organization
from closeloop.analytics.alerts.business import business_metrics
from closeloop.analytics.metrics.stats import proportion_estimate
from closeloop.analytics.tests.alerts_factories import survey_for
from closeloop.analytics.tests.metrics_data import answer, at
from closeloop.api.testing import ApiClient
from closeloop.cases.choices import CaseStatus
from closeloop.cases.models import Case
from closeloop.cases.tests.factories import make_case
from closeloop.contacts.models import Contact
from closeloop.contacts.services import attribute_definition_create, contact_create
from closeloop.distribution.models import Event
from conftest import Personas

pytestmark = pytest.mark.django_db


def define(org: Organization) -> None:
    for key, type_ in (("churned", "boolean"), ("churned_on", "date"), ("revenue", "number")):
        attribute_definition_create(organization=org, key=key, type=type_, actor=None)


def customer(org: Organization, n: int, **attributes: Any) -> Contact:
    return contact_create(
        organization=org,
        actor=None,
        data={"email": f"c{n}@example.com", "first_name": f"C{n}", "attributes": attributes},
    )


def population(personas: Personas) -> dict[str, Any]:
    """6 promoters (1 churned), 6 passives (2), 6 detractors (4); revenue 100 each, detractors
    200; one detractor answered twice: only the latest answer counts."""
    org = personas.org
    define(org)
    survey = survey_for(org)
    plan = {"promoters": (10, 1), "passives": (8, 2), "detractors": (3, 4)}
    contacts: dict[str, list[Contact]] = {}
    responses: list[Any] = []
    n = 0
    for group, (score, churned) in plan.items():
        contacts[group] = []
        for i in range(6):
            n += 1
            revenue = 200 if group == "detractors" else 100
            contact = customer(org, n, churned=i < churned, revenue=revenue)
            contacts[group].append(contact)
            if group == "detractors" and i == 0:
                answer(
                    survey, at("2025-02-01"), rec=10, contact_id=contact.pk
                )  # earlier: a promoter
            responses.append(answer(survey, at("2025-03-01"), rec=score, contact_id=contact.pk))
    return {"survey": survey, "contacts": contacts, "responses": responses}


def test_churn_retention_and_revenue_at_risk_by_group(personas: Personas) -> None:
    data = population(personas)
    result = business_metrics(
        organization=personas.org, churn_attribute="churned", revenue_attribute="revenue"
    )
    assert result.n_contacts == 18
    rates = {g.key: (g.n, g.churn.n, g.churn.value) for g in result.groups}  # type: ignore[union-attr]
    assert rates == {
        "promoters": (6, 6, pytest.approx(100 / 6)),
        "passives": (6, 6, pytest.approx(200 / 6)),
        "detractors": (6, 6, pytest.approx(400 / 6)),
    }
    detractors = result.group("detractors")
    expected = proportion_estimate(successes=4, n=6)
    assert detractors.churn.margin_of_error == pytest.approx(expected.margin_of_error)  # type: ignore[union-attr]
    assert detractors.retention.value == pytest.approx(200 / 6)  # type: ignore[union-attr]
    assert result.revenue_at_risk == 1200
    assert result.revenue_total == 2400
    assert detractors.revenue.value == 200  # type: ignore[union-attr]
    assert "Revenue at risk (an estimate): 1,200" in " ".join(result.sentences)
    # detractor responses without a resolved case: all six (no case at all)
    assert result.unresolved is not None and result.unresolved.share is not None
    assert (result.unresolved.n, result.unresolved.no_case, result.unresolved.share.value) == (
        6, 6, 100.0,
    )  # fmt: skip
    assert data["survey"] is not None


def test_unresolved_share_counts_open_and_missing_cases(personas: Personas) -> None:
    data = population(personas)
    detractor_responses = data["responses"][-6:]
    make_case(personas.org, response=detractor_responses[0])
    make_case(personas.org, response=detractor_responses[1])
    done = make_case(personas.org, response=detractor_responses[2])
    Case.objects.filter(pk=done.pk).update(status=CaseStatus.RESOLVED)
    result = business_metrics(organization=personas.org)
    unresolved = result.unresolved
    assert unresolved is not None and unresolved.share is not None
    assert (unresolved.no_case, unresolved.open_case, unresolved.resolved) == (3, 2, 1)
    assert unresolved.share.value == pytest.approx(500 / 6)


def test_a_date_attribute_and_a_business_event(personas: Personas) -> None:
    data = population(personas)
    for contact in data["contacts"]["detractors"][:3]:
        contact.attributes["churned_on"] = "2025-03-20"
        contact.save()
    Event.objects.create(
        organization=personas.org,
        contact=data["contacts"]["detractors"][0],
        event_type="invoice_disputed",
        occurred_at=at("2025-03-10"),
    )
    result = business_metrics(
        organization=personas.org,
        churn_attribute="churned_on",
        event_type="invoice_disputed",
        date_from=dt.date(2025, 3, 1),
        date_to=dt.date(2025, 3, 31),
    )
    detractors = result.group("detractors")
    assert detractors.churn.value == pytest.approx(50.0)  # type: ignore[union-attr]
    assert result.group("promoters").churn.value == 0  # type: ignore[union-attr]
    assert detractors.event.value == pytest.approx(100 / 6)  # type: ignore[union-attr]
    # the earlier promoter answer is outside the period
    assert result.n_contacts == 18


def test_small_groups_are_hidden_also_from_the_total(personas: Personas) -> None:
    org = personas.org
    define(org)
    survey = survey_for(org)
    for n, score in enumerate([10] * 8 + [8] * 6 + [2] * 3):
        contact = customer(org, n, churned=n % 2 == 0, revenue=50)
        answer(survey, at("2025-03-01"), rec=score, contact_id=contact.pk)
    result = business_metrics(
        organization=org, churn_attribute="churned", revenue_attribute="revenue"
    )
    hidden = {g.key for g in result.groups if g.hidden}
    # 3 detractors are hidden, and passives too, or 17 - 8 - 6 would give them away
    assert hidden == {"detractors", "passives"}
    assert all(g.churn is None and g.n == 0 for g in result.groups if g.hidden)
    assert result.revenue_at_risk is None and result.revenue_at_risk_hidden
    assert result.revenue_total is None
    assert result.unresolved is not None and result.unresolved.hidden


def test_the_business_page_and_its_chart(personas: Personas) -> None:
    population(personas)
    page_url = reverse("analytics:business", args=[personas.org.slug])
    page = personas.client_for(personas.viewer).get(page_url)
    assert page.status_code == 200
    html = page.content.decode()
    # the churn and revenue attributes are chosen by default
    assert page.context["result"].churn_attribute == "churned"
    assert page.context["result"].revenue_attribute == "revenue"
    assert "Revenue at risk" in html and "1,200" in html and "An estimate" in html
    assert 'id="business-chart-data"' in html and "/assets/plotly-" in html
    assert "66.7%" in html  # detractors' churn rate in the table
    chart = page.context["chart"]
    assert chart["categories"] == ["Promoters", "Passives", "Detractors"]
    assert chart["series"][0]["values"] == pytest.approx([100 / 6, 200 / 6, 400 / 6])

    bad = personas.client_for(personas.viewer).get(page_url, {"churn": "revenue"})
    assert bad.status_code == 200 and bad.context["result"] is None
    assert "Select a valid choice" in bad.content.decode()


def test_business_metrics_through_the_api(
    personas: Personas, reader: ApiClient, other_writer: ApiClient
) -> None:
    data = population(personas)
    answer_ = reader.get(
        "/business-metrics",
        {"churn": "churned", "revenue": "revenue", "survey": str(data["survey"].pk)},
    )
    assert answer_.status_code == 200, answer_.content
    body = answer_.json()
    detractors = next(g for g in body["groups"] if g["key"] == "detractors")
    assert detractors["churn_rate"]["value"] == pytest.approx(400 / 6)
    assert detractors["churn_rate"]["n"] == 6 and detractors["churn_rate"]["margin_of_error"] > 0
    assert body["revenue_at_risk"] == 1200
    assert body["unresolved"]["share"]["value"] == 100
    wrong = reader.get("/business-metrics", {"churn": "revenue"})
    assert wrong.status_code == 400 and wrong.json()["field"] == "churn"
    theirs = other_writer.get("/business-metrics", {"survey": str(data["survey"].pk)})
    assert theirs.status_code == 404 and theirs.json()["field"] == "survey"
