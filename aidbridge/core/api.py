"""Shared pieces of the REST API: authentication, error bodies, pagination, visibility and filters.

Every app's ``api.py`` is thin: it parses, resolves ids through ``for_user``, calls a service and returns.
The helpers here keep that shape short and make every endpoint answer errors the same way.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import json
from collections.abc import Callable, Mapping
from decimal import Decimal
from types import UnionType
from typing import Annotated, Any, Literal, Optional, TypeVar, Union, get_args, get_origin, get_type_hints

import django_filters
from django.db import IntegrityError, OperationalError, models
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.datastructures import MultiValueDict
from ninja import Field, NinjaAPI, Query, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.pagination import LimitOffsetPagination, paginate
from pydantic import AfterValidator, BaseModel, BeforeValidator, WithJsonSchema, create_model, field_validator
from pydantic_core import PydanticCustomError

from aidbridge.core import exports, versioned
from aidbridge.core.errors import BUSY_MESSAGE, ServiceError, is_database_busy
from aidbridge.core.fields import MAX_QUANTITY, MIN_QUANTITY, parse_quantity
from aidbridge.core.filters import MAX_DB_INT, MIN_DB_INT, filter_errors, unknown_parameters

M = TypeVar("M", bound=models.Model)
F = TypeVar("F", bound=Callable[..., Any])

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
NOT_FOUND = "Not found."
PARAM_SOURCES = frozenset({"body", "query", "path", "form", "file", "header", "cookie"})
# Far past any real list, and inside every database's LIMIT/OFFSET range.
MAX_OFFSET = 2**31 - 1


# --- authentication ---------------------------------------------------------------------------------------

def actor(request: HttpRequest) -> Any:
    """The authenticated user, whichever door they came in by."""
    return request.auth  # type: ignore[attr-defined]


# --- errors -------------------------------------------------------------------------------------------------

class ErrorOut(Schema):
    detail: str
    errors: dict[str, list[str]] = Field(default_factory=dict, description="Field name → messages.")


# 400: a body that is not JSON (or not multipart form data) at all.
ERRORS: dict[int, Any] = {
    400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut,
}
READ_ERRORS: dict[int, Any] = {401: ErrorOut, 404: ErrorOut, 422: ErrorOut}


def _field_of(loc: Any) -> str:
    """The field a pydantic error is about, without ninja's prefixes.

    ninja reports ``("body", "payload", "nsn")`` for a body field, ``("query", "organisation")`` for a
    scalar query parameter and ``("query", "filters", "status", 0)`` for a repeated one.
    """
    parts = [str(p) for p in (loc or ()) if not isinstance(p, int)]
    if not parts or parts[0] not in PARAM_SOURCES:
        return parts[0] if parts else "__all__"
    source, parts = parts[0], parts[1:]
    if not parts:
        return "__all__"
    if source == "body":
        return parts[1] if len(parts) > 1 else parts[0]  # drop the body parameter's own name
    return parts[-1]  # query, path, form and file parameters are flat


def _error_body(detail: str, errors: Mapping[str, list[str]] | None = None) -> dict[str, Any]:
    return {"detail": detail, "errors": dict(errors or {})}


def install_exception_handlers(api: NinjaAPI) -> None:
    """Map every refusal to ``{"detail": …, "errors": {field: [messages]}}`` with the right status."""

    def on_service_error(request: HttpRequest, exc: Any) -> HttpResponse:
        return api.create_response(request, _error_body(exc.detail, exc.errors), status=exc.status_code)

    def on_validation_error(request: HttpRequest, exc: Any) -> HttpResponse:
        errors: dict[str, list[str]] = {}
        for error in exc.errors:
            errors.setdefault(_field_of(error.get("loc")), []).append(str(error.get("msg", "Invalid value.")))
        detail = "Invalid input: " + " ".join(
            f"{field}: {'; '.join(messages)}" for field, messages in errors.items()
        )
        return api.create_response(request, _error_body(detail, errors), status=422)

    def on_not_found(request: HttpRequest, exc: Any) -> HttpResponse:
        return api.create_response(request, _error_body(NOT_FOUND), status=404)

    def on_authentication_error(request: HttpRequest, exc: Any) -> HttpResponse:
        response = api.create_response(
            request,
            _error_body("Authentication required: send “Authorization: Bearer <token>” or log in."),
            status=401,
        )
        response["WWW-Authenticate"] = "Bearer"
        return response

    def on_http_error(request: HttpRequest, exc: Any) -> HttpResponse:
        return api.create_response(request, _error_body(str(exc)), status=exc.status_code)

    def on_integrity_error(request: HttpRequest, exc: Any) -> HttpResponse:
        # A unique or check constraint lost a race that validation could not see coming.
        return api.create_response(
            request, _error_body("The change conflicts with another record; reload and try again."),
            status=409,
        )

    api.add_exception_handler(ServiceError, on_service_error)
    api.add_exception_handler(ValidationError, on_validation_error)
    api.add_exception_handler(Http404, on_not_found)
    api.add_exception_handler(AuthenticationError, on_authentication_error)
    api.add_exception_handler(HttpError, on_http_error)
    api.add_exception_handler(IntegrityError, on_integrity_error)

    def on_operational_error(request: HttpRequest, exc: Any) -> HttpResponse:
        if is_database_busy(exc):  # SQLite: another writer held the database; nothing was written
            return api.create_response(request, _error_body(BUSY_MESSAGE), status=409)
        raise exc

    api.add_exception_handler(OperationalError, on_operational_error)


# --- the index ----------------------------------------------------------------------------------------------

class IndexOut(Schema):
    name: str
    version: str
    docs: str = Field(description="The interactive documentation (OpenAPI).")
    openapi: str = Field(description="The OpenAPI schema.")
    authentication: str
    resources: dict[str, str] = Field(description="Resource name → the URL that lists it.")


def install_index(api: NinjaAPI) -> None:
    """``GET /api/v1/``: what a newcomer needs first: the resources, the docs and how to authenticate.

    Call it after the routers are added: the resources are read from them, so the index cannot go stale.
    """

    @api.get("/", response=IndexOut, auth=None, tags=["index"], summary="Index of the API")
    def index(request: HttpRequest) -> dict[str, Any]:
        root = request.path if request.path.endswith("/") else request.path + "/"
        names: dict[str, None] = {}
        for _prefix, router in api._routers:
            for path in router.path_operations:
                first = path.strip("/").split("/", 1)[0]
                if first and "{" not in first:
                    names.setdefault(first)
        return {
            "name": api.title,
            "version": api.version,
            "docs": root + api.docs_url.lstrip("/") if api.docs_url else "",
            "openapi": root + api.openapi_url.lstrip("/") if api.openapi_url else "",
            "authentication": "Send “Authorization: Bearer <token>” (make one with `aidbridge token create "
                              "--user NAME --scope read-write`; a read token may only read) or log in.",
            "resources": {name: root + name for name in sorted(names)},
        }


# --- input ------------------------------------------------------------------------------------------------

def storable_text(value: str) -> str:
    """Refuse text no database column can hold: NUL characters (PostgreSQL) and lone surrogates (any)."""
    if "\x00" in value:
        raise ValueError("Text may not contain NUL (\\x00) characters.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("Text must be valid Unicode (it contains a lone surrogate).") from None
    return value


def require_storable(**values: str) -> None:
    """:func:`storable_text` for plain parameters (ninja drops a default given with an annotated Form type)."""
    errors: dict[str, list[str]] = {}
    for field, value in values.items():
        try:
            storable_text(value)
        except ValueError as exc:
            errors[field] = [str(exc)]
    if errors:
        raise ServiceError(errors)


Text = Annotated[str, AfterValidator(storable_text)]
"""A ``str`` parameter (path, query or form) that is refused with 422 unless a database can store it."""

def _custom_error(message: str) -> PydanticCustomError:
    # PydanticCustomError, not ValueError: pydantic would prefix the message with "Value error, ".
    return PydanticCustomError("invalid_value", message)


def _db_int(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool) and not MIN_DB_INT <= value <= MAX_DB_INT:
        raise _custom_error(ID_TOO_LARGE)
    return value


ID_TOO_LARGE = "No record has a number that large; give an id shown on a record."

DbInt = Annotated[int, AfterValidator(_db_int),
                  WithJsonSchema({"type": "integer", "minimum": MIN_DB_INT, "maximum": MAX_DB_INT})]
"""An integer a database column can be compared with; larger ones answer 422 instead of overflowing."""


def _quantity(value: Any) -> int:
    try:
        return parse_quantity(value)
    except ValueError as exc:
        raise _custom_error(str(exc)) from None


Quantity = Annotated[int, BeforeValidator(_quantity),
                     WithJsonSchema({"type": "integer", "minimum": MIN_QUANTITY, "maximum": MAX_QUANTITY})]
"""A count of units: the same rules and messages as the forms and the services (``aidbridge.core.fields``)."""


class InputSchema(Schema):
    """The base of every request schema: its text fields are :func:`storable_text`."""

    @field_validator("*", mode="after")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        if isinstance(value, str):
            return storable_text(value)
        if isinstance(value, list):
            for element in value:
                if isinstance(element, str):
                    storable_text(element)
        return value


# --- visibility ---------------------------------------------------------------------------------------------

def get_visible_or_404(queryset: models.QuerySet[M], pk: int) -> M:
    """The object if it is in the (``for_user``) queryset; otherwise 404, whether it exists or not."""
    obj = queryset.filter(pk=pk).first()
    if obj is None:
        raise Http404(NOT_FOUND)
    return obj


def _ref(value: Any) -> Any:
    if isinstance(value, str):
        storable_text(value)
        if value.isascii() and value.isdigit():  # "12" is the id 12, as in the filters
            digits = value.lstrip("0") or "0"
            if len(digits) > 19 or int(digits) > MAX_DB_INT:
                raise _custom_error(ID_TOO_LARGE)
            return int(digits)
    return value


Ref = Annotated[DbInt | str, AfterValidator(_ref)]
"""A body field naming an object by its id or by the reference the UI shows for it.

The model says which: ``REFERENCE_FIELD`` (an item's ``code`` "GEN-100KW", a location's ``unlocode`` "UA LWO",
a hub's ``code`` "PL-RZE", an organisation's ``short_name`` "ua-mod") or ``REFERENCE_PREFIX`` (a pledge's
"PLG-00431", a requirement's "REQ-00031"). :func:`resolve_refs` turns either into the object.
"""


def reference_lookup(model: type[models.Model], value: Any) -> models.Q | None:
    """The condition that finds ``value`` (an id, or a reference as the UI shows it) in ``model``.

    ``None`` when the value cannot name any ``model`` row (a reference the model does not take).
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return models.Q(pk=value)
    if not isinstance(value, str):
        return None
    prefix = getattr(model, "REFERENCE_PREFIX", "")
    if prefix and value[:len(prefix)].upper() == prefix:
        number = value[len(prefix):]
        if number.isascii() and number.isdigit() and len(number.lstrip("0")) <= 19 and int(number) <= MAX_DB_INT:
            return models.Q(pk=int(number))
        return None
    field = getattr(model, "REFERENCE_FIELD", "")
    return models.Q(**{field: value}) if field else None


def _reference_hint(model: type[models.Model]) -> str:
    prefix = getattr(model, "REFERENCE_PREFIX", "")
    field = getattr(model, "REFERENCE_FIELD", "")
    if prefix:
        return f"the id or the reference ({prefix}…)"
    if field:
        return f"the id or the {getattr(model._meta.get_field(field), 'verbose_name', field)}"
    return "the id"


def resolve_refs(
    user: Any, data: dict[str, Any], refs: Mapping[str, type[models.Model]]
) -> dict[str, Any]:
    """Replace the ids or references (see :data:`Ref`) in ``data`` by the objects they name, among those the
    user may see.

    An id or reference that does not exist and one the user may not see get the same 422, naming the field.
    """
    errors: dict[str, list[str]] = {}
    for field, model in refs.items():
        if field not in data:
            continue
        value = data[field]
        label = model._meta.verbose_name
        if value is None:
            errors[field] = [f"Give {_reference_hint(model)} of a {label}."]
            continue
        lookup = reference_lookup(model, value)
        obj = (model._default_manager.for_user(user).filter(lookup).first()  # type: ignore[attr-defined]
               if lookup is not None else None)
        if obj is None:
            named = f"id {value}" if isinstance(value, int) else f"“{value}”"
            errors[field] = [f"There is no {label} with {named}; give {_reference_hint(model)} of one you can see."]
        else:
            data[field] = obj
    if errors:
        raise ServiceError(errors)
    return data


# --- pagination and filters ---------------------------------------------------------------------------------

class Pagination(LimitOffsetPagination):
    """``?limit=&offset=`` → ``{"count": N, "items": [...]}``; the count is cached until the next write
    (:mod:`aidbridge.core.versioned`)."""

    def _items_count(self, queryset: Any) -> int:
        if isinstance(queryset, models.QuerySet):
            return versioned.count(queryset)
        return len(queryset)

    class Input(LimitOffsetPagination.Input):
        # An offset past the database's integer range overflowed (500 on PostgreSQL, 409 on SQLite).
        offset: int = Field(0, ge=0, le=MAX_OFFSET)


DOWNLOAD_CONTENT = {  # what ``?format=`` answers instead of JSON, for the OpenAPI schema
    exports.CONTENT_TYPES["csv"].split(";")[0]: {"schema": {"type": "string"}},
    exports.CONTENT_TYPES["xlsx"]: {"schema": {"type": "string", "format": "binary"}},
}


class ExportInput(Schema):
    format: Optional[Literal["csv", "xlsx"]] = Field(  # noqa: UP045
        None, description="csv or xlsx: download every row the filters select (limit and offset apply only "
                          "when given), as a spreadsheet, instead of a JSON page.")


def stable_order(items: Any) -> Any:
    """A list's queryset in a total order: its model's ordering, then the id.

    Without one, a page and the next (or a page and the download of the same list) could disagree: Django drops
    ``Meta.ordering`` from a query that groups (``with_use``, ``with_fill``), and PostgreSQL then returns rows in
    whatever order its plan gives.
    """
    if not isinstance(items, models.QuerySet) or items.query.order_by:
        return items
    ordering = list(items.model._meta.ordering or [])
    if not {"pk", "-pk", "id", "-id"} & set(ordering):
        ordering.append("pk")
    return items.order_by(*ordering)


def paginated(func: F) -> F:
    """``@paginate(Pagination)``, for views written with ``from __future__ import annotations``; and
    ``?format=csv|xlsx`` on every list, through :func:`export_list`.

    ninja resolves a wrapped view's string annotations in the wrapper's module, where the view's own
    names (its filter schema) are unknown; resolving them here, in the view's module, avoids that.
    """
    func.__annotations__ = get_type_hints(func, include_extras=True)
    declared = _query_names(func)
    pagination = list(Pagination.Input.model_fields)
    accepted = [*pagination, *ExportInput.model_fields]

    @functools.wraps(func)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        # ninja drops a query parameter it does not know: ``?due_by=…`` listed everything, unfiltered.
        errors = unknown_parameters(list(request.GET.keys()), declared, extra=accepted)
        if errors:
            raise ServiceError(errors)
        return stable_order(func(request, *args, **kwargs))

    paged = paginate(Pagination)(checked)
    item_schema: list[Any] = []

    @functools.wraps(paged)
    def exporting(request: HttpRequest, **kwargs: Any) -> Any:
        export = kwargs.pop("ninja_export", None)
        fmt = export.format if export is not None else None
        if fmt is None:
            return paged(request, **kwargs)
        page = kwargs.pop("ninja_pagination", None)
        items = checked(request, **kwargs)
        if page is not None and ("offset" in request.GET or "limit" in request.GET):
            items = items[page.offset:page.offset + page.limit]
        return export_list(request, fmt, item_schema[0], items)

    return _export_contributions(exporting, paged, item_schema)


def exportable(func: F) -> F:
    """``?format=csv|xlsx`` on a list endpoint that is not paginated (:func:`paginated` lists have it)."""
    func.__annotations__ = get_type_hints(func, include_extras=True)
    item_schema: list[Any] = []

    @functools.wraps(func)
    def exporting(request: HttpRequest, **kwargs: Any) -> Any:
        export = kwargs.pop("ninja_export", None)
        result = func(request, **kwargs)
        if export is None or export.format is None:
            return result
        return export_list(request, export.format, item_schema[0], result)

    return _export_contributions(exporting, func, item_schema)


def _export_contributions(view: Any, inner: Any, item_schema: list[Any]) -> Any:
    """Declare ``?format=`` on ``view`` and note the schema of one listed object once ninja builds the
    operation (before a paginator rewrites its response to ``{"count", "items"}``)."""

    def capture(operation: Any) -> None:
        response = operation.response_models.get(200)
        annotation = response.model_fields["response"].annotation if response is not None else None
        if get_origin(annotation) is list and not item_schema:
            item_schema.append(get_args(annotation)[0])
        downloads = {"responses": {200: {"content": DOWNLOAD_CONTENT}}}
        operation.openapi_extra = {**(operation.openapi_extra or {}), **downloads}

    view._ninja_contribute_to_operation = [capture, *getattr(inner, "_ninja_contribute_to_operation", [])]
    view._ninja_contribute_args = [*getattr(inner, "_ninja_contribute_args", []),
                                   ("ninja_export", ExportInput, Query(...))]
    return view


def _optional(annotation: Any) -> Any:
    """``X | None`` → ``X``; anything else as it is."""
    args = [a for a in get_args(annotation) if a is not type(None)]
    if get_origin(annotation) in (Union, UnionType) and len(args) == 1:
        return args[0]
    return annotation


def export_columns(schema: type[BaseModel], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """The paths of a response schema's fields, a nested object's fields each a column of its own
    (``donor.short_name``); a list stays one column."""
    paths: list[tuple[str, ...]] = []
    for name, info in schema.model_fields.items():
        annotation = _optional(info.annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            paths += export_columns(annotation, (*prefix, name))
        else:
            paths.append((*prefix, name))
    return paths


REFERENCE_KEYS = ("reference", "code", "short_name", "name")


def _export_value(value: Any) -> Any:
    """A field's value as one spreadsheet cell: a list becomes text (the references of the objects it names,
    or JSON), an object JSON; numbers, dates and text stay what they are."""
    if isinstance(value, list):
        keys = [next((k for k in REFERENCE_KEYS if isinstance(v, dict) and v.get(k) is not None), None)
                for v in value]
        if value and all(keys):
            return "; ".join(str(v[k]) for v, k in zip(value, keys, strict=True))
        if all(isinstance(v, str | int | float | Decimal) for v in value):
            return "; ".join(str(v) for v in value)
        return json.dumps(value, default=str, ensure_ascii=False, sort_keys=True)
    if isinstance(value, dict):
        return json.dumps(value, default=str, ensure_ascii=False, sort_keys=True)
    if isinstance(value, enum.Enum):
        return value.value
    return value


def _at(data: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def export_list(request: HttpRequest, fmt: str, schema: type[BaseModel], items: Any) -> HttpResponse:
    """The listed objects, each shaped by the list's response ``schema`` exactly as the JSON is (the same
    resolvers, so releasability withholds the same fields), as a CSV or XLSX download."""
    paths = export_columns(schema)
    context = {"request": request}

    def rows() -> Any:
        for obj in items:
            data = schema.model_validate(obj, context=context).model_dump()
            yield [_export_value(_at(data, path)) for path in paths]

    stem = request.path.rstrip("/").rpartition("/v1/")[2] or "export"
    return exports.download(fmt, stem, [".".join(path) for path in paths], rows(), title=stem)


def _query_names(func: Callable[..., Any]) -> list[str]:
    """The query parameters a view declares: the fields of its schema parameters and its plain parameters."""
    names: list[str] = []
    for name, annotation in func.__annotations__.items():
        if name in ("request", "return"):
            continue
        base = get_args(annotation)[0] if get_origin(annotation) is Annotated else annotation
        if isinstance(base, type) and issubclass(base, Schema):
            names += [info.alias or field for field, info in base.model_fields.items()]
        else:
            names.append(name)
    return names


def filter_schema(
    filterset_class: type[django_filters.FilterSet], name: str, *, annotations: Mapping[str, Any] | None = None
) -> type[Schema]:
    """A query-parameter schema declaring a FilterSet's filters, so OpenAPI documents them.

    The FilterSet stays the one definition of what a filter means; this schema only parses and documents.
    ``annotations`` gives a filter a narrower type than its class implies (for a method filter, say).
    """
    fields: dict[str, Any] = {}
    for field_name, f in filterset_class.base_filters.items():
        description = str(f.label or field_name)
        annotation: Any = str
        choices = getattr(f, "extra", {}).get("choices")
        if isinstance(f, django_filters.MultipleChoiceFilter | django_filters.ChoiceFilter) and choices:
            values = tuple(str(value) for value, _ in choices)
            annotation = Literal[values]  # type: ignore[valid-type]
            description += " — one of: " + ", ".join(values)
        elif isinstance(f, django_filters.NumberFilter):
            annotation = DbInt
        elif isinstance(f, django_filters.DateFilter):
            annotation = dt.date
        elif isinstance(f, django_filters.BooleanFilter):
            annotation = bool
        annotation = (annotations or {}).get(field_name, annotation)
        if isinstance(f, django_filters.MultipleChoiceFilter):
            description += " (repeat the parameter for several)"
            fields[field_name] = (Optional[list[annotation]], Field(None, description=description))  # noqa: UP045
        else:
            fields[field_name] = (Optional[annotation], Field(None, description=description))  # noqa: UP045
    return create_model(name, __base__=InputSchema, **fields)


def _id_or_code(value: str) -> str:
    # The FilterSets read an all-digit value as an id: int("²") raised and int("9" * 20) overflowed.
    if value.isdigit():
        digits = value.lstrip("0") or "0"
        if not value.isascii():
            raise _custom_error("Give an id in the digits 0–9, or a code.")
        if len(digits) > 19 or int(digits) > MAX_DB_INT:
            raise _custom_error(ID_TOO_LARGE)
    return value


IdOrCode = Annotated[Text, AfterValidator(_id_or_code)]
"""A filter value that is an id when it is all digits and a code otherwise."""


def apply_filters(
    filterset_class: type[django_filters.FilterSet], params: Schema | None, queryset: models.QuerySet[M]
) -> models.QuerySet[M]:
    """Run the app's FilterSet over ``queryset``; invalid values answer 422 naming the filter."""
    data: MultiValueDict[str, Any] = MultiValueDict()
    for key, value in (params.dict(exclude_none=True) if params is not None else {}).items():
        values = value if isinstance(value, list) else [value]
        data.setlist(key, [str(v).lower() if isinstance(v, bool) else str(v) for v in values])
    filterset = filterset_class(data=data, queryset=queryset)
    errors = filter_errors(filterset)
    if errors:
        raise ServiceError(errors)
    return filterset.qs


def patch_schema(schema: type[Schema], name: str, *, exclude: tuple[str, ...] = ()) -> type[InputSchema]:
    """The same fields as ``schema``, none required: a PATCH changes only the fields it sends.

    Each keeps its type, so an explicit ``null`` is refused (naming the field) unless the field allows it.
    """
    fields: dict[str, Any] = {
        # The field's validators and constraints (its Annotated metadata) come along: a PATCH is checked as a POST.
        field_name: (Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation,
                     Field(None, description=info.description))
        for field_name, info in schema.model_fields.items()
        if field_name not in exclude
    }
    return create_model(name, __base__=InputSchema, **fields)


def choices_of(choices: type[models.Choices]) -> Any:
    """A ``Literal`` of a model's choices, so the schema lists them and rejects anything else by name."""
    return Literal[tuple(choices.values)]  # type: ignore[valid-type]


def changes_of(payload: Schema) -> dict[str, Any]:
    """The fields a PATCH body actually sent (an explicit ``null`` counts as sent)."""
    return payload.dict(exclude_unset=True)
