"""Builder edits: each takes the draft definition (a dict) and the posted form and changes it.

These only reshape the document the person is editing; survey_update_definition validates the
result and stores it, so no rule about what a valid survey is lives here.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import QueryDict
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from closeloop.core.errors import DomainError

Data = dict[str, Any]

QUESTION_TYPE_LABELS: dict[str, Any] = {
    "nps": gettext_lazy("Net Promoter Score (0-10)"),
    "csat": gettext_lazy("Satisfaction (CSAT)"),
    "ces": gettext_lazy("Effort (CES)"),
    "rating": gettext_lazy("Rating"),
    "single_choice": gettext_lazy("Single choice"),
    "multiple_choice": gettext_lazy("Multiple choice"),
    "dropdown": gettext_lazy("Drop-down"),
    "short_text": gettext_lazy("Short text"),
    "long_text": gettext_lazy("Long text"),
    "number": gettext_lazy("Number"),
    "email": gettext_lazy("Email"),
    "date": gettext_lazy("Date"),
    "matrix": gettext_lazy("Matrix"),
    "ranking": gettext_lazy("Ranking"),
    "consent": gettext_lazy("Consent"),
    "statement": gettext_lazy("Statement (no answer)"),
}
QUESTION_TYPES = tuple(QUESTION_TYPE_LABELS)
CHOICE_TYPES = frozenset({"single_choice", "multiple_choice", "dropdown"})
SCALE_TYPES = frozenset({"nps", "csat", "ces", "rating"})
TEXT_TYPES = frozenset({"short_text", "long_text"})
# Which lists of options a question type has (matrix has two).
CHOICE_LISTS: dict[str, tuple[str, ...]] = {
    "single_choice": ("choices",),
    "multiple_choice": ("choices",),
    "dropdown": ("choices",),
    "ranking": ("choices",),
    "matrix": ("rows", "columns"),
}
OPERATORS: dict[str, Any] = {
    "eq": gettext_lazy("is"),
    "ne": gettext_lazy("is not"),
    "lt": gettext_lazy("is less than"),
    "lte": gettext_lazy("is at most"),
    "gt": gettext_lazy("is more than"),
    "gte": gettext_lazy("is at least"),
    "in": gettext_lazy("is one of"),
    "not_in": gettext_lazy("is none of"),
    "contains": gettext_lazy("contains"),
    "answered": gettext_lazy("is answered"),
    "not_answered": gettext_lazy("is not answered"),
    "nps_category": gettext_lazy("NPS group is"),
}
CONTACT_ATTRIBUTES = ("first_name", "last_name", "email", "language", "country", "company")
ENDING_PREFIX = "ending:"
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,49}$")
HIDDEN_KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,49}$")
PATH_PART_RE = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


class EditError(DomainError):
    """A builder form that cannot be turned into a definition change."""


# --------------------------------------------------------------------------- lookups


def iter_questions(data: Data) -> list[tuple[Data, Data]]:
    """Every (page, question) pair in order."""
    return [(page, q) for page in data.get("pages", []) for q in page.get("questions", [])]


def find_question(data: Data, key: str) -> tuple[Data, int]:
    """The page holding question `key` and the question's index on it."""
    for page in data.get("pages", []):
        for index, question in enumerate(page.get("questions", [])):
            if question.get("key") == key:
                return page, index
    raise EditError(_("There is no question '%(key)s' in this survey.") % {"key": key})


def find_page(data: Data, key: str) -> int:
    for index, page in enumerate(data.get("pages", [])):
        if page.get("key") == key:
            return index
    raise EditError(_("There is no page '%(key)s' in this survey.") % {"key": key})


def find_ending(data: Data, key: str) -> int:
    for index, ending in enumerate(data.get("endings", [])):
        if ending.get("key") == key:
            return index
    raise EditError(_("There is no ending '%(key)s' in this survey.") % {"key": key})


def _used_keys(data: Data) -> set[str]:
    keys = {q.get("key", "") for _p, q in iter_questions(data)}
    keys |= {p.get("key", "") for p in data.get("pages", [])}
    return keys


def new_key(prefix: str, used: set[str]) -> str:
    """The first free key `prefix1`, `prefix2`, ..."""
    number = 1
    while f"{prefix}{number}" in used:
        number += 1
    return f"{prefix}{number}"


def get_path(data: Any, path: str) -> Any:
    """The value at a dotted path such as `pages[0].questions[1].title`."""
    current = data
    for name, index in PATH_PART_RE.findall(path):
        current = current[int(index)] if index else current[name]
    return current


# --------------------------------------------------------------------------- small parsers


def _text(post: QueryDict, name: str, limit: int = 5000) -> str:
    return (post.get(name) or "").strip()[:limit]


def _flag(post: QueryDict, name: str) -> bool:
    return post.get(name) in ("on", "true", "1", "yes")


def _int(post: QueryDict, name: str, label: str) -> int | None:
    raw = _text(post, name)
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise EditError(_("%(label)s must be a whole number.") % {"label": label}) from None


def _number(post: QueryDict, name: str, label: str) -> int | float | None:
    raw = _text(post, name)
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise EditError(_("%(label)s must be a number.") % {"label": label}) from None
    return int(value) if value.is_integer() else value


def set_localized(obj: Data, field: str, lang: str, value: str, *, default_lang: str) -> None:
    """Set one language of a localized text; an empty value removes that language."""
    text = obj.get(field)
    if not isinstance(text, dict):
        text = {}
    if value:
        text[lang] = value
    else:
        text.pop(lang, None)
    if text:
        obj[field] = text
    elif field in ("title", "label", "message", "text") and lang == default_lang:
        obj[field] = {lang: ""}  # required: validation names the empty text
    else:
        obj.pop(field, None)


def coerce_value(raw: str) -> Any:
    """A condition value typed into a box: numbers and true/false become typed values."""
    raw = raw.strip()
    if re.fullmatch(r"-?\d{1,12}", raw):
        return int(raw)
    if re.fullmatch(r"-?\d{1,12}\.\d+", raw):
        return float(raw)
    if raw in ("true", "false"):
        return raw == "true"
    return raw


def condition_from_rows(post: QueryDict, prefix: str) -> Data | None:
    """A condition from rows (field, operator, value) joined by all/any, or the advanced JSON."""
    advanced = _text(post, f"{prefix}_json", 20000)
    if advanced:
        try:
            value = json.loads(advanced)
        except json.JSONDecodeError as error:
            raise EditError(
                _("The condition is not valid JSON: %(error)s") % {"error": error.msg},
                field=f"{prefix}_json",
            ) from None
        if value is not None and not isinstance(value, dict):
            raise EditError(_("A condition must be a JSON object."), field=f"{prefix}_json")
        return value
    fields = post.getlist(f"{prefix}_field")
    ops = post.getlist(f"{prefix}_op")
    values = post.getlist(f"{prefix}_value")
    leaves: list[Data] = []
    for index, field in enumerate(fields):
        field = field.strip()
        if not field:
            continue
        op = ops[index] if index < len(ops) else "eq"
        raw = values[index] if index < len(values) else ""
        leaf: Data = {"field": field, "op": op}
        if op in ("in", "not_in"):
            leaf["value"] = [coerce_value(v) for v in raw.split(",") if v.strip()]
        elif op not in ("answered", "not_answered"):
            leaf["value"] = coerce_value(raw) if op != "nps_category" else raw.strip()
        leaves.append(leaf)
    if not leaves:
        return None
    if len(leaves) == 1:
        return leaves[0]
    mode = "any" if post.get(f"{prefix}_mode") == "any" else "all"
    return {mode: leaves}


def condition_rows(condition: Data | None) -> tuple[str, list[Data], str]:
    """A condition as (all|any, rows, advanced JSON) for the rows editor; JSON when too complex."""
    if not condition:
        return "all", [], ""
    if "field" in condition:
        return "all", [row(condition)], ""
    for mode in ("all", "any"):
        inner = condition.get(mode)
        if isinstance(inner, list) and all(isinstance(c, dict) and "field" in c for c in inner):
            return mode, [row(c) for c in inner], ""
    return "all", [], json.dumps(condition, ensure_ascii=False, indent=1)


def row(leaf: Data) -> Data:
    value = leaf.get("value")
    if isinstance(value, list):
        shown = ", ".join(str(v) for v in value)
    elif isinstance(value, bool):
        shown = "true" if value else "false"
    else:
        shown = "" if value is None else str(value)
    return {"field": leaf.get("field", ""), "op": leaf.get("op", "eq"), "value": shown}


# --------------------------------------------------------------------------- defaults


def _localize_default(lang: str, text: Callable[[], str]) -> dict[str, str]:
    codes = {code for code, _name in settings.LANGUAGES}
    with translation.override(lang if lang in codes else "en"):
        return {lang: str(text())}


def _options(lang: str, prefix: str, label: Callable[[int], str], count: int) -> list[Data]:
    codes = {code for code, _name in settings.LANGUAGES}
    with translation.override(lang if lang in codes else "en"):
        return [{"key": f"{prefix}_{n}", "label": {lang: label(n)}} for n in range(1, count + 1)]


def default_question(qtype: str, key: str, lang: str) -> Data:
    """A new question of a type, with sensible defaults in the survey's default language."""
    titles: dict[str, Callable[[], str]] = {
        "nps": lambda: _("How likely are you to recommend us to a friend or colleague?"),
        "csat": lambda: _("How satisfied are you with our service?"),
        "ces": lambda: _("The company made it easy for me to handle my issue."),
        "rating": lambda: _("How would you rate your experience?"),
        "single_choice": lambda: _("Which option fits best?"),
        "multiple_choice": lambda: _("Which of these apply to you?"),
        "dropdown": lambda: _("Choose one option"),
        "short_text": lambda: _("Your answer"),
        "long_text": lambda: _("Tell us more"),
        "number": lambda: _("How many?"),
        "email": lambda: _("What is your email address?"),
        "date": lambda: _("When did it happen?"),
        "matrix": lambda: _("How much do you agree with each statement?"),
        "ranking": lambda: _("Put these in order of importance"),
        "consent": lambda: _("Consent"),
        "statement": lambda: _("Thank you for taking part."),
    }
    if qtype not in titles:
        raise EditError(_("Unknown question type '%(type)s'.") % {"type": qtype})
    question: Data = {"key": key, "type": qtype, "title": _localize_default(lang, titles[qtype])}
    if qtype in ("nps", "ces", "rating", "csat"):
        question["required"] = qtype == "nps"
    if qtype in CHOICE_TYPES or qtype == "ranking":
        question["choices"] = _options(lang, "option", lambda n: _("Option %(n)d") % {"n": n}, 3)
    if qtype == "matrix":
        question["rows"] = _options(lang, "row", lambda n: _("Statement %(n)d") % {"n": n}, 2)
        labels = _options(lang, "col", _column_label, 3)
        question["columns"] = [
            {"key": column, "label": item["label"]}
            for column, item in zip(("disagree", "neutral", "agree"), labels, strict=True)
        ]
    if qtype == "consent":
        question["text"] = _localize_default(
            lang, lambda: _("I agree that you may contact me about my feedback.")
        )
    return question


def _column_label(number: int) -> str:
    return [_("Disagree"), _("Neutral"), _("Agree")][number - 1]


# --------------------------------------------------------------------------- question edits


def add_question(data: Data, post: QueryDict, lang: str) -> str:
    """Append a question of the chosen type to a page; returns the new key."""
    page_index = find_page(data, post.get("page", ""))
    key = new_key("q", _used_keys(data))
    question = default_question(post.get("type", ""), key, data["default_language"])
    data["pages"][page_index].setdefault("questions", []).append(question)
    return key


def save_question(data: Data, post: QueryDict, lang: str) -> str:
    """Apply the question editor: texts in the edited language, settings, logic and choices."""
    page, index = find_question(data, post.get("key", ""))
    question = page["questions"][index]
    default = data["default_language"]
    qtype = question["type"]
    for field in ("title", "help"):
        if field in post:
            set_localized(question, field, lang, _text(post, field), default_lang=default)
    if qtype != "statement":
        question["required"] = _flag(post, "required")
    if qtype in SCALE_TYPES:
        for field in ("low_label", "high_label"):
            set_localized(question, field, lang, _text(post, field), default_lang=default)
    if qtype in ("csat", "rating"):
        points = _int(post, "points", _("Points"))
        if points is not None:
            question["points"] = points
        if post.get("style"):
            question["style"] = post["style"]
    if qtype in CHOICE_TYPES or qtype in ("matrix", "ranking"):
        question["shuffle"] = _flag(post, "shuffle")
    if qtype in CHOICE_TYPES:
        question["allow_other"] = _flag(post, "allow_other")
        set_localized(
            question, "other_label", lang, _text(post, "other_label"), default_lang=default
        )
    if qtype == "multiple_choice":
        for field, label in (("min_selected", _("Minimum")), ("max_selected", _("Maximum"))):
            value = _int(post, field, label)
            if value is None:
                question.pop(field, None)
            else:
                question[field] = value
    if qtype in TEXT_TYPES | {"number", "email", "dropdown"}:
        set_localized(
            question, "placeholder", lang, _text(post, "placeholder"), default_lang=default
        )
    if qtype in TEXT_TYPES:
        length = _int(post, "max_length", _("Maximum length"))
        if length is None:
            question.pop("max_length", None)
        else:
            question["max_length"] = length
    if qtype == "number":
        for field, label in (("min", _("Minimum")), ("max", _("Maximum"))):
            number = _number(post, field, label)
            if number is None:
                question.pop(field, None)
            else:
                question[field] = number
        question["integer_only"] = _flag(post, "integer_only")
    if qtype == "date":
        for field in ("min_date", "max_date"):
            value_text = _text(post, field)
            if value_text:
                question[field] = value_text
            else:
                question.pop(field, None)
    if qtype == "consent":
        set_localized(question, "text", lang, _text(post, "consent_text"), default_lang=default)
    for list_name in CHOICE_LISTS.get(qtype, ()):
        for choice in question.get(list_name, []):
            name = f"label__{list_name}__{choice['key']}"
            if name in post:
                set_localized(choice, "label", lang, _text(post, name), default_lang=default)
    if "show_if_present" in post:
        condition = condition_from_rows(post, "show_if")
        if condition is None:
            question.pop("show_if", None)
        else:
            question["show_if"] = condition
    action = post.get("choice_action", "")
    if action:
        _choice_action(question, action, data)
    renamed = _text(post, "new_key")
    if renamed and renamed != question["key"]:
        return _rename_question(data, question, renamed)
    return str(question["key"])


def _choice_action(question: Data, action: str, data: Data) -> None:
    verb, _sep, rest = action.partition(":")
    list_name, _sep, key = rest.partition(":")
    if list_name not in CHOICE_LISTS.get(question["type"], ()):
        raise EditError(_("This question has no list '%(name)s'.") % {"name": list_name})
    items: list[Data] = question.setdefault(list_name, [])
    if verb == "add":
        prefix = {"rows": "row", "columns": "col"}.get(list_name, "option")
        used = {item["key"] for item in items}
        key = new_key(f"{prefix}_", used)
        label = _localize_default(data["default_language"], lambda: _("New option"))
        items.append({"key": key, "label": label})
        return
    index = next((i for i, item in enumerate(items) if item["key"] == key), None)
    if index is None:
        raise EditError(_("There is no option '%(key)s'.") % {"key": key})
    if verb == "delete":
        items.pop(index)
    elif verb in ("up", "down"):
        target = index - 1 if verb == "up" else index + 1
        if 0 <= target < len(items):
            items[index], items[target] = items[target], items[index]
    else:
        raise EditError(_("Unknown option action."))


def _rename_question(data: Data, question: Data, renamed: str) -> str:
    if not KEY_RE.match(renamed):
        raise EditError(
            _("A key starts with a lowercase letter and has only a-z, 0-9 and _."), field="new_key"
        )
    if renamed in {q["key"] for _p, q in iter_questions(data)}:
        raise EditError(_("The key '%(key)s' is already used.") % {"key": renamed}, field="new_key")
    old = question["key"]
    question["key"] = renamed
    # Keep logic and piping pointing at the question under its new name.
    text = json.dumps(data, ensure_ascii=False)
    text = text.replace(f'"answer.{old}"', f'"answer.{renamed}"')
    text = re.sub(r"\{\{\s*answer\." + re.escape(old) + r"\b", "{{answer." + renamed, text)
    data.clear()
    data.update(json.loads(text))
    return renamed


def move_question(data: Data, post: QueryDict, lang: str) -> str:
    """Move a question up or down; past the end of its page it moves to the next page."""
    key = post.get("key", "")
    page, index = find_question(data, key)
    pages = data["pages"]
    page_index = pages.index(page)
    questions = page["questions"]
    if post.get("direction") == "up":
        if index > 0:
            questions[index - 1], questions[index] = questions[index], questions[index - 1]
        elif page_index > 0:
            pages[page_index - 1].setdefault("questions", []).append(questions.pop(index))
    else:
        if index < len(questions) - 1:
            questions[index + 1], questions[index] = questions[index], questions[index + 1]
        elif page_index < len(pages) - 1:
            pages[page_index + 1].setdefault("questions", []).insert(0, questions.pop(index))
    return key


def reorder_questions(data: Data, post: QueryDict, lang: str) -> str:
    """Put questions in the order dragged: `order` is JSON {page key: [question keys]}."""
    try:
        order = json.loads(post.get("order", ""))
    except json.JSONDecodeError:
        raise EditError(_("The new order could not be read.")) from None
    if not isinstance(order, dict):
        raise EditError(_("The new order could not be read."))
    by_key = {q["key"]: q for _p, q in iter_questions(data)}
    placed = [k for keys in order.values() if isinstance(keys, list) for k in keys]
    if sorted(placed) != sorted(by_key) or len(set(placed)) != len(placed):
        raise EditError(_("The survey changed meanwhile; reload the page and try again."))
    for page in data["pages"]:
        keys = order.get(page["key"])
        if not isinstance(keys, list):
            raise EditError(_("The survey changed meanwhile; reload the page and try again."))
        page["questions"] = [by_key[k] for k in keys]
    return str(post.get("moved", ""))


def duplicate_question(data: Data, post: QueryDict, lang: str) -> str:
    """Insert a copy of a question right after it, under a new key."""
    page, index = find_question(data, post.get("key", ""))
    copy_ = copy.deepcopy(page["questions"][index])
    copy_["key"] = new_key("q", _used_keys(data))
    page["questions"].insert(index + 1, copy_)
    return str(copy_["key"])


def delete_question(data: Data, post: QueryDict, lang: str) -> str:
    """Remove a question (logic that used it is reported by validation)."""
    page, index = find_question(data, post.get("key", ""))
    page["questions"].pop(index)
    return ""


# --------------------------------------------------------------------------- pages


def add_page(data: Data, post: QueryDict, lang: str) -> str:
    """Append an empty page."""
    key = new_key("page", _used_keys(data))
    data["pages"].append({"key": key, "questions": []})
    return key


def save_page(data: Data, post: QueryDict, lang: str) -> str:
    """Apply the page editor: title, show_if, jumps and the default next step."""
    index = find_page(data, post.get("key", ""))
    page = data["pages"][index]
    set_localized(page, "title", lang, _text(post, "title"), default_lang=data["default_language"])
    condition = condition_from_rows(post, "show_if")
    if condition is None:
        page.pop("show_if", None)
    else:
        page["show_if"] = condition
    jumps: list[Data] = []
    targets = post.getlist("jump_to")
    columns = {name: post.getlist(f"jump_{name}") for name in ("field", "op", "value", "json")}
    for number, target in enumerate(targets):
        target = target.strip()
        if not target:
            continue
        rows = QueryDict(mutable=True)
        for name, values in columns.items():
            rows.setlist(f"j_{name}", [values[number] if number < len(values) else ""])
        jump_condition = condition_from_rows(rows, "j")
        if jump_condition is None:
            raise EditError(_("Page '%(page)s': a jump needs a condition.") % {"page": page["key"]})
        jumps.append({"if": jump_condition, "to": target})
    if jumps:
        page["jumps"] = jumps
    else:
        page.pop("jumps", None)
    next_ = _text(post, "next")
    if next_:
        page["next"] = next_
    else:
        page.pop("next", None)
    return str(page["key"])


def move_page(data: Data, post: QueryDict, lang: str) -> str:
    """Move a page up or down."""
    index = find_page(data, post.get("key", ""))
    target = index - 1 if post.get("direction") == "up" else index + 1
    pages = data["pages"]
    if 0 <= target < len(pages):
        pages[index], pages[target] = pages[target], pages[index]
    return str(post.get("key", ""))


def delete_page(data: Data, post: QueryDict, lang: str) -> str:
    """Remove a page with its questions."""
    data["pages"].pop(find_page(data, post.get("key", "")))
    return ""


# --------------------------------------------------------------------------- endings


def add_ending(data: Data, post: QueryDict, lang: str) -> str:
    """Add an ending with a default thank-you text."""
    used = {e["key"] for e in data.get("endings", [])}
    key = new_key("ending", used)
    default = data["default_language"]
    ending: Data = {
        "key": key,
        "title": _localize_default(default, lambda: _("Thank you!")),
        "message": _localize_default(default, lambda: _("Thanks for your feedback.")),
    }
    endings: list[Data] = data.setdefault("endings", [])
    catch_all = next((i for i, e in enumerate(endings) if not e.get("show_if")), None)
    answerable = [q["key"] for _p, q in iter_questions(data) if q.get("type") != "statement"]
    if catch_all is not None and answerable:
        # The first ending whose condition holds is shown, so a new one goes before the
        # unconditional ending, with a condition to edit.
        ending["show_if"] = {"field": f"answer.{answerable[0]}", "op": "answered"}
        endings.insert(catch_all, ending)
    else:
        endings.append(ending)
    return key


def save_ending(data: Data, post: QueryDict, lang: str) -> str:
    """Apply the ending editor: texts, button, redirect and condition."""
    index = find_ending(data, post.get("key", ""))
    ending = data["endings"][index]
    default = data["default_language"]
    for field in ("title", "message"):
        set_localized(ending, field, lang, _text(post, field), default_lang=default)
    label, url = _text(post, "button_label"), _text(post, "button_url", 2000)
    if label or url:
        button = ending.get("button") or {}
        set_localized(button, "label", lang, label, default_lang=default)
        button["url"] = url
        ending["button"] = button
    else:
        ending.pop("button", None)
    redirect = _text(post, "redirect_url", 2000)
    if redirect:
        ending["redirect_url"] = redirect
    else:
        ending.pop("redirect_url", None)
    condition = condition_from_rows(post, "show_if")
    if condition is None:
        ending.pop("show_if", None)
    else:
        ending["show_if"] = condition
    return str(ending["key"])


def move_ending(data: Data, post: QueryDict, lang: str) -> str:
    """Move an ending up or down (the first whose condition holds is shown)."""
    index = find_ending(data, post.get("key", ""))
    target = index - 1 if post.get("direction") == "up" else index + 1
    endings = data["endings"]
    if 0 <= target < len(endings):
        endings[index], endings[target] = endings[target], endings[index]
    return str(post.get("key", ""))


def delete_ending(data: Data, post: QueryDict, lang: str) -> str:
    """Remove an ending."""
    data["endings"].pop(find_ending(data, post.get("key", "")))
    return ""


# --------------------------------------------------------------------------- texts, languages


def save_translations(data: Data, post: QueryDict, lang: str) -> str:
    """Save every cell of the translations table (`t|<path>|<language>`)."""
    languages = set(data.get("languages", []))
    for name in post:
        value = post.get(name) or ""
        if not name.startswith("t|"):
            continue
        _t, path, language = name.split("|", 2)
        if language not in languages:
            continue
        try:
            text = get_path(data, path)
        except (KeyError, IndexError, TypeError, ValueError):
            raise EditError(_("The survey changed meanwhile; reload the page.")) from None
        if not isinstance(text, dict):
            continue
        value = value.strip()[:5000]
        if value:
            text[language] = value
        else:
            text.pop(language, None)
    return ""


def _walk_texts(data: Any) -> list[dict[str, str]]:
    from closeloop.surveys.schema import iter_localized

    return [text for _path, text in iter_localized(data)]


def add_language(data: Data, post: QueryDict, lang: str) -> str:
    """Add a language to the survey (its texts start empty and show as missing)."""
    code = _text(post, "language").lower()
    if not re.fullmatch(r"[a-z]{2,3}(-[a-z0-9]{2,8})*", code):
        raise EditError(_("Enter a language code such as en, ko or th."), field="language")
    if code in data["languages"]:
        raise EditError(_("The survey already has this language."), field="language")
    data["languages"].append(code)
    return code


def remove_language(data: Data, post: QueryDict, lang: str) -> str:
    """Remove a language and its texts (never the default language)."""
    code = _text(post, "language")
    if code == data["default_language"]:
        raise EditError(_("The default language cannot be removed; choose another default first."))
    if code not in data["languages"]:
        raise EditError(_("The survey has no such language."))
    data["languages"].remove(code)
    for text in _walk_texts(data):
        text.pop(code, None)
    return ""


def set_default_language(data: Data, post: QueryDict, lang: str) -> str:
    """Make another of the survey's languages the default."""
    code = _text(post, "language")
    if code not in data["languages"]:
        raise EditError(_("The survey has no such language."))
    data["default_language"] = code
    return ""


# --------------------------------------------------------------------------- survey-wide


def save_general(data: Data, post: QueryDict, lang: str) -> str:
    """Survey title and description shown to respondents, theme colours, navigation options."""
    default = data["default_language"]
    set_localized(data, "title", lang, _text(post, "survey_title"), default_lang=default)
    set_localized(
        data, "description", lang, _text(post, "survey_description"), default_lang=default
    )
    theme = data.setdefault("theme", {})
    for field in ("primary_color", "background"):
        value = _text(post, field)
        if value:
            theme[field] = value.upper() if value.startswith("#") else value
    options = data.setdefault("settings", {})
    options["progress_bar"] = _flag(post, "progress_bar")
    options["allow_back"] = _flag(post, "allow_back")
    return ""


def add_hidden_field(data: Data, post: QueryDict, lang: str) -> str:
    """Declare a hidden field passed in the survey link."""
    key = _text(post, "hidden_key")
    if not HIDDEN_KEY_RE.match(key):
        raise EditError(
            _("A hidden field name starts with a letter and has only letters, digits and _."),
            field="hidden_key",
        )
    fields = data.setdefault("hidden_fields", [])
    if key in {f["key"] for f in fields}:
        raise EditError(_("This hidden field already exists."), field="hidden_key")
    fields.append({"key": key})
    return ""


def remove_hidden_field(data: Data, post: QueryDict, lang: str) -> str:
    """Remove a hidden field."""
    key = post.get("hidden_key", "")
    data["hidden_fields"] = [f for f in data.get("hidden_fields", []) if f["key"] != key]
    return ""


OPS: dict[str, Callable[[Data, QueryDict, str], str]] = {
    "add_question": add_question,
    "save_question": save_question,
    "move_question": move_question,
    "reorder": reorder_questions,
    "duplicate_question": duplicate_question,
    "delete_question": delete_question,
    "add_page": add_page,
    "save_page": save_page,
    "move_page": move_page,
    "delete_page": delete_page,
    "add_ending": add_ending,
    "save_ending": save_ending,
    "move_ending": move_ending,
    "delete_ending": delete_ending,
    "save_translations": save_translations,
    "add_language": add_language,
    "remove_language": remove_language,
    "set_default_language": set_default_language,
    "save_general": save_general,
    "add_hidden_field": add_hidden_field,
    "remove_hidden_field": remove_hidden_field,
}
# Operations that remove something: without JavaScript they ask on a page of their own first.
CONFIRM_OPS = frozenset({"delete_question", "delete_page", "delete_ending", "remove_language"})


def apply(definition: Data, op: str, post: QueryDict, lang: str) -> tuple[Data, str]:
    """A changed copy of the definition and the key of the thing to focus afterwards."""
    if op not in OPS:
        raise EditError(_("Unknown builder action."))
    data = copy.deepcopy(definition)
    focus = OPS[op](data, post, lang)
    return data, focus
