"""The rule builder's form: rows of typed inputs from the conditions' and actions' parameters,
and the rule read back from a POST (or an htmx GET, for the preview)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.http import QueryDict
from django.utils.translation import gettext as _

from closeloop.automation.actions import ACTIONS
from closeloop.automation.choices import TRIGGERS, MatchMode, trigger_choices
from closeloop.automation.conditions import CONDITIONS, enabled_conditions
from closeloop.automation.params import SECRET_KINDS, Param, mask_secret

if TYPE_CHECKING:
    from closeloop.accounts.models import Organization

MAX_ROWS = 40
# Kinds shown as a <select multiple>.
MULTI_KINDS = frozenset({"choices", "channels", "languages", "teams", "surveys", "touchpoints"})


@dataclass
class Options:
    """The organization's objects the builder offers, loaded once per page."""

    questions: list[tuple[str, str, str]] = field(default_factory=list)  # key, label, type
    attributes: list[tuple[str, str]] = field(default_factory=list)
    teams: list[tuple[str, str]] = field(default_factory=list)
    segments: list[tuple[str, str]] = field(default_factory=list)
    surveys: list[tuple[str, str]] = field(default_factory=list)
    touchpoints: list[tuple[str, str]] = field(default_factory=list)
    languages: list[tuple[str, str]] = field(default_factory=list)


def builder_options(organization: Organization) -> Options:
    """Questions, attributes, teams, segments, surveys, touchpoints and languages of the org."""
    from closeloop.accounts.models import Team
    from closeloop.contacts.models import AttributeDefinition, Segment
    from closeloop.distribution.models import Touchpoint
    from closeloop.surveys.models import Survey
    from closeloop.surveys.schema import SurveyDefinition

    options = Options()
    languages = {code: str(label) for code, label in settings.LANGUAGES}
    seen: set[str] = set()
    surveys = list(
        Survey.objects.filter(organization=organization)
        .select_related("current_version")
        .order_by("-created_at")[:50]
    )
    for survey in surveys:
        options.surveys.append((str(survey.pk), survey.name))
        version = survey.current_version
        if version is None:
            continue
        try:
            definition = SurveyDefinition.model_validate(version.definition)
        except ValueError:
            continue
        for language in definition.languages:
            languages.setdefault(language, language)
        for _page, question in definition.iter_questions():
            if question.type == "statement" or question.key in seen:
                continue
            seen.add(question.key)
            title = definition.localize(question.title)[:60]
            options.questions.append(
                (question.key, f"{question.key} · {title} ({survey.name})", question.type)
            )
    options.surveys.sort(key=lambda s: s[1].casefold())
    options.attributes = [
        (d.key, d.label)
        for d in AttributeDefinition.objects.filter(organization=organization).order_by("key")
    ]
    options.teams = [
        (str(t.pk), t.name) for t in Team.objects.filter(organization=organization).order_by("name")
    ]
    options.segments = [
        (str(s.pk), s.name)
        for s in Segment.objects.filter(organization=organization).order_by("name")
    ]
    options.touchpoints = [
        (str(t.pk), t.name)
        for t in Touchpoint.objects.filter(organization=organization).order_by("position", "name")
    ]
    options.languages = sorted(languages.items())
    return options


def _param_options(param: Param, options: Options) -> list[tuple[str, str]] | None:
    kind = param.kind
    if kind == "question":
        types = set(param.question_types)
        return [(k, label) for k, label, t in options.questions if not types or t in types]
    if kind == "attribute":
        return options.attributes
    if kind in ("team", "teams"):
        return options.teams
    if kind == "segment":
        return options.segments
    if kind == "surveys":
        return options.surveys
    if kind == "touchpoints":
        return options.touchpoints
    if kind == "languages":
        return options.languages
    if param.choices is not None:
        return param.choices()
    return None


def _display(param: Param, value: Any) -> Any:
    if value is None:
        return ""
    if param.kind in SECRET_KINDS:
        return mask_secret(str(value))
    if param.kind in ("words", "emails") and isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return value


def widget(param: Param, prefix: str, value: Any, options: Options) -> dict[str, Any]:
    """What the template needs to draw one input."""
    name = f"{prefix}-{param.name}"
    choices = _param_options(param, options)
    multiple = param.kind in MULTI_KINDS
    selected = {str(v) for v in value} if isinstance(value, list) else {str(value)}
    out: dict[str, Any] = {
        "name": name,
        "id": f"id_{name}",
        "label": param.label,
        "kind": param.kind,
        "help": param.help,
        "required": param.required,
        "multiple": multiple,
        "value": _display(param, value if value not in (None, "") else param.default),
    }
    if choices is not None:
        out["options"] = [(k, label, k in selected) for k, label in choices]
        if not multiple and value not in (None, "") and str(value) not in {k for k, _l in choices}:
            out["options"].append((str(value), str(value), True))  # keep what was saved
    if param.kind == "localized":
        texts = value if isinstance(value, dict) else {}
        out["languages"] = [
            {"code": code, "label": label, "name": f"{name}-{code}", "value": texts.get(code, "")}
            for code, label in settings.LANGUAGES
        ]
    return out


def condition_row(
    n: int, condition: dict[str, Any], options: Options, subject: str | None
) -> dict[str, Any]:
    kind = CONDITIONS.get(str(condition.get("type") or ""))
    prefix = f"c-{n}"
    return {
        "n": n,
        "prefix": prefix,
        "type": kind.name if kind else "",
        "types": [(c.name, str(c.label)) for c in enabled_conditions(subject)],
        "widgets": [widget(p, prefix, condition.get(p.name), options) for p in kind.params]
        if kind
        else [],
    }


def action_row(
    n: int, action: dict[str, Any], options: Options, subject: str | None
) -> dict[str, Any]:
    kind = ACTIONS.get(str(action.get("type") or ""))
    prefix = f"a-{n}"
    params = action.get("params") or {}
    return {
        "n": n,
        "prefix": prefix,
        "order": n + 1,
        "type": kind.name if kind else "",
        "types": [
            (a.name, str(a.label))
            for a in ACTIONS.values()
            if a.enabled and (subject is None or subject in a.subjects)
        ],
        "widgets": [widget(p, prefix, params.get(p.name), options) for p in kind.params]
        if kind
        else [],
    }


def _read(param: Param, data: QueryDict, prefix: str) -> Any:
    name = f"{prefix}-{param.name}"
    if param.kind == "localized":
        return {
            code: data.get(f"{name}-{code}", "")
            for code, _label in settings.LANGUAGES
            if data.get(f"{name}-{code}", "").strip()
        }
    if param.kind in MULTI_KINDS:
        return [v for v in data.getlist(name) if v]
    if param.kind == "bool":
        return name in data
    return data.get(name, "")


def _indexes(data: QueryDict, letter: str) -> list[int]:
    found = []
    for key in data:
        parts = key.split("-")
        if len(parts) == 3 and parts[0] == letter and parts[2] == "type" and parts[1].isdigit():
            found.append(int(parts[1]))
    return sorted(n for n in found if n < MAX_ROWS)


def conditions_from_form(data: QueryDict) -> dict[str, Any]:
    """The conditions as typed (rows without a type are skipped)."""
    rules: list[dict[str, Any]] = []
    for n in _indexes(data, "c"):
        kind = CONDITIONS.get(data.get(f"c-{n}-type", ""))
        if kind is None or f"c-{n}-remove" in data:
            continue
        item: dict[str, Any] = {"type": kind.name}
        for p in kind.params:
            item[p.name] = _read(p, data, f"c-{n}")
        rules.append(item)
    match = data.get("match") or MatchMode.ALL
    return {"match": match, "rules": rules}


def actions_from_form(data: QueryDict) -> list[dict[str, Any]]:
    """The actions as typed, in the order given (removed and untyped rows skipped)."""
    rows: list[tuple[float, int, dict[str, Any]]] = []
    for n in _indexes(data, "a"):
        kind = ACTIONS.get(data.get(f"a-{n}-type", ""))
        if kind is None or f"a-{n}-remove" in data:
            continue
        try:
            order = float(data.get(f"a-{n}-order") or n + 1)
        except ValueError:
            order = n + 1
        params = {p.name: _read(p, data, f"a-{n}") for p in kind.params}
        rows.append((order, n, {"type": kind.name, "params": params}))
    rows.sort(key=lambda r: (r[0], r[1]))
    return [r[2] for r in rows]


def rule_from_form(data: QueryDict) -> dict[str, Any]:
    """Every field of the builder."""
    trigger = data.get("trigger") or "response.completed"
    return {
        "name": data.get("name", ""),
        "description": data.get("description", ""),
        "trigger": trigger,
        "is_active": "is_active" in data,
        "stop_processing": "stop_processing" in data,
        "conditions": conditions_from_form(data),
        "actions": actions_from_form(data),
    }


def builder_context(
    organization: Organization, values: dict[str, Any], options: Options | None = None
) -> dict[str, Any]:
    """Rows for every condition and action of `values`, plus one blank row of each."""
    options = options or builder_options(organization)
    trigger = values.get("trigger") or "response.completed"
    subject = TRIGGERS[trigger].subject.value if trigger in TRIGGERS else None
    conditions = list((values.get("conditions") or {}).get("rules") or [])
    actions = list(values.get("actions") or [])
    condition_rows = [condition_row(n, c, options, subject) for n, c in enumerate(conditions)]
    condition_rows.append(condition_row(len(conditions), {}, options, subject))
    action_rows = [action_row(n, a, options, subject) for n, a in enumerate(actions)]
    action_rows.append(action_row(len(actions), {}, options, subject))
    return {
        "values": values,
        "match": (values.get("conditions") or {}).get("match") or MatchMode.ALL,
        "matches": MatchMode.choices,
        "triggers": trigger_choices(),
        "condition_rows": condition_rows,
        "action_rows": action_rows,
        "options": options,
        "subject": subject,
        "preview_supported": subject == "response",
        "help_placeholders": _(
            "Placeholders: {{nps}}, {{csat}}, {{score}}, {{first_comment}}, {{contact.name}}, "
            "{{survey.name}}, {{touchpoint}}, {{response.url}}, {{case.url}}, {{answer.<key>}}."
        ),
    }
