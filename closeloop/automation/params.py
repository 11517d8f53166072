"""Typed parameters shared by conditions and actions: one description drives the rule builder's
inputs, the API's validation and the messages naming the field at fault."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from closeloop.core.errors import DomainError
from closeloop.lib.http import OutboundRefused, check_url

if TYPE_CHECKING:
    from closeloop.accounts.models import Organization

# Kinds whose value is a list.
LIST_KINDS = frozenset(
    {"choices", "words", "emails", "teams", "surveys", "touchpoints", "languages", "channels"}
)
# Kinds whose values are ids of the organization's objects, checked on save.
REFERENCE_KINDS = {
    "team": "team",
    "teams": "team",
    "segment": "segment",
    "surveys": "survey",
    "touchpoints": "touchpoint",
}
SECRET_KINDS = frozenset({"secret_url", "secret"})
MAX_TEXT = 5000


@dataclass(frozen=True)
class Param:
    """One input of a condition or an action."""

    name: str
    label: str | Promise
    kind: str  # choice, choices, int, text, textarea, words, emails, url, secret_url, secret,
    # question, attribute, team, teams, segment, surveys, touchpoints, languages, channels,
    # localized (a {language: text} dict), bool
    required: bool = False
    choices: Callable[[], list[tuple[str, str]]] | None = None
    default: Any = None
    help: str | Promise = ""
    # For kind "question": which question types to offer (empty: every answerable type).
    question_types: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_list(self) -> bool:
        return self.kind in LIST_KINDS


def _split_words(raw: Any) -> list[str]:
    if isinstance(raw, list):
        items = [str(v) for v in raw]
    else:
        items = str(raw or "").replace("\n", ",").split(",")
    return [w.strip() for w in items if w.strip()]


def _as_list(raw: Any) -> list[str]:
    if raw is None or raw == "":
        return []
    if isinstance(raw, list | tuple):
        return [str(v).strip() for v in raw if str(v).strip()]
    return [str(raw).strip()]


def _error(where: str, message: str) -> DomainError:
    return DomainError(message, field=where, code="invalid")


def clean_value(param: Param, raw: Any, *, where: str) -> Any:
    """The value of one parameter in its stored form, or DomainError naming `where`."""
    kind = param.kind
    empty = raw is None or raw == "" or raw == [] or raw == {}
    if empty:
        if param.required:
            raise _error(where, _("%(label)s is required.") % {"label": param.label})
        if param.default is not None:
            return param.default
        return (
            []
            if param.is_list
            else ({} if kind == "localized" else ("" if kind != "int" else None))
        )
    if kind == "int":
        if isinstance(raw, bool):
            raise _error(where, _("%(label)s must be a whole number.") % {"label": param.label})
        try:
            number = int(str(raw).strip())
        except ValueError:
            raise _error(
                where, _("%(label)s must be a whole number.") % {"label": param.label}
            ) from None
        if param.minimum is not None and number < param.minimum:
            raise _error(
                where,
                _("%(label)s must be at least %(n)s.") % {"label": param.label, "n": param.minimum},
            )
        if param.maximum is not None and number > param.maximum:
            raise _error(
                where,
                _("%(label)s must be at most %(n)s.") % {"label": param.label, "n": param.maximum},
            )
        return number
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        return str(raw).strip().lower() in ("1", "true", "on", "yes")
    if kind == "choice":
        value = str(raw).strip()
        allowed = {k for k, _label in (param.choices() if param.choices else [])}
        if allowed and value not in allowed:
            raise _error(
                where,
                _("%(label)s must be one of: %(values)s.")
                % {"label": param.label, "values": ", ".join(sorted(allowed))},
            )
        return value
    if kind in ("choices", "channels", "languages"):
        values = _as_list(raw)
        allowed = {k for k, _label in (param.choices() if param.choices else [])}
        bad = [v for v in values if allowed and v not in allowed]
        if bad:
            raise _error(
                where,
                _("%(label)s: unknown value %(value)s.") % {"label": param.label, "value": bad[0]},
            )
        if param.required and not values:
            raise _error(where, _("%(label)s is required.") % {"label": param.label})
        return values
    if kind == "words":
        values = [w[:200] for w in _split_words(raw)][:100]
        if param.required and not values:
            raise _error(where, _("%(label)s is required.") % {"label": param.label})
        return values
    if kind == "emails":
        values = [e.lower() for e in _split_words(raw)][:50]
        for email in values:
            try:
                validate_email(email)
            except ValidationError:
                raise _error(
                    where, _("%(email)s is not an email address.") % {"email": email}
                ) from None
        return values
    if kind in ("url", "secret_url"):
        value = str(raw).strip()
        try:
            URLValidator(schemes=["http", "https"])(value)
        except ValidationError:
            raise _error(
                where, _("%(label)s must be an http(s) URL.") % {"label": param.label}
            ) from None
        # The outbound client's own guard (private and loopback addresses, unless the
        # operator allows them), so a URL that could never be called is refused on save.
        try:
            check_url(value)
        except OutboundRefused as exc:
            raise _error(
                where,
                _("%(label)s cannot be called: %(reason)s.")
                % {"label": param.label, "reason": exc},
            ) from None
        return value[:1000]
    if kind in ("team", "segment"):
        try:
            return str(uuid.UUID(str(raw).strip()))
        except ValueError:
            raise _error(where, _("%(label)s is not known.") % {"label": param.label}) from None
    if kind in ("teams", "surveys", "touchpoints"):
        values = _as_list(raw)
        try:
            return [str(uuid.UUID(v)) for v in values]
        except ValueError:
            raise _error(where, _("%(label)s is not known.") % {"label": param.label}) from None
    if kind == "localized":
        if not isinstance(raw, Mapping):
            raise _error(
                where, _("%(label)s must map languages to texts.") % {"label": param.label}
            )
        texts = {str(k)[:10]: str(v)[:MAX_TEXT] for k, v in raw.items() if str(v).strip()}
        if param.required and not texts:
            raise _error(where, _("%(label)s is required.") % {"label": param.label})
        return texts
    # text, textarea, question, attribute, secret
    value = str(raw).strip()
    return value[: (MAX_TEXT if kind == "textarea" else 500)]


def clean_params(
    params: tuple[Param, ...], raw: Mapping[str, Any], *, where: str
) -> dict[str, Any]:
    """Every parameter cleaned; unknown names are refused so a typo is not silently ignored."""
    known = {p.name for p in params}
    for name in raw:
        if name not in known and name != "type":
            raise _error(f"{where}.{name}", _("Unknown setting %(name)s.") % {"name": name})
    return {p.name: clean_value(p, raw.get(p.name), where=f"{where}.{p.name}") for p in params}


def check_references(organization: Organization, items: list[tuple[Param, Any, str]]) -> None:
    """Refuse ids that are not the organization's own (one query per kind)."""
    from closeloop.accounts.models import Team
    from closeloop.contacts.models import Segment
    from closeloop.surveys.models import Survey

    wanted: dict[str, list[tuple[str, str, Param]]] = {}
    for param, value, where in items:
        if param.extra.get("references") == "theme" and value:
            # Theme keys or names (words), checked against the organization's themes.
            from closeloop.text.automation_conditions import unknown_themes

            unknown = unknown_themes(organization, value)
            if unknown:
                raise _error(where, _("No theme is called “%(name)s”.") % {"name": unknown[0]})
            continue
        model = REFERENCE_KINDS.get(param.kind)
        if model is None or not value:
            continue
        for v in value if isinstance(value, list) else [value]:
            wanted.setdefault(model, []).append((str(v), where, param))
    for model_name, refs in wanted.items():
        if model_name == "team":
            qs: Any = Team.objects.filter(organization=organization)
        elif model_name == "segment":
            qs = Segment.objects.filter(organization=organization)
        elif model_name == "survey":
            qs = Survey.objects.filter(organization=organization)
        else:
            from closeloop.distribution.models import Touchpoint

            qs = Touchpoint.objects.filter(organization=organization)
        found = {
            str(pk) for pk in qs.filter(pk__in=[r[0] for r in refs]).values_list("pk", flat=True)
        }
        for value, where, param in refs:
            if value not in found:
                raise _error(where, _("%(label)s is not known.") % {"label": param.label})


def mask_secret(value: str) -> str:
    """A secret shown after saving: enough to recognise it, never enough to use it."""
    if not value:
        return ""
    if "://" in value:
        scheme, rest = value.split("://", 1)
        host = rest.split("/", 1)[0]
        return f"{scheme}://{host}/…{value[-4:]}"
    return f"…{value[-4:]}" if len(value) > 8 else "…"
