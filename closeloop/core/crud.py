"""Add, edit and delete pages for an organization's objects, all in one shape.

Settings pages repeat one flow: bind a form to the POST, call one service with the cleaned
data, show a service's refusal (`DomainError`) beside the field it names, redirect with a
message on success, and show a refused form again (status 400). A `Crud` holds what differs
between objects (the form, the access check, the services, the labels, where to go next) and
makes the views, each already wrapped in `org_view`, so that a page is a few lines:

    causes = Crud(read=READ, write=CONFIG, form=RootCauseForm, access=..., create=...,
                  update=..., delete=..., labels=Labels(added=_("Root cause added.")),
                  success_url="cases:root_causes")
    root_cause_list = causes.add_view(template="cases/root_causes.html", context=...)
    root_cause_edit = causes.edit_view(deletable=True)

Callables receive the request first; `org_view` has set `request.org` and `request.membership`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from django.views.decorators.http import require_POST

from closeloop.accounts.access import ViewFunc, org_view
from closeloop.accounts.roles import Perm
from closeloop.core.errors import DomainError

type Text = str | Promise
# A URL name that takes only the organization's slug, or a function of (request, object).
type Url = str | Callable[[HttpRequest, Any], str]
# Extra template context from (request, form or None, object or parent or None).
type Context = Callable[[HttpRequest, Form | None, Any], Mapping[str, Any]]

DELETE = "delete"  # the value of the `action` button that deletes on an edit form


def form_error(form: Form, exc: DomainError) -> None:
    """Show a service's refusal on the field it names (or on the form as a whole)."""
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


def form_errors_text(form: Form) -> str:
    """Every error of a form in one line, for a message when the form is not shown again."""
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


@dataclass(frozen=True)
class Labels:
    """The message after each action; `%(name)s` stands for the object's name."""

    added: Text = ""
    saved: Text = ""
    deleted: Text = ""
    invalid: Text = ""  # an inline edit refused, when the form says nothing more precise


def _no_context(request: HttpRequest, form: Form | None, obj: Any) -> Mapping[str, Any]:
    return {}


def _no_kwargs(request: HttpRequest, obj: Any) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Crud[M]:
    """What the add, edit and delete pages of one kind of object need.

    - `form(data, **form_kwargs(request, obj))` builds the form (`obj` is None when adding,
      or the parent when the object lives under another one).
    - `access(request, **url_kwargs)` finds the object, 404 for another organization's;
      `parent(request, **url_kwargs)` finds the parent an object is added under.
    - `create(request, cleaned_data, parent)`, `update(request, obj, cleaned_data)` and
      `delete(request, obj)` call the services.
    - `success_url` is where to go after adding or saving, `deleted_url` after deleting
      (default: `success_url`); `prepare(request)` runs first on the add page.
    """

    form: Callable[..., Form]
    labels: Labels
    success_url: Url
    read: Perm = Perm.VIEW
    write: Perm | None = None
    access: Callable[..., M] | None = None
    parent: Callable[..., Any] | None = None
    create: Callable[[HttpRequest, dict[str, Any], Any], M] | None = None
    update: Callable[[HttpRequest, M, dict[str, Any]], object] | None = None
    delete: Callable[[HttpRequest, M], object] | None = None
    form_kwargs: Callable[[HttpRequest, Any], dict[str, Any]] = _no_kwargs
    prepare: Callable[[HttpRequest], object] | None = None
    deleted_url: Url | None = None
    invalid_status: int = 400

    # --- the views ---------------------------------------------------------------------------

    def add_view(
        self,
        *,
        template: str,
        context: Context = _no_context,
        post_only: bool = False,
        read: Perm | None = None,
    ) -> ViewFunc:
        """The page with the add form (GET), and adding (POST). `post_only` when the form sits
        on a page with its own URL: a refused form shows that page again."""
        create = self.create
        assert create is not None, "add_view needs create"

        def view(request: HttpRequest, **kwargs: Any) -> HttpResponse:
            if self.prepare is not None:
                self.prepare(request)
            parent = self.parent(request, **kwargs) if self.parent is not None else None
            form = self._form(request, parent)
            if form.is_bound and form.is_valid():
                try:
                    obj = create(request, form.cleaned_data, parent)
                except DomainError as exc:
                    form_error(form, exc)
                else:
                    return self._done(request, self.labels.added, obj, self.success_url)
            return self._render(request, template, form, parent, context)

        return self._wrap(view, post_only=post_only, read=read)

    def edit_view(
        self,
        *,
        template: str | None = None,
        context: Context = _no_context,
        deletable: bool = False,
        read: Perm | None = None,
    ) -> ViewFunc:
        """The object's page with its form (GET), and saving it (POST). Without a template the
        form is inline on another page: POST only, and a refusal comes back as a message.
        `deletable`: the form's `action=delete` button deletes the object."""
        access, update = self.access, self.update
        assert access is not None and update is not None, "edit_view needs access and update"

        def view(request: HttpRequest, **kwargs: Any) -> HttpResponse:
            obj = access(request, **kwargs)
            if deletable and request.method == "POST" and request.POST.get("action") == DELETE:
                return self._delete(request, obj)
            form = self._form(request, obj)
            if form.is_bound and form.is_valid():
                try:
                    saved = update(request, obj, form.cleaned_data)
                except DomainError as exc:
                    form_error(form, exc)
                else:
                    shown = saved if saved is not None else obj
                    return self._done(request, self.labels.saved, shown, self.success_url)
            if template is None:
                messages.error(request, form_errors_text(form) or str(self.labels.invalid))
                return redirect(self._url(self.success_url, request, obj))
            return self._render(request, template, form, obj, context)

        return self._wrap(view, post_only=template is None, read=read)

    def delete_view(
        self,
        *,
        confirm_template: str | None = None,
        context: Context = _no_context,
        read: Perm | None = None,
    ) -> ViewFunc:
        """Delete the object (POST); with a template, GET asks to confirm first."""
        access = self.access
        assert access is not None, "delete_view needs access"

        def view(request: HttpRequest, **kwargs: Any) -> HttpResponse:
            obj = access(request, **kwargs)
            if request.method == "POST" or confirm_template is None:
                return self._delete(request, obj)
            return render(request, confirm_template, dict(context(request, None, obj)))

        return self._wrap(view, post_only=confirm_template is None, read=read)

    # --- the steps they share ----------------------------------------------------------------

    def _wrap(self, view: ViewFunc, *, post_only: bool, read: Perm | None) -> ViewFunc:
        if post_only:
            view = require_POST(view)
        return org_view(read=read or self.read, write=self.write)(view)

    def _form(self, request: HttpRequest, obj: Any) -> Form:
        data = request.POST if request.method == "POST" else None
        return self.form(data, **self.form_kwargs(request, obj))

    def _render(
        self, request: HttpRequest, template: str, form: Form, obj: Any, context: Context
    ) -> HttpResponse:
        status = self.invalid_status if form.errors else 200
        return render(
            request, template, {"form": form, **context(request, form, obj)}, status=status
        )

    def _url(self, url: Url, request: HttpRequest, obj: Any) -> str:
        if callable(url):
            return url(request, obj)
        return reverse(url, kwargs={"org_slug": request.org.slug})  # type: ignore[attr-defined]

    def _done(self, request: HttpRequest, label: Text, obj: Any, url: Url) -> HttpResponse:
        if label:
            messages.success(request, str(label) % {"name": obj})
        return redirect(self._url(url, request, obj))

    def _delete(self, request: HttpRequest, obj: M) -> HttpResponse:
        delete = self.delete
        assert delete is not None, "deleting needs delete"
        # Both addresses before the row goes: they may need the object's id or parent.
        back = self._url(self.success_url, request, obj)
        after = self._url(self.deleted_url or self.success_url, request, obj)
        name = str(obj)
        try:
            delete(request, obj)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect(back)
        return self._done(request, self.labels.deleted, name, lambda _request, _obj: after)
