"""Checks on a whole survey definition: keys, references, logic order, reachability, languages."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from closeloop.surveys.piping import malformed_tokens, references
from closeloop.surveys.schema import (
    ENDING_PREFIX,
    Condition,
    iter_leaves,
    iter_localized,
)

if TYPE_CHECKING:
    from closeloop.surveys.schema import SurveyDefinition

Issue = tuple[str, str]


class _Checker:
    def __init__(self, defn: SurveyDefinition) -> None:
        from closeloop.surveys.questions import QUESTION_TYPES

        self.defn = defn
        self.types = QUESTION_TYPES
        self.issues: list[Issue] = []
        self.page_index = {page.key: i for i, page in enumerate(defn.pages)}
        self.ending_keys = {ending.key for ending in defn.endings}
        self.hidden_keys = {h.key for h in defn.hidden_fields}
        # question key -> (page index, order across the survey)
        self.question_pos: dict[str, tuple[int, int]] = {}
        order = 0
        for p_index, page in enumerate(defn.pages):
            for question in page.questions:
                self.question_pos.setdefault(question.key, (p_index, order))
                order += 1

    def add(self, path: str, message: str) -> None:
        self.issues.append((path, message))

    # -- keys and languages

    def check_keys(self) -> None:
        def dupes(keys: list[str], path: str, what: str) -> None:
            seen: set[str] = set()
            for key in keys:
                if key in seen:
                    self.add(
                        path, _("%(what)s key '%(key)s' is used twice") % {"what": what, "key": key}
                    )
                seen.add(key)

        dupes([p.key for p in self.defn.pages], "pages", _("page"))
        dupes([q.key for _p, q in self.defn.iter_questions()], "pages", _("question"))
        dupes([e.key for e in self.defn.endings], "endings", _("ending"))
        dupes([h.key for h in self.defn.hidden_fields], "hidden_fields", _("hidden field"))

    def check_languages(self) -> None:
        defn = self.defn
        if len(set(defn.languages)) != len(defn.languages):
            self.add("languages", _("a language is listed twice"))
        if defn.default_language not in defn.languages:
            self.add(
                "default_language",
                _("the default language '%(lang)s' is not in languages")
                % {"lang": defn.default_language},
            )
            return
        known = set(defn.languages)
        for path, text in iter_localized(defn.model_dump(by_alias=True, exclude_none=True)):
            if not (text.get(defn.default_language) or "").strip():
                self.add(
                    path,
                    _("the text is empty in the default language '%(lang)s'")
                    % {"lang": defn.default_language},
                )
            extra = sorted(set(text) - known)
            if extra:
                self.add(
                    path,
                    _("text in %(langs)s, which is not one of the survey's languages")
                    % {"langs": ", ".join(extra)},
                )

    # -- references

    def check_condition(
        self,
        condition: Condition | None,
        path: str,
        owner: str,
        *,
        before_order: int | None = None,
        max_page: int | None = None,
    ) -> None:
        """Answers must come before question `before_order` and on page `max_page` or earlier."""
        if condition is None:
            return
        for leaf in iter_leaves(condition):
            if leaf.namespace == "hidden":
                if leaf.ref not in self.hidden_keys:
                    self.add(
                        path,
                        _("%(owner)s: condition uses hidden field '%(key)s', which is not declared")
                        % {"owner": owner, "key": leaf.ref},
                    )
                continue
            if leaf.namespace == "contact":
                continue
            if leaf.op == "nps_category" and leaf.namespace != "answer":
                continue
            message = self.answer_reference(
                leaf.ref, owner, before_order=before_order, max_page=max_page
            )
            if message:
                self.add(path, message)
                continue
            question = self.defn.question(leaf.ref)
            assert question is not None
            problem = self.types[question.type].check_condition(question, leaf.op, leaf.value)
            if problem:
                self.add(
                    path,
                    _("%(owner)s: condition on question '%(key)s': %(problem)s")
                    % {"owner": owner, "key": leaf.ref, "problem": problem},
                )

    def answer_reference(
        self, key: str, owner: str, *, before_order: int | None, max_page: int | None
    ) -> str | None:
        position = self.question_pos.get(key)
        if position is None:
            return _("%(owner)s: refers to question '%(key)s', which does not exist") % {
                "owner": owner,
                "key": key,
            }
        page_index, order = position
        question = self.defn.question(key)
        if question is not None and question.type == "statement":
            return _("%(owner)s: refers to '%(key)s', a statement, which takes no answer") % {
                "owner": owner,
                "key": key,
            }
        later = (before_order is not None and order >= before_order) or (
            max_page is not None and page_index > max_page
        )
        if later:
            return _(
                "%(owner)s: depends on question '%(key)s', which comes later "
                "(only earlier answers can be used)"
            ) % {"owner": owner, "key": key}
        return None

    def check_piping(
        self, data: Any, path: str, owner: str, *, before_order: int | None, max_page: int | None
    ) -> None:
        for text_path, text in iter_localized(data, path):
            for value in text.values():
                for token in malformed_tokens(value):
                    self.add(
                        text_path,
                        _(
                            "%(owner)s: '%(token)s' is not a valid reference "
                            "(use answer.<key>, hidden.<key> or contact.<attribute>)"
                        )
                        % {"owner": owner, "token": token},
                    )
                for ref in references(value):
                    if ref.namespace == "hidden" and ref.key not in self.hidden_keys:
                        self.add(
                            text_path,
                            _("%(owner)s: text uses hidden field '%(key)s', which is not declared")
                            % {"owner": owner, "key": ref.key},
                        )
                    elif ref.namespace == "answer":
                        message = self.answer_reference(
                            ref.key, owner, before_order=before_order, max_page=max_page
                        )
                        if message:
                            self.add(text_path, message)

    def check_target(self, target: str, page_index: int, path: str, owner: str) -> None:
        page_key = self.defn.pages[page_index].key
        if target.startswith(ENDING_PREFIX):
            ending = target.removeprefix(ENDING_PREFIX)
            if ending not in self.ending_keys:
                self.add(
                    path,
                    _("%(owner)s: goes to ending '%(key)s', which does not exist")
                    % {"owner": owner, "key": ending},
                )
            return
        target_index = self.page_index.get(target)
        if target_index is None:
            self.add(
                path,
                _(
                    "%(owner)s: goes to page '%(key)s', which does not exist (use 'ending:<key>' "
                    "for an ending)"
                )
                % {"owner": owner, "key": target},
            )
        elif target_index <= page_index:
            self.add(
                path,
                _("page '%(page)s': %(what)s goes back to page '%(key)s' (loops are not allowed)")
                % {
                    "page": page_key,
                    "what": _("jump") if ".jumps[" in path else _("next"),
                    "key": target,
                },
            )

    def check_references(self) -> None:
        defn = self.defn
        dumped = defn.model_dump(by_alias=True, exclude_none=True)
        for p_index, page in enumerate(defn.pages):
            p_path = f"pages[{p_index}]"
            p_owner = _("page '%(key)s'") % {"key": page.key}
            self.check_condition(page.show_if, f"{p_path}.show_if", p_owner, max_page=p_index - 1)
            self.check_piping(
                dumped["pages"][p_index].get("title"),
                f"{p_path}.title",
                p_owner,
                before_order=None,
                max_page=p_index - 1,
            )
            for j_index, jump in enumerate(page.jumps):
                j_path = f"{p_path}.jumps[{j_index}]"
                self.check_condition(jump.if_, f"{j_path}.if", p_owner, max_page=p_index)
                self.check_target(jump.to, p_index, f"{j_path}.to", p_owner)
            if page.next is not None:
                self.check_target(page.next, p_index, f"{p_path}.next", p_owner)
            for q_index, question in enumerate(page.questions):
                q_path = f"{p_path}.questions[{q_index}]"
                q_owner = _("question '%(key)s'") % {"key": question.key}
                order = self.question_pos[question.key][1]
                self.check_condition(
                    question.show_if, f"{q_path}.show_if", q_owner, before_order=order
                )
                q_data = {k: v for k, v in dumped["pages"][p_index]["questions"][q_index].items()}
                self.check_piping(q_data, q_path, q_owner, before_order=order, max_page=None)
        for e_index, ending in enumerate(defn.endings):
            e_path = f"endings[{e_index}]"
            e_owner = _("ending '%(key)s'") % {"key": ending.key}
            self.check_condition(ending.show_if, f"{e_path}.show_if", e_owner)
            self.check_piping(
                dumped["endings"][e_index], e_path, e_owner, before_order=None, max_page=None
            )
            button = ending.button
            if button is not None and button.url.startswith("{{"):
                for ref in references(button.url):
                    if ref.key not in self.hidden_keys:
                        self.add(
                            f"{e_path}.button.url",
                            _(
                                "%(owner)s: button link uses hidden field '%(key)s', which is not "
                                "declared"
                            )
                            % {"owner": e_owner, "key": ref.key},
                        )
        self.check_piping(
            {k: dumped.get(k) for k in ("title", "description")},
            "",
            _("survey"),
            before_order=None,
            max_page=-1,
        )

    # -- flow

    def default_next(self, index: int) -> str | None:
        page = self.defn.pages[index]
        if page.next is not None:
            return page.next
        if index + 1 < len(self.defn.pages):
            return self.defn.pages[index + 1].key
        return None

    def is_forward(self, target: str, index: int) -> bool:
        if target.startswith(ENDING_PREFIX):
            return target.removeprefix(ENDING_PREFIX) in self.ending_keys
        return self.page_index.get(target, -1) > index

    def check_flow(self) -> None:
        defn = self.defn
        reachable: set[int] = set()
        jumped_endings: set[str] = set()
        falls_through_from: list[str] = []
        stack = [0]
        while stack:
            index = stack.pop()
            if index in reachable:
                continue
            reachable.add(index)
            page = defn.pages[index]
            targets = [jump.to for jump in page.jumps]
            default = self.default_next(index)
            if default is not None and not self.is_forward(default, index):
                default = None  # already reported; do not report its consequences too
            if default is None:
                falls_through_from.append(page.key)
            else:
                targets.append(default)
            for target in targets:
                if target.startswith(ENDING_PREFIX):
                    jumped_endings.add(target.removeprefix(ENDING_PREFIX))
                elif target in self.page_index and self.page_index[target] > index:
                    stack.append(self.page_index[target])
        for index, page in enumerate(defn.pages):
            if index not in reachable:
                self.add(
                    f"pages[{index}]",
                    _("page '%(key)s' can never be reached: no page leads to it")
                    % {"key": page.key},
                )
        catch_all = next((e for e in defn.endings if e.show_if is None), None)
        if falls_through_from and catch_all is None:
            self.add(
                "endings",
                _(
                    "page '%(page)s': the survey can never reach an ending after this page when "
                    "no ending's condition holds; add an ending without show_if"
                )
                % {"page": sorted(falls_through_from)[0]},
            )
        for e_index, ending in enumerate(defn.endings):
            if ending.key in jumped_endings:
                continue
            if not falls_through_from:
                self.add(
                    f"endings[{e_index}]",
                    _("ending '%(key)s' can never be reached: every page jumps to another ending")
                    % {"key": ending.key},
                )
            elif catch_all is not None and defn.endings.index(catch_all) < e_index:
                self.add(
                    f"endings[{e_index}]",
                    _(
                        "ending '%(key)s' can never be reached: ending '%(first)s' before it "
                        "has no condition, so it is always chosen first"
                    )
                    % {"key": ending.key, "first": catch_all.key},
                )


def definition_issues(defn: SurveyDefinition) -> list[Issue]:
    """Every problem with a definition as (path, message); empty when it is sound."""
    checker = _Checker(defn)
    checker.check_keys()
    checker.check_languages()
    checker.check_references()
    checker.check_flow()
    return checker.issues
