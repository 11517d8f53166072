"""Ready-made survey templates (YAML files beside this module), each in English, Korean and Thai."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal

import yaml
from django.utils.translation import gettext as _

from closeloop.core.errors import NotFoundError
from closeloop.surveys.schema import DefinitionError, SurveyDefinition
from closeloop.surveys.serialization import _Loader, definition_from_data

TEMPLATE_IDS = (
    "nps",
    "csat_support",
    "ces",
    "product_ease",
    "churn_reasons",
    "onboarding",
    "website_feedback",
    "enps_pulse",
    "review_360",
)


@dataclass(frozen=True)
class TemplateInfo:
    """What a template is for, shown when choosing one."""

    id: str
    kind: Literal["customer", "employee"]
    name: dict[str, str]
    description: dict[str, str]
    languages: tuple[str, ...]

    def localized_name(self, language: str) -> str:
        return self.name.get(language) or self.name["en"]

    def localized_description(self, language: str) -> str:
        return self.description.get(language) or self.description["en"]


@functools.cache
def _load(template_id: str) -> tuple[TemplateInfo, SurveyDefinition]:
    source = resources.files(__package__).joinpath(f"{template_id}.yaml").read_text("utf-8")
    raw: dict[str, Any] = yaml.load(source, Loader=_Loader)  # noqa: S506 - a SafeLoader
    info = TemplateInfo(
        id=raw["id"],
        kind=raw["kind"],
        name=dict(raw["name"]),
        description=dict(raw["description"]),
        languages=tuple(raw["definition"]["languages"]),
    )
    try:
        definition = definition_from_data(raw["definition"])
    except DefinitionError as error:
        raise DefinitionError(
            [{**item, "path": f"{template_id}: {item['path']}"} for item in error.errors]
        ) from None
    return info, definition


def list_templates(kind: str | None = None) -> list[TemplateInfo]:
    """Every template (optionally only 'customer' or 'employee' ones), in library order."""
    infos = [_load(template_id)[0] for template_id in TEMPLATE_IDS]
    return [info for info in infos if kind is None or info.kind == kind]


def get_template_info(template_id: str) -> TemplateInfo:
    """The description of one template."""
    if template_id not in TEMPLATE_IDS:
        raise NotFoundError(_("There is no survey template '%(id)s'.") % {"id": template_id})
    return _load(template_id)[0]


def get_template(template_id: str, language: str | None = None) -> SurveyDefinition:
    """A fresh copy of a template's definition; with `language`, only that language's text."""
    get_template_info(template_id)
    definition = _load(template_id)[1].model_copy(deep=True)
    if language is not None:
        return definition.for_language(language)
    return definition
