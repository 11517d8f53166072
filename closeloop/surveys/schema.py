"""Survey definitions: a versioned, validated document (pages, questions, logic, endings, texts)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from django.utils.translation import gettext as _
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from closeloop.core.errors import DomainError

SCHEMA_VERSION = 1
RTL_LANGUAGES = frozenset({"ar", "he", "fa", "ur"})
OTHER_KEY = "other"
ENDING_PREFIX = "ending:"

KEY_PATTERN = r"^[a-z][a-z0-9_]{0,49}$"
LANGUAGE_PATTERN = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"
FIELD_PATTERN = r"^(answer|hidden|contact)\.[A-Za-z_][A-Za-z0-9_]{0,49}$"
COLOR_PATTERN = r"^#[0-9A-Fa-f]{6}$"
HTTP_URL_PATTERN = r"^https?://[^\s<>\"']+$"
# A button may point at a URL carried in a hidden field (for example a review link).
BUTTON_URL_PATTERN = r"^(https?://[^\s<>\"']+|\{\{\s*hidden\.[A-Za-z_][A-Za-z0-9_]*\s*\}\})$"

Key = Annotated[str, StringConstraints(pattern=KEY_PATTERN)]
LanguageCode = Annotated[str, StringConstraints(pattern=LANGUAGE_PATTERN)]
Text = Annotated[str, StringConstraints(max_length=5000)]
LocalizedText = Annotated[dict[LanguageCode, Text], Field(min_length=1)]
HttpUrl = Annotated[str, StringConstraints(pattern=HTTP_URL_PATTERN, max_length=2000)]
Color = Annotated[str, StringConstraints(pattern=COLOR_PATTERN)]

# Field names that hold a LocalizedText anywhere in a definition (used to walk every string).
LOCALIZED_FIELDS = frozenset(
    {
        "title",
        "description",
        "help",
        "message",
        "label",
        "text",
        "low_label",
        "high_label",
        "placeholder",
        "other_label",
        "name",
    }
)

Operator = Literal[
    "eq",
    "ne",
    "lt",
    "lte",
    "gt",
    "gte",
    "in",
    "not_in",
    "contains",
    "answered",
    "not_answered",
    "nps_category",
]
Scalar = str | int | float | bool
ConditionValue = Scalar | list[str | int | float]


def is_rtl(language: str) -> bool:
    """Whether a language is written right to left (ar, he, fa, ur and their variants)."""
    return language.split("-")[0].lower() in RTL_LANGUAGES


class DefinitionError(DomainError):
    """A survey definition that cannot be accepted; `errors` lists {path, message, line}."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        self.errors = errors
        lines = []
        for item in errors:
            where = item.get("path") or ""
            if item.get("line"):
                where = f"{where} (line {item['line']})" if where else f"line {item['line']}"
            lines.append(f"{where}: {item['message']}" if where else str(item["message"]))
        super().__init__("; ".join(lines), field=errors[0].get("path") if errors else None)


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid", strict=True, validate_by_name=True, validate_by_alias=True
    )


# ---------------------------------------------------------------- conditions


class LeafCondition(_Model):
    """One test on an earlier answer, a hidden field or a contact attribute."""

    field: Annotated[str, StringConstraints(pattern=FIELD_PATTERN)]
    op: Operator
    value: ConditionValue | None = None

    @model_validator(mode="after")
    def _check_value_shape(self) -> LeafCondition:
        if self.op in ("answered", "not_answered"):
            if self.value is not None:
                raise ValueError(_("'%(op)s' takes no value") % {"op": self.op})
        elif self.op in ("in", "not_in"):
            if not isinstance(self.value, list) or not self.value:
                raise ValueError(_("'%(op)s' needs a non-empty list of values") % {"op": self.op})
        elif self.op == "nps_category":
            if self.value not in ("promoter", "passive", "detractor"):
                raise ValueError(_("'nps_category' takes promoter, passive or detractor"))
        elif self.value is None or isinstance(self.value, list):
            raise ValueError(_("'%(op)s' needs a single value") % {"op": self.op})
        return self

    @property
    def namespace(self) -> str:
        return self.field.split(".", 1)[0]

    @property
    def ref(self) -> str:
        return self.field.split(".", 1)[1]


class AllCondition(_Model):
    """True when every inner condition holds."""

    all: list[Condition] = Field(min_length=1)


class AnyCondition(_Model):
    """True when at least one inner condition holds."""

    any: list[Condition] = Field(min_length=1)


class NotCondition(_Model):
    """True when the inner condition does not hold."""

    not_: Condition = Field(alias="not")


def _condition_tag(value: Any) -> str:
    if isinstance(value, dict):
        for tag in ("all", "any", "not"):
            if tag in value:
                return tag
        return "leaf"
    if isinstance(value, AllCondition):
        return "all"
    if isinstance(value, AnyCondition):
        return "any"
    if isinstance(value, NotCondition):
        return "not"
    return "leaf"


Condition = Annotated[
    Annotated[AllCondition, Tag("all")]
    | Annotated[AnyCondition, Tag("any")]
    | Annotated[NotCondition, Tag("not")]
    | Annotated[LeafCondition, Tag("leaf")],
    Discriminator(_condition_tag),
]


def iter_leaves(condition: Condition) -> Iterator[LeafCondition]:
    """Every leaf test inside a condition."""
    if isinstance(condition, AllCondition):
        for inner in condition.all:
            yield from iter_leaves(inner)
    elif isinstance(condition, AnyCondition):
        for inner in condition.any:
            yield from iter_leaves(inner)
    elif isinstance(condition, NotCondition):
        yield from iter_leaves(condition.not_)
    else:
        yield condition


# ---------------------------------------------------------------- questions


class Choice(_Model):
    """One answer option of a choice, matrix or ranking question."""

    key: Key
    label: LocalizedText


def _unique_keys(items: list[Choice], what: str) -> list[Choice]:
    seen: set[str] = set()
    for item in items:
        if item.key in seen:
            raise ValueError(
                _("%(what)s key '%(key)s' is used twice") % {"what": what, "key": item.key}
            )
        seen.add(item.key)
    return items


class QuestionBase(_Model):
    """Fields every question has."""

    key: Key
    type: str
    title: LocalizedText
    help: LocalizedText | None = None
    required: bool = False
    show_if: Condition | None = None


class _ScaleLabels(_Model):
    low_label: LocalizedText | None = None
    high_label: LocalizedText | None = None


class NpsQuestion(_ScaleLabels, QuestionBase):
    """Net Promoter Score: 0-10 likelihood to recommend."""

    type: Literal["nps"]


class CsatQuestion(_ScaleLabels, QuestionBase):
    """Customer satisfaction on a 3, 4, 5, 7 or 10 point scale."""

    type: Literal["csat"]
    points: Literal[3, 4, 5, 7, 10] = 5
    style: Literal["numbers", "faces", "stars"] = "faces"


class CesQuestion(_ScaleLabels, QuestionBase):
    """Customer effort: 1-7 agreement that something was easy."""

    type: Literal["ces"]


class RatingQuestion(_ScaleLabels, QuestionBase):
    """A 3-10 point rating shown as stars or numbers."""

    type: Literal["rating"]
    points: Annotated[int, Field(ge=3, le=10)] = 5
    style: Literal["stars", "numbers"] = "stars"


class _ChoiceFields(_Model):
    choices: list[Choice] = Field(min_length=1, max_length=200)
    shuffle: bool = False
    allow_other: bool = False
    other_label: LocalizedText | None = None

    @field_validator("choices")
    @classmethod
    def _unique_choices(cls, value: list[Choice]) -> list[Choice]:
        return _unique_keys(value, "choice")

    @model_validator(mode="after")
    def _other_reserved(self) -> _ChoiceFields:
        if self.allow_other and any(c.key == OTHER_KEY for c in self.choices):
            raise ValueError(
                _("the choice key '%(key)s' is reserved when allow_other is on")
                % {"key": OTHER_KEY}
            )
        return self


class SingleChoiceQuestion(_ChoiceFields, QuestionBase):
    """Pick one option (radio buttons)."""

    type: Literal["single_choice"]


class DropdownQuestion(_ChoiceFields, QuestionBase):
    """Pick one option from a drop-down list."""

    type: Literal["dropdown"]
    placeholder: LocalizedText | None = None


class MultipleChoiceQuestion(_ChoiceFields, QuestionBase):
    """Pick several options, optionally with an 'other' text and min/max counts."""

    type: Literal["multiple_choice"]
    min_selected: Annotated[int, Field(ge=0)] | None = None
    max_selected: Annotated[int, Field(ge=1)] | None = None

    @model_validator(mode="after")
    def _check_counts(self) -> MultipleChoiceQuestion:
        options = len(self.choices) + (1 if self.allow_other else 0)
        low, high = self.min_selected, self.max_selected
        if low is not None and low > options:
            raise ValueError(_("min_selected is larger than the number of choices"))
        if high is not None and high > options:
            raise ValueError(_("max_selected is larger than the number of choices"))
        if low is not None and high is not None and low > high:
            raise ValueError(_("min_selected is larger than max_selected"))
        return self


SHORT_TEXT_MAX = 500
LONG_TEXT_MAX = 5000


class ShortTextQuestion(QuestionBase):
    """One line of free text (up to 500 characters)."""

    type: Literal["short_text"]
    max_length: Annotated[int, Field(ge=1, le=SHORT_TEXT_MAX)] = SHORT_TEXT_MAX
    placeholder: LocalizedText | None = None


class LongTextQuestion(QuestionBase):
    """Several lines of free text (up to 5000 characters)."""

    type: Literal["long_text"]
    max_length: Annotated[int, Field(ge=1, le=LONG_TEXT_MAX)] = LONG_TEXT_MAX
    placeholder: LocalizedText | None = None


NUMBER_LIMIT = 10**12


class NumberQuestion(QuestionBase):
    """A number, optionally whole, between optional bounds."""

    type: Literal["number"]
    min: Annotated[float, Field(ge=-NUMBER_LIMIT, le=NUMBER_LIMIT)] | None = None
    max: Annotated[float, Field(ge=-NUMBER_LIMIT, le=NUMBER_LIMIT)] | None = None
    integer_only: bool = False
    placeholder: LocalizedText | None = None

    @model_validator(mode="after")
    def _check_bounds(self) -> NumberQuestion:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(_("min is larger than max"))
        return self


class EmailQuestion(QuestionBase):
    """An email address."""

    type: Literal["email"]
    placeholder: LocalizedText | None = None


IsoDate = Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}$")]


class DateQuestion(QuestionBase):
    """A calendar date (YYYY-MM-DD), optionally between bounds."""

    type: Literal["date"]
    min_date: IsoDate | None = None
    max_date: IsoDate | None = None

    @model_validator(mode="after")
    def _check_bounds(self) -> DateQuestion:
        import datetime

        for name in ("min_date", "max_date"):
            value = getattr(self, name)
            if value is not None:
                try:
                    datetime.date.fromisoformat(value)
                except ValueError:
                    raise ValueError(_("%(name)s is not a valid date") % {"name": name}) from None
        if self.min_date and self.max_date and self.min_date > self.max_date:
            raise ValueError(_("min_date is after max_date"))
        return self


class MatrixQuestion(QuestionBase):
    """Several statements (rows) rated on one shared scale (columns), such as a Likert grid."""

    type: Literal["matrix"]
    rows: list[Choice] = Field(min_length=1, max_length=50)
    columns: list[Choice] = Field(min_length=2, max_length=11)
    shuffle: bool = False

    @field_validator("rows")
    @classmethod
    def _unique_rows(cls, value: list[Choice]) -> list[Choice]:
        return _unique_keys(value, "row")

    @field_validator("columns")
    @classmethod
    def _unique_columns(cls, value: list[Choice]) -> list[Choice]:
        return _unique_keys(value, "column")


class RankingQuestion(QuestionBase):
    """Put every option in order of preference."""

    type: Literal["ranking"]
    choices: list[Choice] = Field(min_length=2, max_length=20)
    shuffle: bool = True

    @field_validator("choices")
    @classmethod
    def _unique_choices(cls, value: list[Choice]) -> list[Choice]:
        return _unique_keys(value, "choice")


class ConsentQuestion(QuestionBase):
    """A checkbox next to a consent text (for example, permission to quote or contact)."""

    type: Literal["consent"]
    text: LocalizedText


class StatementQuestion(QuestionBase):
    """Text shown to the respondent; it takes no answer."""

    type: Literal["statement"]

    @model_validator(mode="after")
    def _never_required(self) -> StatementQuestion:
        if self.required:
            raise ValueError(_("a statement takes no answer, so it cannot be required"))
        return self


Question = Annotated[
    NpsQuestion
    | CsatQuestion
    | CesQuestion
    | RatingQuestion
    | SingleChoiceQuestion
    | MultipleChoiceQuestion
    | DropdownQuestion
    | ShortTextQuestion
    | LongTextQuestion
    | NumberQuestion
    | EmailQuestion
    | DateQuestion
    | MatrixQuestion
    | RankingQuestion
    | ConsentQuestion
    | StatementQuestion,
    Field(discriminator="type"),
]

# ---------------------------------------------------------------- pages, endings, survey


class Jump(_Model):
    """Go to a later page or to an ending when the condition holds."""

    if_: Condition = Field(alias="if")
    to: Annotated[str, StringConstraints(min_length=1, max_length=80)]


class Page(_Model):
    """A screen of questions, with optional display condition, jumps and default next step."""

    key: Key
    title: LocalizedText | None = None
    questions: list[Question] = Field(default_factory=list, max_length=100)
    show_if: Condition | None = None
    jumps: list[Jump] = Field(default_factory=list)
    next: Annotated[str, StringConstraints(min_length=1, max_length=80)] | None = None


class Button(_Model):
    """A call to action on an ending (for example, an invitation to leave a review)."""

    label: LocalizedText
    url: Annotated[str, StringConstraints(pattern=BUTTON_URL_PATTERN, max_length=2000)]


class Ending(_Model):
    """A closing screen with its own message and optional redirect or button."""

    key: Key
    title: LocalizedText
    message: LocalizedText
    redirect_url: HttpUrl | None = None
    button: Button | None = None
    show_if: Condition | None = None


class HiddenField(_Model):
    """A value passed in with the survey link (source, order id, brand) and stored with answers."""

    key: Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,49}$")]


class Theme(_Model):
    """Colours and logo of the respondent's pages."""

    primary_color: Color = "#2563EB"
    background: Color = "#FFFFFF"
    logo_url: HttpUrl | None = None


class Settings(_Model):
    """How the respondent moves through the survey."""

    progress_bar: bool = True
    allow_back: bool = True


@dataclass(frozen=True)
class TranslationGap:
    """A string that lacks some of the survey's languages."""

    path: str
    missing: tuple[str, ...]


def iter_localized(data: Any, path: str = "") -> Iterator[tuple[str, dict[str, str]]]:
    """Every localized string in a dumped definition, with its path (`pages[0].title`)."""
    if isinstance(data, dict):
        for name, value in data.items():
            child = f"{path}.{name}" if path else str(name)
            if name in LOCALIZED_FIELDS and isinstance(value, dict):
                yield child, value
            else:
                yield from iter_localized(value, child)
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from iter_localized(value, f"{path}[{index}]")


class SurveyDefinition(_Model):
    """A whole survey: languages, pages of questions, logic, endings, hidden fields and theme."""

    schema_version: Literal[1] = 1
    default_language: LanguageCode
    languages: list[LanguageCode] = Field(min_length=1, max_length=50)
    title: LocalizedText
    description: LocalizedText | None = None
    pages: list[Page] = Field(min_length=1, max_length=200)
    endings: list[Ending] = Field(min_length=1, max_length=20)
    hidden_fields: list[HiddenField] = Field(default_factory=list, max_length=50)
    theme: Theme = Field(default_factory=Theme)
    settings: Settings = Field(default_factory=Settings)

    @model_validator(mode="after")
    def _check_whole(self) -> SurveyDefinition:
        from closeloop.surveys.validation import definition_issues

        issues = definition_issues(self)
        if issues:
            raise PydanticCustomError(
                "survey_definition",
                "{summary}",
                {
                    "summary": "; ".join(f"{p}: {m}" if p else m for p, m in issues),
                    "issues": issues,
                },
            )
        return self

    # -- lookups

    def iter_questions(self) -> Iterator[tuple[Page, Question]]:
        """Every (page, question) pair in order."""
        for page in self.pages:
            for question in page.questions:
                yield page, question

    def question(self, key: str) -> Question | None:
        """The question with this key, or None."""
        for _page, question in self.iter_questions():
            if question.key == key:
                return question
        return None

    def page(self, key: str) -> Page | None:
        """The page with this key, or None."""
        return next((p for p in self.pages if p.key == key), None)

    def ending(self, key: str) -> Ending | None:
        """The ending with this key, or None."""
        return next((e for e in self.endings if e.key == key), None)

    def localize(self, text: dict[str, str] | None, language: str | None = None) -> str:
        """The text in `language`, falling back to the default language."""
        if not text:
            return ""
        if language and text.get(language):
            return text[language]
        return text.get(self.default_language, "")

    @property
    def rtl_languages(self) -> list[str]:
        """Languages of this survey written right to left."""
        return [lang for lang in self.languages if is_rtl(lang)]

    # -- translations

    def iter_texts(self) -> Iterator[tuple[str, dict[str, str]]]:
        """Every localized string with its path."""
        yield from iter_localized(self.model_dump(by_alias=True, exclude_none=True))

    def missing_translations(self) -> list[TranslationGap]:
        """Strings that lack one of the survey's languages (drafts may be incomplete)."""
        gaps = []
        for path, text in self.iter_texts():
            missing = tuple(lang for lang in self.languages if not (text.get(lang) or "").strip())
            if missing:
                gaps.append(TranslationGap(path=path, missing=missing))
        return gaps

    def validate_for_publish(self) -> None:
        """Raise DefinitionError unless every string is in every language of the survey."""
        gaps = self.missing_translations()
        if gaps:
            raise DefinitionError(
                [
                    {
                        "path": gap.path,
                        "message": _("missing translation in %(languages)s")
                        % {"languages": ", ".join(gap.missing)},
                    }
                    for gap in gaps
                ]
            )

    def for_language(self, language: str) -> SurveyDefinition:
        """A copy holding only one language (it must be one of the survey's languages)."""
        if language not in self.languages:
            raise DefinitionError(
                [
                    {
                        "path": "languages",
                        "message": _("the survey has no '%(l)s' text") % {"l": language},
                    }
                ]
            )
        data = self.model_dump(by_alias=True, exclude_none=True)
        for _path, text in iter_localized(data):
            kept = text.get(language) or text.get(self.default_language, "")
            text.clear()
            text[language] = kept
        data["default_language"] = language
        data["languages"] = [language]
        return SurveyDefinition.model_validate(data)


AllCondition.model_rebuild()
AnyCondition.model_rebuild()
NotCondition.model_rebuild()
LeafCondition.model_rebuild()
for _cls in (
    NpsQuestion,
    CsatQuestion,
    CesQuestion,
    RatingQuestion,
    SingleChoiceQuestion,
    MultipleChoiceQuestion,
    DropdownQuestion,
    ShortTextQuestion,
    LongTextQuestion,
    NumberQuestion,
    EmailQuestion,
    DateQuestion,
    MatrixQuestion,
    RankingQuestion,
    ConsentQuestion,
    StatementQuestion,
    Jump,
    Page,
    Ending,
    SurveyDefinition,
):
    _cls.model_rebuild()
