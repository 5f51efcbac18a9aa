from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from aidbridge.accounts import services, tables
from aidbridge.accounts.filtersets import OrganisationFilterSet
from aidbridge.accounts.forms import ApiTokenForm, OrganisationForm
from aidbridge.accounts.middleware import SESSION_KEY
from aidbridge.accounts.models import ApiToken, Organisation
from aidbridge.accounts.principal import manages_reference_data
from aidbridge.accounts.twofactor import LoginView
from aidbridge.core.errors import NotPermitted, ServiceError
from aidbridge.core.views import (
    AppView,
    ObjectDetailView,
    ObjectFormView,
    ObjectListView,
    apply_service_errors,
    forbidden,
)

login = LoginView.as_view()
logout = auth_views.LogoutView.as_view()


class OrganisationList(ObjectListView):
    model = Organisation
    filterset_class = OrganisationFilterSet
    columns = tables.ORGANISATION_COLUMNS
    create_permission = manages_reference_data


class OrganisationDetail(ObjectDetailView):
    model = Organisation
    fields = tables.ORGANISATION_FIELDS
    edit_permission = staticmethod(manages_reference_data)
    template_name = "accounts/organisation_detail.html"


class OrganisationEdit(ObjectFormView):
    model = Organisation
    form_class = OrganisationForm
    create_service = services.create_organisation
    update_service = services.update_organisation
    object_kwarg = "organisation"
    permission = staticmethod(manages_reference_data)


class TokenList(AppView):
    """The user's own API tokens. A new token's secret is shown once, in the response that created it."""

    def render_page(self, form: ApiTokenForm, *, secret: str = "", token: ApiToken | None = None,
                    status: int = 200) -> HttpResponse:
        tokens = ApiToken.objects.filter(user_id=self.request.user.pk or 0)
        context = {"title": gettext("API tokens"), "tokens": tokens, "form": form, "secret": secret, "new_token": token}
        response = render(self.request, "accounts/tokens.html", context, status=status)
        response["Cache-Control"] = "no-store"
        return response

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render_page(ApiTokenForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ApiTokenForm(request.POST)
        if form.is_valid():
            try:
                token, secret = services.create_api_token(
                    actor=request.user, user=request.user, name=form.cleaned_data["name"],
                    scope=form.cleaned_data["scope"], expires_at=form.expires_at(),
                )
            except NotPermitted as exc:
                return forbidden(request, exc.message)
            except ServiceError as exc:
                apply_service_errors(form, exc)
            else:
                return self.render_page(ApiTokenForm(), secret=secret, token=token, status=201)
        return self.render_page(form, status=422)


class TokenRevoke(AppView):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        token = get_object_or_404(ApiToken.objects.filter(user_id=request.user.pk or 0), pk=pk)
        try:
            services.revoke_api_token(actor=request.user, token=token)
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, gettext("Revoked %(token)s.") % {"token": token})
        return HttpResponseRedirect(reverse("accounts:tokens"))


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """The language switcher of every page: save the choice for a logged-in user (through the audited service),
    set Django's language cookie for everyone, and go back to the page the form was on.

    An empty choice goes back to following the browser (its Accept-Language). Only an address on this site is
    followed back; anything else goes to the home page.
    """
    language = request.POST.get("language", "")
    if language and language not in dict(settings.LANGUAGES):
        return render(request, "notice.html", {
            "heading": gettext("Unknown language"),
            "message": gettext("“%(code)s” is not a language of this site.") % {"code": language},
            "back_url": "/"}, status=422)
    if request.user.is_authenticated:
        services.set_language(actor=request.user, user=request.user, language=language)
        request.session[SESSION_KEY] = language
    target = request.POST.get("next") or request.headers.get("Referer", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        target = "/"
    response = HttpResponseRedirect(target)
    if language:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME, language, max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH, domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE, httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    else:
        response.delete_cookie(settings.LANGUAGE_COOKIE_NAME, path=settings.LANGUAGE_COOKIE_PATH,
                               domain=settings.LANGUAGE_COOKIE_DOMAIN)
    return response
