"""Writes for surveys: create, edit the draft, publish (freeze), close, import and export.

A survey's versions: the one with `published_at` NULL is the draft (at most one, enforced by a
constraint); published versions are never modified. Editing a survey whose newest version is
published first copies that version into the draft of the next number.
"""

from __future__ import annotations

import copy
import json
from typing import TYPE_CHECKING, Any, Literal

import yaml
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from closeloop.core import events
from closeloop.core.errors import ConflictError, DomainError, NotFoundError
from closeloop.core.services import activity_record
from closeloop.surveys.choices import SurveyKind, SurveyStatus
from closeloop.surveys.models import Survey, SurveyVersion
from closeloop.surveys.schema import DefinitionError, SurveyDefinition
from closeloop.surveys.selectors import survey_draft, survey_latest_version, survey_version
from closeloop.surveys.serialization import (
    MAX_DEFINITION_CHARS,
    _Dumper,
    _line_for,
    _line_map,
    _Loader,
    _split_path,
    definition_from_data,
    definition_to_data,
)
from closeloop.surveys.templates_library import get_template, get_template_info

if TYPE_CHECKING:
    from closeloop.accounts.models import ApiKey, Organization, User

Format = Literal["json", "yaml"]
FORMATS: tuple[Format, ...] = ("json", "yaml")
# The key that marks an exported document (name, kind and definition) rather than a bare one.
ENVELOPE_KEY = "closeloop_survey"
ENVELOPE_VERSION = 1
NAME_MAX = 200


class SurveyInputError(DomainError):
    """Input that names something unknown or malformed (a template, a language, a format)."""

    status = 422


def _clean_name(name: str) -> str:
    cleaned = (name or "").strip()
    if not cleaned:
        raise SurveyInputError(_("Give the survey a name."), field="name", code="validation")
    if len(cleaned) > NAME_MAX:
        raise SurveyInputError(
            _("The name is too long (at most %(n)d characters).") % {"n": NAME_MAX},
            field="name",
            code="validation",
        )
    return cleaned


def _clean_kind(kind: str | None) -> str | None:
    if kind is None:
        return None
    if kind not in SurveyKind.values:
        raise SurveyInputError(
            _("Unknown kind '%(kind)s'; use one of: %(kinds)s.")
            % {"kind": kind, "kinds": ", ".join(SurveyKind.values)},
            field="kind",
            code="validation",
        )
    return kind


def _with_default_language(defn: SurveyDefinition, language: str) -> SurveyDefinition:
    if language == defn.default_language or language not in defn.languages:
        return defn
    data = definition_to_data(defn)
    data["default_language"] = language
    return definition_from_data(data)


def blank_definition(*, language: str, title: str) -> SurveyDefinition:
    """A one-page survey with a single NPS question, written in `language`."""
    with override(language):
        question = _("How likely are you to recommend us to a friend or colleague?")
        low = _("Not at all likely")
        high = _("Extremely likely")
        ending_title = _("Thank you!")
        ending_message = _("Thanks for your feedback.")
    return definition_from_data(
        {
            "default_language": language,
            "languages": [language],
            "title": {language: title},
            "pages": [
                {
                    "key": "page_1",
                    "questions": [
                        {
                            "key": "q1",
                            "type": "nps",
                            "required": True,
                            "title": {language: question},
                            "low_label": {language: low},
                            "high_label": {language: high},
                        }
                    ],
                }
            ],
            "endings": [
                {
                    "key": "thanks",
                    "title": {language: ending_title},
                    "message": {language: ending_message},
                }
            ],
        }
    )


def _template_definition(
    template: str, language: str | None, organization: Organization
) -> tuple[SurveyDefinition, str]:
    try:
        info = get_template_info(template)
    except NotFoundError as error:
        raise SurveyInputError(error.message, field="template", code="unknown-template") from None
    if language is not None:
        if language not in info.languages:
            raise SurveyInputError(
                _("The template '%(id)s' is available in %(langs)s, not '%(lang)s'.")
                % {"id": template, "langs": ", ".join(info.languages), "lang": language},
                field="language",
                code="validation",
            )
        return get_template(template, language), info.kind
    defn = _with_default_language(get_template(template), organization.default_language)
    return defn, info.kind


@transaction.atomic
def survey_create(
    *,
    organization: Organization,
    actor: User | None,
    api_key: ApiKey | None = None,
    name: str,
    template: str | None = None,
    definition: dict[str, Any] | None = None,
    language: str | None = None,
    kind: str | None = None,
) -> Survey:
    """Create a survey from a template, a definition or blank (one NPS question), with draft v1."""
    name = _clean_name(name)
    kind = _clean_kind(kind)
    if template and definition is not None:
        raise SurveyInputError(
            _("Give either a template or a definition, not both."),
            field="template",
            code="validation",
        )
    template_kind: str | None = None
    if template:
        defn, template_kind = _template_definition(template, language, organization)
    elif definition is not None:
        defn = definition_from_data(definition)
    else:
        defn = blank_definition(language=language or organization.default_language, title=name)
    survey = Survey.objects.create(
        organization=organization,
        name=name,
        kind=kind or template_kind or SurveyKind.CUSTOMER,
        template_id=template or "",
        created_by=actor,
    )
    SurveyVersion.objects.create(survey=survey, number=1, definition=definition_to_data(defn))
    activity_record(
        organization=organization,
        actor=actor,
        api_key=api_key,
        verb="survey.created",
        target=survey,
        data={"template": template or "", "version": 1},
    )
    return survey


def _locked(survey: Survey) -> Survey:
    """Lock the survey row so concurrent edits cannot create two drafts or publish twice."""
    return Survey.objects.select_for_update().get(pk=survey.pk)


def _draft_for(
    survey: Survey, actor: User | None, api_key: ApiKey | None
) -> tuple[SurveyVersion, bool]:
    """The draft, creating it from the newest published version; the survey must be locked."""
    draft = survey_draft(survey)
    if draft is not None:
        return draft, False
    latest = survey_latest_version(survey)
    draft = SurveyVersion.objects.create(
        survey=survey, number=latest.number + 1, definition=copy.deepcopy(latest.definition)
    )
    activity_record(
        organization=survey.organization,
        actor=actor,
        api_key=api_key,
        verb="survey.draft_created",
        target=survey,
        data={"version": draft.number, "from_version": latest.number},
    )
    return draft, True


@transaction.atomic
def survey_get_or_create_draft(
    *, survey: Survey, actor: User | None, api_key: ApiKey | None = None
) -> SurveyVersion:
    """The draft to edit: the existing one, or a copy of the published version as the next."""
    locked = _locked(survey)
    draft, _created = _draft_for(locked, actor, api_key)
    return draft


@transaction.atomic
def survey_update_definition(
    *,
    survey: Survey,
    actor: User | None,
    api_key: ApiKey | None = None,
    definition: dict[str, Any] | SurveyDefinition,
) -> SurveyVersion:
    """Validate and store a definition in the draft (published versions are never modified)."""
    if isinstance(definition, SurveyDefinition):
        defn = definition
    else:
        defn = definition_from_data(definition)
    locked = _locked(survey)
    draft, _created = _draft_for(locked, actor, api_key)
    draft.definition = definition_to_data(defn)
    draft.save(update_fields=["definition"])
    activity_record(
        organization=survey.organization,
        actor=actor,
        api_key=api_key,
        verb="survey.definition_updated",
        target=survey,
        data={"version": draft.number},
    )
    return draft


@transaction.atomic
def survey_discard_draft(
    *, survey: Survey, actor: User | None, api_key: ApiKey | None = None
) -> None:
    """Throw away the draft and go back to the published version."""
    locked = _locked(survey)
    draft = survey_draft(locked)
    if draft is None:
        raise ConflictError(_("There is no draft to discard."), code="no-draft")
    if locked.current_version_id is None:
        raise ConflictError(
            _("The survey has never been published, so its only version cannot be discarded."),
            code="never-published",
        )
    number = draft.number
    draft.delete()
    activity_record(
        organization=survey.organization,
        actor=actor,
        api_key=api_key,
        verb="survey.draft_discarded",
        target=survey,
        data={"version": number},
    )


@transaction.atomic
def survey_publish(
    *, survey: Survey, actor: User | None, api_key: ApiKey | None = None
) -> SurveyVersion:
    """Freeze the draft as the version respondents see; every string must be translated."""
    locked = _locked(survey)
    draft = survey_draft(locked)
    if draft is None:
        raise ConflictError(
            _("There is no draft to publish: the newest version is already published."),
            code="no-draft",
        )
    defn = definition_from_data(draft.definition)
    defn.validate_for_publish()
    draft.published_at = timezone.now()
    draft.published_by = actor
    draft.save(update_fields=["published_at", "published_by"])
    locked.current_version = draft
    locked.status = SurveyStatus.ACTIVE
    locked.closed_at = None
    locked.save(update_fields=["current_version", "status", "closed_at", "updated_at"])
    survey.current_version = draft
    survey.status = locked.status
    survey.closed_at = None
    activity_record(
        organization=survey.organization,
        actor=actor,
        api_key=api_key,
        verb="survey.published",
        target=locked,
        data={"version": draft.number},
    )
    events.emit(
        "survey.published",
        survey_id=str(locked.pk),
        organization_id=str(locked.organization_id),
        version=draft.number,
    )
    return draft


def _set_status(
    survey: Survey,
    *,
    expected: str,
    status: str,
    verb: str,
    actor: User | None,
    api_key: ApiKey | None,
    message: str,
) -> Survey:
    locked = _locked(survey)
    if locked.status != expected:
        raise ConflictError(message, field="status", code="wrong-status")
    locked.status = status
    locked.closed_at = timezone.now() if status == SurveyStatus.CLOSED else None
    locked.save(update_fields=["status", "closed_at", "updated_at"])
    survey.status, survey.closed_at = locked.status, locked.closed_at
    activity_record(
        organization=survey.organization, actor=actor, api_key=api_key, verb=verb, target=locked
    )
    return survey


@transaction.atomic
def survey_close(*, survey: Survey, actor: User | None, api_key: ApiKey | None = None) -> Survey:
    """Stop accepting responses; the link shows that the survey is closed."""
    return _set_status(
        survey,
        expected=SurveyStatus.ACTIVE,
        status=SurveyStatus.CLOSED,
        verb="survey.closed",
        actor=actor,
        api_key=api_key,
        message=_("Only an active survey can be closed."),
    )


@transaction.atomic
def survey_reopen(*, survey: Survey, actor: User | None, api_key: ApiKey | None = None) -> Survey:
    """Accept responses again on a closed survey."""
    return _set_status(
        survey,
        expected=SurveyStatus.CLOSED,
        status=SurveyStatus.ACTIVE,
        verb="survey.reopened",
        actor=actor,
        api_key=api_key,
        message=_("Only a closed survey can be reopened."),
    )


@transaction.atomic
def survey_update_settings(
    *,
    survey: Survey,
    actor: User | None,
    api_key: ApiKey | None = None,
    name: str | None = None,
    single_response_per_browser: bool | None = None,
    response_limit: int | None = None,
) -> Survey:
    """Rename or change link settings; None leaves a field as is, a limit of 0 removes it."""
    changes: dict[str, Any] = {}
    if name is not None:
        changes["name"] = _clean_name(name)
    if single_response_per_browser is not None:
        changes["single_response_per_browser"] = bool(single_response_per_browser)
    if response_limit is not None:
        if response_limit < 0:
            raise SurveyInputError(
                _("The response limit cannot be negative."),
                field="response_limit",
                code="validation",
            )
        changes["response_limit"] = response_limit or None
    changed = {k: v for k, v in changes.items() if getattr(survey, k) != v}
    if not changed:
        return survey
    for field, value in changed.items():
        setattr(survey, field, value)
    survey.save(update_fields=[*changed, "updated_at"])
    activity_record(
        organization=survey.organization,
        actor=actor,
        api_key=api_key,
        verb="survey.settings_updated",
        target=survey,
        data=changed,
    )
    return survey


# ---------------------------------------------------------------- import and export


def _parse(text: str, fmt: Format) -> Any:
    """JSON or YAML text as data; syntax errors name the line."""
    if len(text) > MAX_DEFINITION_CHARS:
        raise DefinitionError([{"path": "", "message": _("the document is too large")}])
    if fmt == "json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise DefinitionError(
                [{"path": "", "message": error.msg, "line": error.lineno, "column": error.colno}]
            ) from None
    if fmt == "yaml":
        try:
            return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            problem = getattr(error, "problem", None) or str(error)
            raise DefinitionError(
                [
                    {
                        "path": "",
                        "message": str(problem),
                        "line": mark.line + 1 if mark is not None else None,
                        "column": mark.column + 1 if mark is not None else None,
                    }
                ]
            ) from None
    raise SurveyInputError(
        _("Unknown format '%(fmt)s'; use json or yaml.") % {"fmt": fmt},
        field="format",
        code="validation",
    )


def _envelope_error(path: str, message: str, text: str) -> DefinitionError:
    line = _line_for(_split_path(path), _line_map(text))
    return DefinitionError([{"path": path, "message": message, "line": line}])


def parse_document(text: str, fmt: Format) -> tuple[SurveyDefinition, dict[str, Any]]:
    """A survey document (an export envelope or a bare definition) as (definition, metadata).

    Metadata holds `name` and `kind` when the document carries them. Errors name the path in
    the document and its line."""
    data = _parse(text, fmt)
    if not isinstance(data, dict) or ENVELOPE_KEY not in data:
        return definition_from_data(data, source=text), {}
    if data[ENVELOPE_KEY] != ENVELOPE_VERSION:
        raise _envelope_error(
            ENVELOPE_KEY,
            _("unknown document version %(v)r (this closeloop reads %(ours)d)")
            % {"v": data[ENVELOPE_KEY], "ours": ENVELOPE_VERSION},
            text,
        )
    unknown = sorted(set(data) - {ENVELOPE_KEY, "name", "kind", "definition"})
    if unknown:
        raise _envelope_error(unknown[0], _("unknown field"), text)
    meta: dict[str, Any] = {}
    for key in ("name", "kind"):
        if key in data:
            if not isinstance(data[key], str):
                raise _envelope_error(key, _("must be text"), text)
            meta[key] = data[key]
    if "kind" in meta and meta["kind"] not in SurveyKind.values:
        raise _envelope_error(
            "kind", _("must be one of: %(kinds)s") % {"kinds": ", ".join(SurveyKind.values)}, text
        )
    if "definition" not in data:
        raise _envelope_error("definition", _("Field required"), text)
    try:
        defn = definition_from_data(data["definition"])
    except DefinitionError as error:
        lines = _line_map(text)
        items = []
        for item in error.errors:
            path = f"definition.{item['path']}" if item.get("path") else "definition"
            items.append({**item, "path": path, "line": _line_for(_split_path(path), lines)})
        raise DefinitionError(items) from None
    return defn, meta


@transaction.atomic
def survey_import(
    *,
    organization: Organization,
    actor: User | None,
    api_key: ApiKey | None = None,
    text: str,
    fmt: Format,
    name: str | None = None,
    survey: Survey | None = None,
) -> Survey:
    """Create a survey from a JSON or YAML document, or put it in a new draft of `survey`."""
    defn, meta = parse_document(text, fmt)
    if survey is not None:
        if survey.organization_id != organization.pk:
            raise NotFoundError(_("Not found."))
        survey_update_definition(survey=survey, actor=actor, api_key=api_key, definition=defn)
        if name:
            survey_update_settings(survey=survey, actor=actor, api_key=api_key, name=name)
        activity_record(
            organization=organization,
            actor=actor,
            api_key=api_key,
            verb="survey.imported",
            target=survey,
            data={"format": fmt},
        )
        return survey
    title = defn.localize(defn.title)
    chosen = name or meta.get("name") or title or _("Imported survey")
    survey = survey_create(
        organization=organization,
        actor=actor,
        api_key=api_key,
        name=chosen[:NAME_MAX],
        definition=definition_to_data(defn),
        kind=meta.get("kind"),
    )
    activity_record(
        organization=organization,
        actor=actor,
        api_key=api_key,
        verb="survey.imported",
        target=survey,
        data={"format": fmt},
    )
    return survey


def survey_export(*, survey: Survey, fmt: Format, version: int | None = None) -> str:
    """The survey as a JSON or YAML document (name, kind, definition) that import reads back.

    Without `version`, the newest version (the draft, if there is one)."""
    if fmt not in FORMATS:
        raise SurveyInputError(
            _("Unknown format '%(fmt)s'; use json or yaml.") % {"fmt": fmt},
            field="format",
            code="validation",
        )
    if version is None:
        chosen = survey_latest_version(survey)
    else:
        found = survey_version(survey=survey, number=version)
        if found is None:
            raise NotFoundError(
                _("The survey has no version %(n)d.") % {"n": version}, field="version"
            )
        chosen = found
    document = {
        ENVELOPE_KEY: ENVELOPE_VERSION,
        "name": survey.name,
        "kind": survey.kind,
        "definition": definition_to_data(definition_from_data(chosen.definition)),
    }
    if fmt == "json":
        return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    return yaml.dump(
        document,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )
