"""What rules look at for one event, loaded once (response, answers, facts, contact, case) and
shared by every rule evaluated for it, so 1,000 rules cost no more queries than one."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from closeloop.surveys.questions import QUESTION_TYPES

if TYPE_CHECKING:
    from closeloop.accounts.models import Organization
    from closeloop.contacts.models import Contact
    from closeloop.responses.models import AnswerFact, Response
    from closeloop.surveys.schema import Question, SurveyDefinition

METRIC_TYPES = ("nps", "csat", "ces", "rating")
# Open answers: free text and the 'other' text of choice questions (not emails or dates).
NON_TEXT_TYPES = frozenset({"email", "date"})


@dataclass
class Score:
    """One metric answer: which question, its type, the number and the scale's size."""

    key: str
    type: str
    value: float
    points: int


@dataclass
class EventContext:
    """Everything conditions, placeholders and actions read about one event."""

    organization: Organization
    trigger: str
    event_key: str
    subject_type: str
    subject_id: str
    response: Response | None = None
    definition: SurveyDefinition | None = None
    facts: list[AnswerFact] = field(default_factory=list)
    contact: Contact | None = None
    case: Any = None
    payload: dict[str, Any] = field(default_factory=dict)
    segment_cache: dict[str, bool] = field(default_factory=dict)
    touchpoint_name: str | None = None

    # --- answers ----------------------------------------------------------------------------

    @property
    def answers(self) -> dict[str, Any]:
        return self.response.answers if self.response is not None else {}

    @cached_property
    def questions(self) -> dict[str, Question]:
        if self.definition is None:
            return {}
        return {q.key: q for _page, q in self.definition.iter_questions()}

    @cached_property
    def scores(self) -> list[Score]:
        """Metric answers in the order of the survey."""
        order = {key: n for n, key in enumerate(self.questions)}
        found: list[Score] = []
        for fact in self.facts:
            if fact.question_type in METRIC_TYPES and fact.number is not None:
                question = self.questions.get(fact.question_key)
                points = int(getattr(question, "points", 0) or 0)
                if fact.question_type == "nps":
                    points = 11
                elif fact.question_type == "ces":
                    points = 7
                found.append(Score(fact.question_key, fact.question_type, fact.number, points))
        found.sort(key=lambda s: order.get(s.key, 999))
        return found

    def score(self, metric: str | None = None, key: str = "") -> Score | None:
        for s in self.scores:
            if (not metric or s.type == metric) and (not key or s.key == key):
                return s
        return None

    @cached_property
    def texts(self) -> list[tuple[str, str]]:
        """(question key, text) of every open answer, in the order of the survey."""
        order = {key: n for n, key in enumerate(self.questions)}
        rows = [
            (f.question_key, f.text)
            for f in self.facts
            if f.text and f.question_type not in NON_TEXT_TYPES
        ]
        rows.sort(key=lambda r: order.get(r[0], 999))
        return rows

    @property
    def first_comment(self) -> str:
        for _key, text in self.texts:
            return text
        return ""

    def comparable(self, key: str) -> Any:
        """An answer as conditions compare it (a choice key, a list of keys, a number)."""
        value = self.answers.get(key)
        question = self.questions.get(key)
        if value is None or question is None:
            return value
        return QUESTION_TYPES[question.type].comparable(question, value)

    def display(self, key: str) -> str:
        """An answer as text in the response's language (for placeholders)."""
        value = self.answers.get(key)
        question = self.questions.get(key)
        if value is None or question is None or self.definition is None:
            return ""
        language = self.language or self.definition.default_language
        return str(
            QUESTION_TYPES[question.type].display(question, value, language, self.definition)
        )

    # --- who and where ----------------------------------------------------------------------

    @property
    def language(self) -> str:
        if self.response is not None and self.response.language:
            return self.response.language
        if self.contact is not None and self.contact.language:
            return self.contact.language
        return ""

    @property
    def contact_attributes(self) -> dict[str, Any]:
        return dict(self.contact.attributes or {}) if self.contact is not None else {}

    def in_segment(self, segment_id: str) -> bool:
        """Whether the contact is in the segment now (once per segment per event)."""
        if self.contact is None:
            return False
        if segment_id not in self.segment_cache:
            from closeloop.contacts.models import Segment
            from closeloop.contacts.selectors import segment_contacts

            segment = Segment.objects.filter(organization=self.organization, pk=segment_id).first()
            self.segment_cache[segment_id] = segment is not None and (
                segment_contacts(segment=segment).filter(pk=self.contact.pk).exists()
            )
        return self.segment_cache[segment_id]

    def touchpoint_label(self) -> str:
        if self.touchpoint_name is None:
            self.touchpoint_name = ""
            if self.response is not None and self.response.touchpoint_id:
                from closeloop.distribution.models import Touchpoint

                tp = Touchpoint.objects.filter(pk=self.response.touchpoint_id).first()
                self.touchpoint_name = tp.name if tp is not None else ""
        return self.touchpoint_name


# --- loading ----------------------------------------------------------------------------------


def _definition(response: Response) -> SurveyDefinition:
    from closeloop.responses.selectors import definition_of

    return definition_of(response.version)


def _response_qs() -> Any:
    from closeloop.responses.models import Response

    return Response.objects.select_related("survey", "version", "organization")


def _contacts_by_id(ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, Contact]:
    from closeloop.contacts.models import Contact

    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return {c.pk: c for c in Contact.objects.filter(pk__in=wanted)}


def case_model() -> Any:
    """The cases app's Case model, or None while that app is not installed."""
    try:
        from closeloop.cases.models import Case
    except ImportError:
        return None
    return Case


def context_for_response(
    response: Response, *, trigger: str, event_key: str, payload: dict[str, Any] | None = None
) -> EventContext:
    """The context of an event about one response (3 queries: response, facts, contact)."""
    facts = list(response.facts.all())
    contacts = _contacts_by_id([response.contact_id])
    return EventContext(
        organization=response.organization,
        trigger=trigger,
        event_key=event_key,
        subject_type="response",
        subject_id=str(response.pk),
        response=response,
        definition=_definition(response),
        facts=facts,
        contact=contacts.get(response.contact_id) if response.contact_id else None,
        payload=payload or {},
    )


def contexts_for_responses(responses: list[Response], *, trigger: str) -> list[EventContext]:
    """Contexts of many responses at once (for the preview): facts and contacts in 2 queries."""
    from closeloop.responses.models import AnswerFact

    facts: dict[uuid.UUID, list[AnswerFact]] = {r.pk: [] for r in responses}
    for fact in AnswerFact.objects.filter(response_id__in=list(facts)).order_by("id"):
        facts[fact.response_id].append(fact)
    contacts = _contacts_by_id(r.contact_id for r in responses)
    return [
        EventContext(
            organization=r.organization,
            trigger=trigger,
            event_key=str(r.pk),
            subject_type="response",
            subject_id=str(r.pk),
            response=r,
            definition=_definition(r),
            facts=facts[r.pk],
            contact=contacts.get(r.contact_id) if r.contact_id else None,
        )
        for r in responses
    ]


def load_context(
    *, trigger: str, subject_type: str, subject_id: str, event_key: str, payload: dict[str, Any]
) -> EventContext | None:
    """The context of an event, or None if its subject no longer exists."""
    if subject_type == "response":
        response = _response_qs().filter(pk=subject_id).first()
        if response is None:
            return None
        return context_for_response(response, trigger=trigger, event_key=event_key, payload=payload)
    if subject_type == "case":
        case_cls = case_model()
        if case_cls is None:
            return None
        case = case_cls.objects.select_related("organization").filter(pk=subject_id).first()
        if case is None:
            return None
        response_id = getattr(case, "response_id", None)
        response = _response_qs().filter(pk=response_id).first() if response_id else None
        if response is not None:
            ctx = context_for_response(
                response, trigger=trigger, event_key=event_key, payload=payload
            )
        else:
            ctx = EventContext(
                organization=case.organization,
                trigger=trigger,
                event_key=event_key,
                subject_type="case",
                subject_id=str(case.pk),
                payload=payload,
            )
        ctx.subject_type, ctx.subject_id, ctx.case = "case", str(case.pk), case
        contact_id = getattr(case, "contact_id", None)
        if ctx.contact is None and contact_id:
            ctx.contact = _contacts_by_id([contact_id]).get(contact_id)
        return ctx
    if subject_type == "contact":
        from closeloop.contacts.models import Contact

        contact = Contact.objects.select_related("organization").filter(pk=subject_id).first()
        if contact is None:
            return None
        return EventContext(
            organization=contact.organization,
            trigger=trigger,
            event_key=event_key,
            subject_type="contact",
            subject_id=str(contact.pk),
            contact=contact,
            payload=payload,
        )
    return None
