"""Turn a definition (a dict) into what the builder and version pages show."""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext as _

from closeloop.surveys.schema import iter_localized
from closeloop.surveys.views import ops

Data = dict[str, Any]
Errors = dict[str, list[str]]
FieldGroups = list[tuple[str, list[tuple[str, str]]]]
QUESTION_PATH_RE = re.compile(r"^(?:definition\.)?pages\[(\d+)\]\.questions\[(\d+)\]")
PAGE_PATH_RE = re.compile(r"^(?:definition\.)?pages\[(\d+)\]")
ENDING_PATH_RE = re.compile(r"^(?:definition\.)?endings\[(\d+)\]")


def localized(text: Any, lang: str, default: str) -> tuple[str, bool]:
    """The text in `lang` (falling back to the default language) and whether `lang` is missing."""
    if not isinstance(text, dict):
        return "", False
    value = (text.get(lang) or "").strip()
    if value:
        return value, False
    return (text.get(default) or "").strip(), True


def error_targets(data: Data, errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Messages keyed by what they are about: `q:<key>`, `p:<key>`, `e:<key>`, or `` (survey)."""
    targets: dict[str, list[str]] = {}
    pages = data.get("pages", [])
    endings = data.get("endings", [])
    for item in errors:
        path = str(item.get("path") or "")
        message = str(item.get("message") or "")
        target = ""
        if match := QUESTION_PATH_RE.match(path):
            p, q = int(match[1]), int(match[2])
            if p < len(pages) and q < len(pages[p].get("questions", [])):
                target = f"q:{pages[p]['questions'][q].get('key')}"
        elif match := PAGE_PATH_RE.match(path):
            p = int(match[1])
            if p < len(pages):
                target = f"p:{pages[p].get('key')}"
        elif match := ENDING_PATH_RE.match(path):
            e = int(match[1])
            if e < len(endings):
                target = f"e:{endings[e].get('key')}"
        targets.setdefault(target, []).append(message)
    return targets


def field_options(
    data: Data, before: str | None, lang: str, *, page_limit: int | None
) -> FieldGroups:
    """What a condition can test: earlier questions' answers, hidden fields, contact attributes.

    `before` is a question key (only questions before it), `page_limit` a page index (questions
    on pages up to it); both None lists every question."""
    default = data.get("default_language", "en")
    answers: list[tuple[str, str]] = []
    for p_index, page in enumerate(data.get("pages", [])):
        if page_limit is not None and p_index > page_limit:
            break
        stop = False
        for question in page.get("questions", []):
            if before is not None and question.get("key") == before:
                stop = True
                break
            if question.get("type") == "statement":
                continue
            title, _missing = localized(question.get("title"), lang, default)
            short = title if len(title) <= 50 else title[:49] + "…"
            answers.append((f"answer.{question['key']}", f"{question['key']} · {short}"))
        if stop:
            break
    hidden = [(f"hidden.{h['key']}", h["key"]) for h in data.get("hidden_fields", [])]
    contact = [(f"contact.{name}", name) for name in ops.CONTACT_ATTRIBUTES]
    groups = [
        (_("Answers"), answers),
        (_("Hidden fields"), hidden),
        (_("Contact"), contact),
    ]
    return [(label, items) for label, items in groups if items]


def logic(condition: Data | None, fields: FieldGroups) -> dict[str, Any]:
    """The rows editor of a condition: rows (plus an empty one to add), the field choices."""
    mode, rows, advanced = ops.condition_rows(condition)
    known = {value for _label, items in fields for value, _text in items}
    for row in rows:
        row["known"] = row["field"] in known
    rows.append({"field": "", "op": "eq", "value": "", "known": True})
    return {"mode": mode, "rows": rows, "json": advanced, "fields": fields}


def choice_lists(question: Data, lang: str, default: str) -> list[dict[str, Any]]:
    names = {"choices": _("Options"), "rows": _("Rows"), "columns": _("Columns")}
    result = []
    for list_name in ops.CHOICE_LISTS.get(question.get("type", ""), ()):
        items = []
        for item in question.get(list_name, []):
            label, missing = localized(item.get("label"), lang, default)
            own = (item.get("label") or {}).get(lang, "")
            items.append({"key": item["key"], "label": label, "value": own, "missing": missing})
        result.append({"name": list_name, "label": names[list_name], "items": items})
    return result


def question_view(
    data: Data, page_index: int, question: Data, *, lang: str, edit: str, errors: Errors
) -> dict[str, Any]:
    default = data.get("default_language", "en")
    key = question.get("key", "")
    title, missing = localized(question.get("title"), lang, default)
    texts = {
        name: (question.get(name) or {}).get(lang, "")
        for name in ("title", "help", "low_label", "high_label", "placeholder", "other_label")
    }
    texts["consent_text"] = (question.get("text") or {}).get(lang, "")
    view: dict[str, Any] = {
        "key": key,
        "type": question.get("type", ""),
        "type_label": ops.QUESTION_TYPE_LABELS.get(question.get("type", ""), question.get("type")),
        "title": title,
        "title_missing": missing,
        "required": bool(question.get("required")),
        "has_logic": bool(question.get("show_if")),
        "data": question,
        "texts": texts,
        "errors": errors.get(f"q:{key}", []),
        "editing": edit == key,
    }
    if view["editing"]:
        view["choice_lists"] = choice_lists(question, lang, default)
        view["logic"] = logic(
            question.get("show_if"), field_options(data, key, lang, page_limit=None)
        )
        view["is_scale"] = view["type"] in ops.SCALE_TYPES
        view["is_choice"] = view["type"] in ops.CHOICE_TYPES
        view["has_shuffle"] = view["type"] in ops.CHOICE_TYPES | {"matrix", "ranking"}
        view["points_options"] = [3, 4, 5, 7, 10] if view["type"] == "csat" else list(range(3, 11))
        view["points"] = question.get("points", 5)
        view["has_placeholder"] = view["type"] in ops.TEXT_TYPES | {"number", "email", "dropdown"}
    return view


def jump_targets(data: Data, page_index: int) -> list[tuple[str, str]]:
    pages = data.get("pages", [])
    targets = [(p["key"], _("Page %(key)s") % {"key": p["key"]}) for p in pages[page_index + 1 :]]
    targets += [
        (f"{ops.ENDING_PREFIX}{e['key']}", _("Ending %(key)s") % {"key": e["key"]})
        for e in data.get("endings", [])
    ]
    return targets


def pages_view(data: Data, *, lang: str, edit: str, errors: Errors) -> list[dict[str, Any]]:
    default = data.get("default_language", "en")
    result = []
    pages = data.get("pages", [])
    for index, page in enumerate(pages):
        title, missing = localized(page.get("title"), lang, default)
        view: dict[str, Any] = {
            "key": page["key"],
            "number": index + 1,
            "first": index == 0,
            "last": index == len(pages) - 1,
            "title": title,
            "title_missing": missing and bool(page.get("title")),
            "title_value": (page.get("title") or {}).get(lang, ""),
            "has_logic": bool(page.get("show_if") or page.get("jumps")),
            "errors": errors.get(f"p:{page['key']}", []),
            "editing": edit == f"page:{page['key']}",
            "questions": [
                question_view(data, index, q, lang=lang, edit=edit, errors=errors)
                for q in page.get("questions", [])
            ],
        }
        if view["editing"]:
            view["logic"] = logic(
                page.get("show_if"), field_options(data, None, lang, page_limit=index - 1)
            )
            view["jump_fields"] = field_options(data, None, lang, page_limit=index)
            view["targets"] = jump_targets(data, index)
            view["next"] = page.get("next", "")
            jumps = []
            for jump in page.get("jumps", []):
                condition = jump.get("if")
                if isinstance(condition, dict) and "field" in condition:
                    jumps.append({"row": ops.row(condition), "json": "", "to": jump.get("to")})
                else:
                    jumps.append(
                        {
                            "row": {"op": "eq"},
                            "json": _condition_json(condition),
                            "to": jump.get("to"),
                        }
                    )
            jumps.append({"row": {"op": "eq"}, "json": "", "to": ""})
            known = {value for _label, items in view["jump_fields"] for value, _text in items}
            for jump in jumps:
                jump["row"]["known"] = not jump["row"].get("field") or jump["row"]["field"] in known
            view["jumps"] = jumps
        result.append(view)
    return result


def _condition_json(condition: Any) -> str:
    import json

    return json.dumps(condition, ensure_ascii=False) if condition else ""


def endings_view(data: Data, *, lang: str, errors: Errors) -> list[dict[str, Any]]:
    default = data.get("default_language", "en")
    fields = field_options(data, None, lang, page_limit=None)
    endings = data.get("endings", [])
    result = []
    for index, ending in enumerate(endings):
        title, missing = localized(ending.get("title"), lang, default)
        button = ending.get("button") or {}
        result.append(
            {
                "key": ending["key"],
                "first": index == 0,
                "last": index == len(endings) - 1,
                "title": title,
                "title_missing": missing,
                "title_value": (ending.get("title") or {}).get(lang, ""),
                "message_value": (ending.get("message") or {}).get(lang, ""),
                "button_label": (button.get("label") or {}).get(lang, ""),
                "button_url": button.get("url", ""),
                "redirect_url": ending.get("redirect_url", ""),
                "logic": logic(ending.get("show_if"), fields),
                "message": present_text(ending.get("message"), lang, default),
                "has_button": bool(button),
                "errors": errors.get(f"e:{ending['key']}", []),
            }
        )
    return result


def text_label(data: Data, path: str) -> str:
    """A readable name for a text's path: `q2 > title`, `page intro > title`, `ending thanks`."""
    parts = []
    match = QUESTION_PATH_RE.match(path)
    try:
        if match:
            question = data["pages"][int(match[1])]["questions"][int(match[2])]
            parts.append(question["key"])
            rest = path[match.end() :]
        elif (m := PAGE_PATH_RE.match(path)) is not None:
            parts.append(_("page %(key)s") % {"key": data["pages"][int(m[1])]["key"]})
            rest = path[m.end() :]
        elif (m := ENDING_PATH_RE.match(path)) is not None:
            parts.append(_("ending %(key)s") % {"key": data["endings"][int(m[1])]["key"]})
            rest = path[m.end() :]
        else:
            parts.append(_("survey"))
            rest = "." + path
    except (IndexError, KeyError):
        return path
    for name, index in ops.PATH_PART_RE.findall(rest):
        if index:
            continue
        parts.append(name)
    return " \u203a ".join(parts)  # a single right-pointing angle quote


def anchor(path: str) -> str:
    return "t-" + re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-")


def translations_view(data: Data) -> list[dict[str, Any]]:
    """Every string of the survey with a cell per language."""
    languages = data.get("languages", [])
    rows = []
    for path, text in iter_localized(data):
        cells = []
        for language in languages:
            value = text.get(language) or ""
            cells.append(
                {
                    "lang": language,
                    "name": f"t|{path}|{language}",
                    "value": value,
                    "missing": not value.strip(),
                    "long": len(max(text.values(), key=len, default="")) > 80,
                }
            )
        rows.append(
            {
                "path": path,
                "label": text_label(data, path),
                "anchor": anchor(path),
                "cells": cells,
                "missing": any(c["missing"] for c in cells),
            }
        )
    return rows


def missing_translations(data: Data) -> list[dict[str, Any]]:
    """Strings lacking one of the survey's languages, with where to fix them."""
    languages = data.get("languages", [])
    result = []
    for path, text in iter_localized(data):
        missing = [lang for lang in languages if not (text.get(lang) or "").strip()]
        if missing:
            result.append(
                {
                    "path": path,
                    "label": text_label(data, path),
                    "anchor": anchor(path),
                    "missing": missing,
                }
            )
    return result


def diff_summary(old: Data | None, new: Data) -> dict[str, list[str]]:
    """Which questions were added, removed or changed between two definitions."""
    if old is None:
        return {"added": [], "removed": [], "changed": [], "other": []}
    before = {q["key"]: q for _p, q in ops.iter_questions(old)}
    after = {q["key"]: q for _p, q in ops.iter_questions(new)}
    added = [k for k in after if k not in before]
    removed = [k for k in before if k not in after]
    changed = [k for k in after if k in before and after[k] != before[k]]
    order_before = [k for k in before if k in after]
    order_after = [k for k in after if k in before]
    other: list[str] = []
    if order_before != order_after:
        other.append(_("questions reordered"))
    if [p["key"] for p in old.get("pages", [])] != [p["key"] for p in new.get("pages", [])]:
        other.append(_("pages changed"))
    if old.get("endings") != new.get("endings"):
        other.append(_("endings changed"))
    if old.get("languages") != new.get("languages"):
        other.append(
            _("languages: %(old)s → %(new)s")
            % {
                "old": ", ".join(old.get("languages", [])),
                "new": ", ".join(new.get("languages", [])),
            }
        )
    if old.get("theme") != new.get("theme"):
        other.append(_("theme changed"))
    if old.get("hidden_fields") != new.get("hidden_fields"):
        other.append(_("hidden fields changed"))
    return {"added": added, "removed": removed, "changed": changed, "other": other}


def present_text(text: Any, lang: str, default: str) -> str:
    return localized(text, lang, default)[0]
