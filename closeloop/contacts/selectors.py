"""Reads for contacts: search, segments turned into ORM filters, a contact's history."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Exists, FloatField, OuterRef, Q, QuerySet, Subquery
from django.db.models.fields.json import KeyTransform
from django.utils import timezone

from closeloop.accounts.access import access_object
from closeloop.contacts.choices import AttributeType, SegmentMatch, SurveyHistory
from closeloop.contacts.models import AttributeDefinition, Contact, ContactImport, Segment
from closeloop.contacts.rules import ATTRIBUTE_PREFIX, attribute_types

if TYPE_CHECKING:
    from closeloop.accounts.models import Organization
    from closeloop.responses.models import Response

SEARCH_FIELDS = ("first_name", "last_name", "email", "external_id", "phone")
SCORE_TYPES = ("nps", "csat", "ces", "rating")
NPS_BANDS: dict[str, tuple[float, float]] = {
    SurveyHistory.DETRACTOR_LAST_TIME: (0, 6),
    SurveyHistory.PASSIVE_LAST_TIME: (7, 8),
    SurveyHistory.PROMOTER_LAST_TIME: (9, 10),
}


# --- access ------------------------------------------------------------------------------------


def access_contact(*, organization: Organization, pk: Any) -> Contact:
    """One contact of the organization, or 404."""
    return access_object(Contact.objects.all(), organization=organization, pk=pk)


def access_segment(*, organization: Organization, pk: Any) -> Segment:
    """One segment of the organization, or 404."""
    return access_object(Segment.objects.all(), organization=organization, pk=pk)


def access_import(*, organization: Organization, pk: Any) -> ContactImport:
    """One contact import of the organization, or 404."""
    return access_object(ContactImport.objects.all(), organization=organization, pk=pk)


def access_attribute(*, organization: Organization, pk: Any) -> AttributeDefinition:
    """One attribute definition of the organization, or 404."""
    return access_object(AttributeDefinition.objects.all(), organization=organization, pk=pk)


# --- lists -------------------------------------------------------------------------------------


def attribute_definitions(*, organization: Organization) -> QuerySet[AttributeDefinition]:
    return AttributeDefinition.objects.filter(organization=organization).order_by("key")


def segment_list(*, organization: Organization) -> QuerySet[Segment]:
    return Segment.objects.filter(organization=organization).order_by("name")


def import_list(*, organization: Organization) -> QuerySet[ContactImport]:
    return ContactImport.objects.filter(organization=organization).defer("file_data")


def contact_search(
    *,
    organization: Organization,
    q: str = "",
    kind: str = "",
    segment: Segment | None = None,
    unsubscribed: bool | None = None,
    include_erased: bool = False,
) -> QuerySet[Contact]:
    """Contacts matching every word of `q` in a name, email, external id or phone
    (case-insensitive), of a kind, in a segment, by consent state."""
    qs = (
        segment_contacts(segment=segment)
        if segment is not None
        else Contact.objects.filter(organization=organization)
    )
    if not include_erased:
        qs = qs.filter(erased_at__isnull=True)
    for term in q.split()[:8]:
        match = Q()
        for name in SEARCH_FIELDS:
            match |= Q(**{f"{name}__icontains": term})
        qs = qs.filter(match)
    if kind:
        qs = qs.filter(kind=kind)
    if unsubscribed is not None:
        qs = qs.filter(unsubscribed_at__isnull=not unsubscribed)
    return qs


# --- segments ----------------------------------------------------------------------------------


def _model_field_q(field: str, op: str, value: Any) -> Q:
    if field == "unsubscribed":
        return Q(unsubscribed_at__isnull=not value)
    empty = Q(**{f"{field}__isnull": True}) | Q(**{field: ""})
    if op == "eq":
        return Q(**{f"{field}__iexact": value})
    if op == "ne":
        return ~Q(**{f"{field}__iexact": value}) | empty
    if op == "contains":
        return Q(**{f"{field}__icontains": value})
    if op == "in":
        return Q(**{f"{field}__in": value})
    if op == "is_set":
        return ~empty
    return empty  # not_set


def _attribute_q(
    key: str, attr_type: str, op: str, value: Any, alias: str, aliases: dict[str, Any]
) -> Q:
    has_key = Q(attributes__has_key=key)
    if op == "is_set":
        return has_key
    if op == "not_set":
        return ~has_key
    # An alias keeps keys that look like lookups ("in", "contains") from being read as lookups.
    aliases[alias] = KeyTransform(key, "attributes")
    text = attr_type == AttributeType.TEXT
    if op == "eq":
        return Q(**{f"{alias}__iexact" if text else alias: value})
    if op == "ne":
        return ~has_key | ~Q(**{f"{alias}__iexact" if text else alias: value})
    if op == "contains":
        return Q(**{f"{alias}__icontains": value})
    if op in ("lt", "gt"):
        return has_key & Q(**{f"{alias}__{op}": value})
    return Q(**{f"{alias}__in": value})  # in


def _history_q(rule: dict[str, Any], index: int, annotations: dict[str, Any], now: Any) -> Q:
    from closeloop.responses.choices import ResponseStatus
    from closeloop.responses.models import AnswerFact, Response

    kind = rule["survey_history"]
    survey = rule.get("survey")
    days = rule.get("within_days")
    since = now - timedelta(days=days) if days else None
    if kind in (SurveyHistory.ANSWERED, SurveyHistory.NOT_ANSWERED):
        responses = Response.objects.filter(
            contact_id=OuterRef("pk"), status=ResponseStatus.COMPLETE
        )
        if survey:
            responses = responses.filter(survey_id=survey)
        if since is not None:
            responses = responses.filter(completed_at__gte=since)
        if rule.get("question_type"):
            responses = responses.filter(facts__question_type=rule["question_type"])
        exists = Q(Exists(responses))
        return exists if kind == SurveyHistory.ANSWERED else ~exists
    # "... last time": the NPS score of the contact's latest completed response that has one.
    facts = AnswerFact.objects.filter(
        response__contact_id=OuterRef("pk"),
        response__status=ResponseStatus.COMPLETE,
        question_type="nps",
        number__isnull=False,
    )
    if survey:
        facts = facts.filter(survey_id=survey)
    if since is not None:
        facts = facts.filter(response__completed_at__gte=since)
    name = f"_last_nps_{index}"
    annotations[name] = Subquery(
        facts.order_by("-response__completed_at", "-id").values("number")[:1],
        output_field=FloatField(),
    )
    low, high = NPS_BANDS[kind]
    return Q(**{f"{name}__gte": low, f"{name}__lte": high})


def contacts_matching(
    *, organization: Organization, definition: dict[str, Any]
) -> QuerySet[Contact]:
    """Contacts matching a validated segment definition (see contacts.rules)."""
    attr_types = attribute_types(organization)
    annotations: dict[str, Any] = {}
    aliases: dict[str, Any] = {}
    now = timezone.now()
    conditions: list[Q] = []
    for index, rule in enumerate(definition.get("rules") or []):
        if "survey_history" in rule:
            conditions.append(_history_q(rule, index, annotations, now))
            continue
        field, op, value = rule["field"], rule["op"], rule.get("value")
        if field.startswith(ATTRIBUTE_PREFIX):
            key = field[len(ATTRIBUTE_PREFIX) :]
            if key not in attr_types:  # the attribute was deleted: the rule matches nobody
                conditions.append(Q(pk__in=[]))
                continue
            conditions.append(
                _attribute_q(key, attr_types[key], op, value, f"_attr_{index}", aliases)
            )
        else:
            conditions.append(_model_field_q(field, op, value))
    qs = Contact.objects.filter(organization=organization, erased_at__isnull=True)
    if aliases:
        qs = qs.alias(**aliases)
    if annotations:
        qs = qs.annotate(**annotations)
    if not conditions:
        return qs
    combined = conditions[0]
    for condition in conditions[1:]:
        if definition.get("match") == SegmentMatch.ANY:
            combined |= condition
        else:
            combined &= condition
    return qs.filter(combined)


def segment_contacts(*, segment: Segment) -> QuerySet[Contact]:
    """The contacts in a segment now (erased contacts never are)."""
    return contacts_matching(organization=segment.organization, definition=segment.definition)


# --- a contact's history -----------------------------------------------------------------------


def contact_responses(*, contact: Contact) -> QuerySet[Response]:
    """The contact's responses, newest first, with the survey and the first score answered."""
    from closeloop.responses.models import AnswerFact, Response

    scores = AnswerFact.objects.filter(
        response=OuterRef("pk"), question_type__in=SCORE_TYPES, number__isnull=False
    ).order_by("id")
    return (
        Response.objects.filter(organization_id=contact.organization_id, contact_id=contact.pk)
        .select_related("survey")
        .annotate(
            score=Subquery(scores.values("number")[:1], output_field=FloatField()),
            score_type=Subquery(scores.values("question_type")[:1]),
        )
        .order_by("-started_at")
    )
