"""Writes for responses: start, save a page (partial saves), complete once, create via the API."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from closeloop.core import events
from closeloop.core.errors import DomainError
from closeloop.core.services import activity_record
from closeloop.lib.tokens import hash_token, new_token
from closeloop.responses.choices import Channel, ResponseStatus
from closeloop.responses.forms import FormData, raw_answer
from closeloop.responses.models import AnswerFact, PersonalLink, Response
from closeloop.responses.selectors import definition_of, response_by_idempotency_key
from closeloop.surveys.logic import Step, SurveyRun
from closeloop.surveys.questions import QUESTION_TYPES, AnswerError
from closeloop.surveys.schema import ENDING_PREFIX, SurveyDefinition

if TYPE_CHECKING:
    from closeloop.accounts.models import ApiKey
    from closeloop.surveys.models import Survey

HIDDEN_VALUE_MAX = 500
METADATA_VALUE_MAX = 500


class ResponseValidationError(DomainError):
    """Answers that do not fit their questions; `errors` maps question key to a message."""

    status = 422

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        key, message = next(iter(errors.items()))
        super().__init__(f"answers.{key}: {message}", field=f"answers.{key}", code="validation")


@dataclass
class PageResult:
    """What saving a page did: errors per question key, else where the respondent goes next."""

    response: Response
    errors: dict[str, str] = field(default_factory=dict)
    step: Step | None = None
    completed: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


def clean_hidden(definition: SurveyDefinition, hidden: dict[str, Any]) -> dict[str, str]:
    """Only the definition's hidden fields, as short strings."""
    allowed = {h.key for h in definition.hidden_fields}
    return {
        key: str(value)[:HIDDEN_VALUE_MAX]
        for key, value in hidden.items()
        if key in allowed and value is not None
    }


def _clean_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    return {
        str(key)[:64]: value
        if isinstance(value, int | float | bool)
        else str(value)[:METADATA_VALUE_MAX]
        for key, value in list(metadata.items())[:20]
    }


def _published_version(survey: Survey) -> Any:
    version = survey.current_version
    if version is None or version.published_at is None:
        raise DomainError(_("This survey is not published yet."), code="not-published")
    return version


def page_answers(
    *,
    definition: SurveyDefinition,
    answers: dict[str, Any],
    hidden: dict[str, Any],
    page_key: str,
    raw: FormData,
) -> tuple[dict[str, Any], dict[str, str]]:
    """Validate the visible questions of a page: (valid answers incl. skipped as None, errors)."""
    run = SurveyRun(definition, answers, hidden)
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for question in run.visible_questions(page_key):
        kind = QUESTION_TYPES[question.type]
        if not kind.has_answer:
            continue
        try:
            values[question.key] = kind.validate_answer(question, raw_answer(question, raw))
        except AnswerError as error:
            errors[question.key] = error.message
    return values, errors


def response_start(
    *,
    survey: Survey,
    channel: str,
    language: str,
    hidden: dict[str, Any],
    metadata: dict[str, Any],
    personal_link: PersonalLink | None = None,
    contact_id: uuid.UUID | None = None,
    touchpoint_id: uuid.UUID | None = None,
    start_nonce: str = "",
) -> tuple[Response, str]:
    """Start a partial response at the first page; returns it and the raw resume token."""
    version = _published_version(survey)
    definition = definition_of(version)
    if personal_link is not None:
        hidden = {**personal_link.hidden, **hidden}
        contact_id = contact_id or personal_link.contact_id
        touchpoint_id = touchpoint_id or personal_link.touchpoint_id
    hidden = clean_hidden(definition, hidden)
    if language not in definition.languages:
        language = definition.default_language
    token = new_token(nbytes=24)
    now = timezone.now()
    first = SurveyRun(definition, {}, hidden).first_page()
    response = Response.objects.create(
        organization_id=survey.organization_id,
        survey=survey,
        version=version,
        contact_id=contact_id,
        personal_link=personal_link,
        channel=channel,
        touchpoint_id=touchpoint_id,
        language=language,
        hidden=hidden,
        metadata=_clean_metadata(metadata),
        current_page=first.key if not first.is_ending else f"{ENDING_PREFIX}{first.key}",
        resume_token_hash=hash_token(token),
        start_nonce=start_nonce[:40],
        started_at=now,
        created_at=now,
    )
    events.emit(
        "response.started",
        response_id=str(response.pk),
        survey_id=str(survey.pk),
        organization_id=str(survey.organization_id),
    )
    return response, token


def _store_partial(response: Response, **changes: Any) -> bool:
    """Write changes to a response only while it is partial; False if it was completed."""
    changes["updated_at"] = timezone.now()
    updated = Response.objects.filter(pk=response.pk, status=ResponseStatus.PARTIAL).update(
        **changes
    )
    if updated:
        for name, value in changes.items():
            setattr(response, name, value)
    return bool(updated)


def _merge(answers: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    merged = dict(answers)
    for key, value in values.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def response_save_page(
    *, response: Response, page_key: str, raw: FormData, nonce: str = ""
) -> PageResult:
    """Save a page's valid answers (even beside errors); when all are valid, move on or complete."""
    if response.status == ResponseStatus.COMPLETE:
        return PageResult(response=response, completed=True)
    definition = definition_of(response.version)
    if definition.page(page_key) is None:
        return PageResult(response=response, errors={"": _("This page is not in the survey.")})
    values, errors = page_answers(
        definition=definition,
        answers=response.answers,
        hidden=response.hidden,
        page_key=page_key,
        raw=raw,
    )
    answers = _merge(response.answers, values)
    step: Step | None = None
    current = response.current_page
    if not errors:
        step = SurveyRun(definition, answers, response.hidden).next_step(page_key)
        current = f"{ENDING_PREFIX}{step.key}" if step.is_ending else step.key
    changes: dict[str, Any] = {"answers": answers, "current_page": current}
    if nonce:
        changes["last_nonce"] = nonce[:40]
    if not _store_partial(response, **changes):
        response.refresh_from_db()
        return PageResult(response=response, completed=True)
    result = PageResult(response=response, errors=errors, step=step)
    if step is not None and step.is_ending:
        response_complete(response=response)
        result.completed = True
    return result


def response_set_language(*, response: Response, language: str) -> Response:
    """Switch a partial response to another of the survey's languages (the language switcher)."""
    if language in definition_of(response.version).languages:
        _store_partial(response, language=language)
    return response


def response_go_back(*, response: Response, page_key: str, raw: FormData, nonce: str = "") -> Step:
    """Keep the page's valid answers and go to the page before it on the respondent's path."""
    definition = definition_of(response.version)
    if response.status == ResponseStatus.COMPLETE or definition.page(page_key) is None:
        return Step("page", response.current_page)
    values, _errors = page_answers(
        definition=definition,
        answers=response.answers,
        hidden=response.hidden,
        page_key=page_key,
        raw=raw,
    )
    answers = _merge(response.answers, values)
    path = SurveyRun(definition, answers, response.hidden).path()
    target = (
        path[path.index(page_key) - 1] if page_key in path[1:] else path[0] if path else page_key
    )
    changes: dict[str, Any] = {"answers": answers, "current_page": target}
    if nonce:
        changes["last_nonce"] = nonce[:40]
    _store_partial(response, **changes)
    return Step("page", target)


def _facts(response: Response, definition: SurveyDefinition) -> list[AnswerFact]:
    """One typed row per answer on the respondent's path (matrix rows, choices: one each)."""
    run = SurveyRun(definition, response.answers, response.hidden)
    answered_at = response.completed_at or timezone.now()
    rows: list[AnswerFact] = []
    for page_key in run.path():
        for question in run.visible_questions(page_key):
            value = response.answers.get(question.key)
            kind = QUESTION_TYPES[question.type]
            if value is None or not kind.has_answer:
                continue
            for fact in kind.to_facts(question, value):
                rows.append(
                    AnswerFact(
                        organization_id=response.organization_id,
                        survey_id=response.survey_id,
                        version_number=response.version.number,
                        response=response,
                        question_key=question.key,
                        question_type=question.type,
                        row_key=(fact.row or "")[:64],
                        number=fact.number,
                        choice=(fact.choice or "")[:64],
                        text=fact.text or "",
                        answered_at=answered_at,
                    )
                )
    return rows


def _finish(response: Response, definition: SurveyDefinition) -> None:
    """Write the answer facts and announce the completion (after commit)."""
    AnswerFact.objects.bulk_create(_facts(response, definition))
    # Imported history gets its own event: analytics counts it, follow-up automation does not.
    events.emit(
        "response.imported" if response.historical else "response.completed",
        response_id=str(response.pk),
        survey_id=str(response.survey_id),
        organization_id=str(response.organization_id),
    )


def response_complete(*, response: Response) -> bool:
    """Complete a partial response once (a conditional UPDATE); False if it already was."""
    definition = definition_of(response.version)
    with transaction.atomic():
        run = SurveyRun(definition, response.answers, response.hidden)
        current = response.current_page
        if not current.startswith(ENDING_PREFIX):
            current = f"{ENDING_PREFIX}{run.ending().key}"
        now = timezone.now()
        claimed = Response.objects.filter(pk=response.pk, status=ResponseStatus.PARTIAL).update(
            status=ResponseStatus.COMPLETE,
            completed_at=now,
            current_page=current,
            answers=response.answers,
            updated_at=now,
        )
        if not claimed:
            return False
        response.status = ResponseStatus.COMPLETE
        response.completed_at = now
        response.current_page = current
        _finish(response, definition)
    return True


def validate_all_answers(
    *, definition: SurveyDefinition, answers: dict[str, Any], hidden: dict[str, Any]
) -> tuple[dict[str, Any], Step]:
    """Walk the survey as a respondent would, validating every visible answer; the ending reached.

    Raises ResponseValidationError naming each question at fault (or an unknown key)."""
    known = {q.key for _page, q in definition.iter_questions()}
    errors: dict[str, str] = {
        key: _("No question of this survey has this key.") for key in answers if key not in known
    }
    run = SurveyRun(definition, {}, hidden)
    step = run.first_page()
    seen: set[str] = set()
    while not step.is_ending and step.key not in seen:
        seen.add(step.key)
        for question in run.visible_questions(step.key):
            kind = QUESTION_TYPES[question.type]
            if not kind.has_answer:
                continue
            try:
                value = kind.validate_answer(question, answers.get(question.key))
            except AnswerError as error:
                errors[question.key] = error.message
                continue
            if value is not None:
                run.answers[question.key] = value
        step = run.next_step(step.key)
    if errors:
        raise ResponseValidationError(errors)
    return run.answers, step


def response_create_complete(
    *,
    survey: Survey,
    answers: dict[str, Any],
    channel: str = Channel.API,
    language: str | None = None,
    hidden: dict[str, Any] | None = None,
    contact_id: uuid.UUID | None = None,
    historical: bool = False,
    completed_at: dt.datetime | None = None,
    idempotency_key: str | None = None,
    api_key: ApiKey | None = None,
) -> Response:
    """Create a completed response from answers keyed by question key (the API's path)."""
    key = (idempotency_key or "")[:100]
    existing = response_by_idempotency_key(survey=survey, key=key)
    if existing is not None:
        return existing
    version = _published_version(survey)
    definition = definition_of(version)
    hidden_clean = clean_hidden(definition, hidden or {})
    values, step = validate_all_answers(definition=definition, answers=answers, hidden=hidden_clean)
    if language not in definition.languages:
        language = definition.default_language
    now = timezone.now()
    when = completed_at or now
    ending = SurveyRun(definition, values, hidden_clean).ending_for(step)
    try:
        with transaction.atomic():
            response = Response.objects.create(
                organization_id=survey.organization_id,
                survey=survey,
                version=version,
                contact_id=contact_id,
                channel=channel,
                language=language,
                status=ResponseStatus.COMPLETE,
                current_page=f"{ENDING_PREFIX}{ending.key}",
                answers=values,
                hidden=hidden_clean,
                historical=historical,
                idempotency_key=key,
                created_at=now,
                started_at=when,
                completed_at=when,
            )
            _finish(response, definition)
            if api_key is not None:
                activity_record(
                    organization=survey.organization,
                    verb="response.created",
                    api_key=api_key,
                    target=response,
                    data={"survey": str(survey.pk), "historical": historical},
                )
    except IntegrityError:
        # The same idempotency key raced in from another request: answer with its response.
        existing = response_by_idempotency_key(survey=survey, key=key)
        if existing is None:
            raise
        return existing
    return response
