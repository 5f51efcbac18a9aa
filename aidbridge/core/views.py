"""Generic views: an app's ``views.py`` sets a few attributes on these and is done.

- ``ObjectListView``: ``for_user`` queryset → FilterSet → select_related/annotations → 50 per page; with htmx
  a filter change re-renders only the results table. ``?format=csv`` or ``?format=xlsx`` downloads every row of
  the same queryset (the same filters, the same visibility) through ``aidbridge.core.exports``.
- ``ObjectDetailView``: one visible object (else 404), its fields, allowed transitions and audit history.
- ``DetailFormView``: a form embedded in a detail page (for example "add a source document").
- ``ObjectFormView``: create or edit through a ModelForm whose cleaned data goes to a service.
- ``ObjectActionView``: a POST-only transition button that calls one service.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Page, Paginator
from django.db import models
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.functional import cached_property
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View

from aidbridge.core import exports, panels, versioned
from aidbridge.core.errors import NotPermitted, ServiceError
from aidbridge.core.filters import filter_errors
from aidbridge.core.viewer import scope, viewer

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

    Text = str | StrPromise  # a label or message, possibly a lazy translation (gettext_lazy)

PER_PAGE = 50
COUNT_CAP = 10_000  # past this many rows a list says "more than 10,000" instead of counting them all
LIST_PARAMETERS = ("page", "format")  # what a list takes besides its filters
FILTER_HINT = _("use the filters above.")
DOWNLOADS_TEMPLATE = "generic/_downloads.html"  # "Download CSV | XLSX" with the list's current filters
FILTERS_TEMPLATE = "generic/_filters.html"  # a list's filter form (:meth:`ObjectListView.render_filters`)


class CappedPaginator(Paginator):
    """A paginator that counts at most ``cap`` + 1 rows: exact up to ``cap``, else "more than ``cap``".

    Counting every visible row of a 100,000-row table (or 700,000 audit events) on each page costs more than
    the page itself; a count capped with ``LIMIT`` reads at most ``cap`` + 1 rows, in no particular order.
    Past the cap, ``capped`` is true, the pages run to the cap (filters narrow the list down) and the
    template says "more than …" rather than a number it did not count.
    """

    def __init__(self, object_list: Any, per_page: int, cap: int | None = None) -> None:
        super().__init__(object_list, per_page)
        self.cap = COUNT_CAP if cap is None else cap

    @cached_property
    def count(self) -> int:
        qs = self.object_list
        if isinstance(qs, models.QuerySet):
            return versioned.count(qs, self.cap + 1)
        return min(len(qs), self.cap + 1)

    @property
    def capped(self) -> bool:
        return self.count > self.cap


ROWS_PER_PAGE = 100  # rows of a long table on a detail page (a run's requirements, a shipment's lines)


@dataclass(frozen=True)
class RowsPage:
    """One page of a long table on a detail page, with the links to the others: each keeps the rest of the
    address (the other tables' pages) and htmx swaps only the table's section (``generic/_row_pages.html``)."""

    page: Page
    section: str  # the id of the section the links replace
    first: str
    previous: str
    next: str
    last: str


def rows_page(request: HttpRequest, rows: Any, param: str, section: str, per_page: int | None = None) -> RowsPage:
    """Page ``request.GET[param]`` of ``rows`` (a list or a queryset, counted and sliced in the database)."""
    page = Paginator(rows, per_page or ROWS_PER_PAGE).get_page(request.GET.get(param))

    def url(number: int) -> str:
        query = request.GET.copy()
        query[param] = str(number)
        return f"?{query.urlencode()}#{section}"

    return RowsPage(page, section, url(1), url(page.previous_page_number() if page.has_previous() else 1),
                    url(page.next_page_number() if page.has_next() else page.paginator.num_pages),
                    url(page.paginator.num_pages))


# A rule on (the user's principal, the object); the principals are ``accounts.principal.Principal``.
Predicate = Callable[[Any, Any], bool]


@dataclass(frozen=True)
class Column:
    """One table column or one row of a detail page's field list.

    ``accessor`` is a dotted path on the object (callables are called); ``kind`` picks the renderer in
    ``aidbridge.core.templatetags.aidbridge`` (text, link, status, fill, use, number, money, date, bool…).
    """

    label: Text
    accessor: str
    kind: str = "text"


@dataclass(frozen=True)
class Transition:
    """A status change offered as a POST button on the detail page. The service remains the authority."""

    name: str
    label: Text
    service: Callable[..., Any]
    allowed: Predicate
    style: str = ""
    confirm: Text = ""
    done: Text = ""


def url_name(obj: models.Model | type[models.Model], suffix: str = "") -> str:
    """URL names follow one convention: ``<app_label>:<model_name>[_<suffix>]``."""
    meta = obj._meta
    return f"{meta.app_label}:{meta.model_name}" + (f"_{suffix}" if suffix else "")


def detail_url(obj: models.Model) -> str:
    return reverse(url_name(obj), args=[obj.pk])


def forbidden(request: HttpRequest, message: Text) -> HttpResponse:
    return render(request, "403.html", {"message": message}, status=403)


def apply_service_errors(form: forms.BaseForm, exc: ServiceError) -> None:
    """Put a service's field errors on the matching form fields; the rest become non-field errors.

    A non-field error is shown as the service wrote it: the service's internal field names ("run", "lines")
    mean nothing to the person reading the form.
    """
    for name, texts in exc.errors.items():
        form.add_error(name if name in form.fields else None, list(texts))


def label_filter_form(form: forms.Form, labels: Mapping[str, Text]) -> None:
    """A FilterSet form's labels as the page names them (its errors quote them)."""
    form.label_suffix = ""
    for name, field in form.fields.items():
        field.label = labels.get(name, field.label)


def tune_filter_form(form: forms.Form, choices: Mapping[str, list[tuple[Any, str]]]) -> None:
    """Make FilterSet widgets pleasant: checkboxes for multi-choice, date pickers, selects for id filters."""
    for name, field in form.fields.items():
        if name in choices:
            field.widget = forms.Select(choices=[("", gettext("Any")), *choices[name]])
        elif isinstance(field, forms.MultipleChoiceField):
            field.widget = forms.CheckboxSelectMultiple(choices=field.choices)
        elif isinstance(field, forms.DateField):
            field.widget = forms.DateInput(attrs={"type": "date"})
        elif name == "q":
            field.widget = forms.TextInput(attrs={"type": "search", "placeholder": gettext("Search…")})
        elif isinstance(field, forms.NullBooleanField):
            field.widget = forms.Select(choices=[("", gettext("Any")), ("true", gettext("Yes")),
                                                 ("false", gettext("No"))])
        elif isinstance(field, forms.ChoiceField):
            field.widget.choices = [("", gettext("Any")), *[c for c in field.choices if c[0] != ""]]


def list_download(request: HttpRequest, stem: str, columns: Sequence[Column], objects: Iterable[Any], *,
                  title: str = "", shown: Callable[[Any, Sequence[Column]], Sequence[Column]] | None = None,
                  ) -> HttpResponse | None:
    """``?format=csv|xlsx`` on a list page that is not an :class:`ObjectListView`: every object of ``objects``
    (already scoped and filtered as the page lists them) under ``columns``; ``None`` when no format is asked for.

    An unknown format answers 422 naming the two that exist. ``shown`` gives a row's columns as the user may see
    them (releasability), as :meth:`ObjectListView.shown_columns` does.
    """
    fmt = request.GET.get("format")
    if fmt is None:
        return None
    if fmt not in exports.FORMATS:
        return HttpResponse(exports.FORMAT_MESSAGE, status=422, content_type="text/plain; charset=utf-8")
    cols = list(columns)
    rows = (exports.list_row(obj, cols, shown(obj, cols) if shown else None) for obj in objects)
    return exports.download(fmt, stem, exports.list_header(cols), rows, title=title or stem)


class AppView(LoginRequiredMixin, View):
    @property
    def principal(self) -> Any:
        """The user's ``accounts.principal.Principal`` (through ``core.viewer``, as core sits below accounts)."""
        return viewer(self.request.user)


def visible(view: AppView, model: type[models.Model], pk: Any, related: Sequence[str] = (),
            annotations: Sequence[str] = ()) -> Any:
    """The object if the user may see it, else 404: never reveal that it exists."""
    qs = model.objects.for_user(view.request.user).select_related(*related)  # type: ignore[attr-defined]
    for name in annotations:
        qs = getattr(qs, name)()
    return get_object_or_404(qs, pk=pk)


class ObjectListView(AppView):
    model: type[models.Model]
    filterset_class: type | None = None
    filter_labels: Mapping[str, Text] = {}
    columns: Sequence[Column] = ()
    related: Sequence[str] = ()
    annotations: Sequence[str] = ()
    title: Text = ""
    template_name = "generic/object_list.html"
    results_template = "generic/_results.html"
    create_permission: Callable[[Any], bool] | None = None
    links: Sequence[tuple[str, str]] = ()  # (label, URL name) shown beside the title
    count_cap: int | None = None  # count at most this many rows (default COUNT_CAP), see CappedPaginator

    def get_queryset(self) -> models.QuerySet:
        return self.model.objects.for_user(self.request.user)  # type: ignore[attr-defined]

    def filter_choices(self) -> dict[str, list[tuple[Any, str]]]:
        return {}

    def shown_columns(self, obj: Any, columns: Sequence[Column]) -> Sequence[Column]:
        """``columns`` as the user may see them on ``obj``: a list whose rows withhold fields (releasability)
        returns the same columns with the kind "withheld" (or "month") where a value is hidden."""
        return columns

    def export_stem(self) -> str:
        """The download's file name part, in English whatever the page's language (a file name is ASCII)."""
        with translation.override(settings.LANGUAGE_CODE):
            return str(self.title or self.model._meta.verbose_name_plural)

    def export(self, fmt: str, qs: models.QuerySet) -> HttpResponse:
        """Every row of ``qs`` (the page's filtered, visible queryset) as a CSV or XLSX download."""
        columns = list(self.columns)
        rows = (exports.list_row(obj, columns, self.shown_columns(obj, columns)) for obj in qs)
        return exports.download(fmt, self.export_stem(), exports.list_header(columns), rows,
                                title=str(self.title or str(self.model._meta.verbose_name_plural).capitalize()))

    def render_results(self, request: HttpRequest, page: Any, context: dict[str, Any]) -> SafeString:
        """The table of results, its count and its pages (``results_template``), cached until the next write.

        Rendering fifty rows costs more than the page's queries. The key names everything the fragment depends
        on besides the data: the view, the language, the viewer's scope (whose fields a row withholds), the
        address (filters, page) and the page's own query, whose SQL holds what the viewer may see.
        """
        def render() -> SafeString:
            return mark_safe(render_to_string(self.results_template, context, request=request))  # noqa: S308

        rows = page.object_list
        query = versioned.query_key(rows) if isinstance(rows, models.QuerySet) else None
        if query is None:
            return render()
        key = ("core.list", type(self).__module__, type(self).__qualname__, self.results_template,
               translation.get_language(), scope(request.user), request.get_full_path(), *query)
        return versioned.cached(key, render)

    def render_filters(self, request: HttpRequest, filterset: Any, context: dict[str, Any]) -> SafeString:
        """The filter form, cached until the next write like :meth:`render_results`.

        Its widgets, and the choices they offer (``filter_choices``: what the viewer may see), are made only when
        it is rendered: a form of ten fields costs more to render than the page's queries. The key names the view,
        the language, the viewer's scope and the address's parameters but the page (the values and errors shown).
        """
        if filterset is None:
            return mark_safe("")

        def render() -> SafeString:
            tune_filter_form(filterset.form, self.filter_choices())
            return mark_safe(render_to_string(FILTERS_TEMPLATE, context, request=request))  # noqa: S308

        parameters = sorted((name, value) for name, values in request.GET.lists() if name != "page"
                            for value in values)
        key = ("core.filters", type(self).__module__, type(self).__qualname__, translation.get_language(),
               scope(request.user), request.path, parameters)
        return versioned.cached(key, render)

    def get(self, request: HttpRequest) -> HttpResponse:
        qs = self.get_queryset()
        filterset = None
        errors: list[tuple[str, list[str]]] = []
        fmt = request.GET.get("format")
        if self.filterset_class is not None:
            filterset = self.filterset_class(request.GET or None, queryset=qs, request=request)
            label_filter_form(filterset.form, self.filter_labels)
            fields = filterset.form.fields
            errors = [(str(fields[name].label) if name in fields else name, messages)
                      for name, messages in filter_errors(filterset, extra=LIST_PARAMETERS, hint=FILTER_HINT).items()]
        if fmt is not None and fmt not in exports.FORMATS:
            errors.append(("Download format", [exports.FORMAT_MESSAGE]))
        if errors:  # a filter that cannot be read lists nothing: showing everything would pass for an answer
            qs = qs.none()
        elif filterset is not None:
            qs = filterset.qs
        qs = qs.select_related(*self.related)
        for name in self.annotations:  # after filtering: the FilterSet may OR querysets together
            qs = getattr(qs, name)()
        if not qs.ordered:  # aggregate annotations (GROUP BY) drop Meta.ordering
            qs = qs.order_by(*(self.model._meta.ordering or ["pk"]))
        if fmt is not None and not errors:
            return self.export(fmt, qs)
        page = CappedPaginator(qs, PER_PAGE, cap=self.count_cap).get_page(request.GET.get("page"))
        create = type(self).create_permission
        context = {
            "title": self.title or self.model._meta.verbose_name_plural.capitalize(),
            "filterset": filterset,
            "page": page,
            "columns": self.columns,
            "create_url": reverse(url_name(self.model, "add")) if create and create(self.principal) else None,
            "links": [(label, reverse(name)) for label, name in self.links],
            "filter_errors": errors,
        }
        context["results_html"] = self.render_results(request, page, context)
        htmx = getattr(request, "htmx", None)
        status = 422 if errors else 200
        if bool(htmx) and not htmx.history_restore_request and htmx.target == "results":
            response = HttpResponse(context["results_html"], status=status)
            # The download links carry the filters: htmx swaps them in beside the table (out of band).
            response.write(render_to_string(DOWNLOADS_TEMPLATE, {"oob": True}, request=request))
        else:
            context["filters_html"] = self.render_filters(request, filterset, context)
            response = render(request, self.template_name, context, status=status)
        patch_vary_headers(response, ("HX-Request", "HX-Target"))
        return response


class ObjectDetailView(AppView):
    model: type[models.Model]
    fields: Sequence[Column] = ()
    related: Sequence[str] = ()
    annotations: Sequence[str] = ()
    transitions: Sequence[Transition] = ()
    edit_permission: Predicate | None = None
    template_name = "generic/object_detail.html"

    def get_object(self, pk: Any) -> Any:
        return visible(self, self.model, pk, self.related, self.annotations)

    def get_extra_context(self, obj: Any) -> dict[str, Any]:
        return {}

    def get_context(self, obj: Any, **overrides: Any) -> dict[str, Any]:
        p = self.principal
        edit = type(self).edit_permission
        context = {
            "object": obj,
            "title": str(obj),
            "fields": self.fields,
            "transitions": [t for t in self.transitions if t.allowed(p, obj)],
            "edit_url": reverse(url_name(obj, "edit"), args=[obj.pk]) if edit and edit(p, obj) else None,
            "stats": panels.stats_for(self.request.user, obj),  # what apps above add (core.panels)
            "panels": panels.panels_for(self.request.user, obj),
        }
        context.update(self.get_extra_context(obj))
        context.update(overrides)
        return context

    def get(self, request: HttpRequest, pk: Any) -> HttpResponse:
        return render(request, self.template_name, self.get_context(self.get_object(pk)))


class DetailFormView(ObjectDetailView):
    """POST target of a form shown on a detail page. Errors re-render the detail page next to the fields."""

    form_class: type[forms.BaseForm]
    form_name = "form"
    permission: Predicate | None = None
    success_message: Text = _("Saved.")
    http_method_names = ["post"]

    def get_form(self, obj: Any) -> forms.BaseForm:
        return self.form_class(self.request.POST, self.request.FILES, user=self.request.user)

    def perform(self, obj: Any, form: forms.BaseForm) -> Any:
        raise NotImplementedError

    def post(self, request: HttpRequest, pk: Any) -> HttpResponse:
        obj = self.get_object(pk)
        permission = type(self).permission
        if permission is not None and not permission(self.principal, obj):
            return forbidden(request, gettext("You may not make this change."))
        form = self.get_form(obj)
        if form.is_valid():
            try:
                self.perform(obj, form)
            except NotPermitted as exc:
                return forbidden(request, exc.message)
            except ServiceError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, self.success_message)
                # An explicit fragment: the form's own "#section" would otherwise carry over and hide the message.
                return HttpResponseRedirect(detail_url(obj) + "#main")
        context = self.get_context(obj, **{self.form_name: form})
        return render(request, self.template_name, context, status=422)


class ObjectFormView(AppView):
    """``add/`` (no pk) calls ``create_service(actor=…, **cleaned_data)``; ``<pk>/edit/`` calls
    ``update_service(actor=…, <object_kwarg>=obj, changes=cleaned_data)``."""

    model: type[models.Model]
    form_class: type[forms.ModelForm]
    create_service: Callable[..., Any] | None = None
    update_service: Callable[..., Any] | None = None
    object_kwarg = ""
    permission: Predicate | None = None
    related: Sequence[str] = ()
    template_name = "generic/object_form.html"

    def form_kwargs(self) -> dict[str, Any]:
        return {"user": self.request.user}

    def _setup(self, pk: Any) -> tuple[Any, HttpResponse | None]:
        obj = visible(self, self.model, pk, self.related) if pk is not None else None
        permission = type(self).permission
        if permission is not None and not permission(self.principal, obj):
            message = (gettext("You may not change this.") if obj is not None else
                       gettext("You may not add a %(thing)s.") % {"thing": self.model._meta.verbose_name})
            return obj, forbidden(self.request, message)
        return obj, None

    def _render(self, obj: Any, form: forms.BaseForm, status: int = 200) -> HttpResponse:
        noun = self.model._meta.verbose_name
        context = {
            "object": obj,
            "form": form,
            "title": (gettext("Edit %(object)s") % {"object": obj} if obj is not None
                      else gettext("Add %(thing)s") % {"thing": noun}),
            "cancel_url": detail_url(obj) if obj is not None else reverse(url_name(self.model, "list")),
        }
        return render(self.request, self.template_name, context, status=status)

    def get(self, request: HttpRequest, pk: Any = None) -> HttpResponse:
        obj, denied = self._setup(pk)
        if denied:
            return denied
        return self._render(obj, self.form_class(instance=obj, **self.form_kwargs()))

    def post(self, request: HttpRequest, pk: Any = None) -> HttpResponse:
        obj, denied = self._setup(pk)
        if denied:
            return denied
        # The form validates a throw-away copy; the service re-reads the row under its own lock.
        scratch = type(obj).objects.get(pk=obj.pk) if obj is not None else None
        form = self.form_class(request.POST, request.FILES, instance=scratch, **self.form_kwargs())
        if form.is_valid():
            data = {name: form.cleaned_data[name] for name in form.fields if name in form.cleaned_data}
            try:
                if obj is None:
                    saved = type(self).create_service(actor=request.user, **data)  # type: ignore[misc]
                else:
                    saved = type(self).update_service(  # type: ignore[misc]
                        actor=request.user, changes=data, **{self.object_kwarg: obj}
                    )
            except NotPermitted as exc:
                return forbidden(request, exc.message)
            except ServiceError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, gettext("Saved %(object)s.") % {"object": saved})
                return HttpResponseRedirect(detail_url(saved))
        return self._render(obj, form, status=422)


class ObjectActionView(AppView):
    """POST-only: run one ``Transition`` on a visible object, report the outcome, go back to the object."""

    model: type[models.Model] | None = None
    transition: Transition | None = None
    object_kwarg = ""
    related: Sequence[str] = ()
    next_url: Callable[[Any], str] | None = None
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: Any) -> HttpResponse:
        assert self.model is not None and self.transition is not None
        obj = visible(self, self.model, pk, self.related)
        try:
            result = self.transition.service(actor=request.user, **{self.object_kwarg: obj})
        except NotPermitted as exc:
            return forbidden(request, exc.message)
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            done = self.transition.done or gettext("%(action)s: done.") % {"action": self.transition.label}
            messages.success(request, done)
            if isinstance(result, models.Model):
                obj = result
        return HttpResponseRedirect(self.next_url(obj) if self.next_url else detail_url(obj))


def transition_paths(model: type[models.Model], object_kwarg: str, transitions: Sequence[Transition], *,
                     prefix: str = "", **options: Any) -> list[Any]:
    """``<prefix><pk>/<name>/`` URL patterns, one per transition, named ``<model>_<name>``."""
    return [
        path(f"{prefix}<int:pk>/{t.name}/",
             ObjectActionView.as_view(model=model, transition=t, object_kwarg=object_kwarg, **options),
             name=f"{model._meta.model_name}_{t.name}")
        for t in transitions
    ]


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")
