"""Optional TOTP two-factor authentication (django-otp) for coordinator and administrator accounts.

Login is two steps for a user with a confirmed TOTP device: the password step does not log in; it keeps the
user's id in the session and asks for the six-digit code, and only a valid code logs the user in.
Enrolling, confirming and removing a device are audited service functions.
"""

from __future__ import annotations

from io import BytesIO
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from aidbridge.accounts.principal import principal
from aidbridge.audit.services import record_event
from aidbridge.core import services as core
from aidbridge.core.errors import ServiceError

PENDING = "aidbridge_2fa_user"
PENDING_NEXT = "aidbridge_2fa_next"


def may_enrol(user: Any) -> bool:
    p = principal(user)
    return p.is_coordinator or p.is_admin


def confirmed_device(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


@transaction.atomic
def start_enrolment(*, actor: Any) -> TOTPDevice:
    core.require(may_enrol(actor), gettext("Two-factor sign-in is offered to coordinator and administrator accounts."))
    TOTPDevice.objects.filter(user=actor, confirmed=False).delete()
    device = TOTPDevice.objects.create(user=actor, name="Authenticator app", confirmed=False)
    record_event(actor=actor, action="2fa.enrol", object_type="otp_totp.totpdevice", object_id=str(device.pk),
                 object_repr=device.name, after={"confirmed": False})
    return device


@transaction.atomic
def confirm_enrolment(*, actor: Any, token: str) -> TOTPDevice:
    device = TOTPDevice.objects.select_for_update().filter(user=actor, confirmed=False).first()
    if device is None:
        raise ServiceError(gettext("Start by adding an authenticator app."), field="token")
    if not device.verify_token(token.strip()):
        raise ServiceError(gettext("That code is not valid; check the app's clock and try the current code."),
                           field="token")
    TOTPDevice.objects.filter(user=actor, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    record_event(actor=actor, action="2fa.confirm", object_type="otp_totp.totpdevice", object_id=str(device.pk),
                 object_repr=device.name, after={"confirmed": True})
    return device


@transaction.atomic
def remove_two_factor(*, actor: Any) -> None:
    removed = list(TOTPDevice.objects.filter(user=actor).values_list("pk", flat=True))
    if not removed:
        raise ServiceError(gettext("Two-factor sign-in is not set up."), field="token")
    TOTPDevice.objects.filter(user=actor).delete()
    record_event(actor=actor, action="2fa.remove", object_type="otp_totp.totpdevice", object_id=str(removed[0]),
                 object_repr="Authenticator app", before={"devices": removed})


def qr_svg(device: TOTPDevice) -> str:
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
    buffer = BytesIO()
    image.save(buffer)
    return buffer.getvalue().decode("utf-8").split("?>", 1)[-1]


class OneTimeCodeForm(forms.Form):
    token = forms.CharField(label=_("Six-digit code"), max_length=8,
                            widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}))


class LoginView(auth_views.LoginView):
    """Password step. Users with a confirmed device continue to the code step instead of being logged in."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: Any) -> HttpResponse:
        user = form.get_user()
        if confirmed_device(user) is None:
            return super().form_valid(form)
        self.request.session[PENDING] = user.pk
        self.request.session[PENDING_NEXT] = self.get_success_url()
        return HttpResponseRedirect(reverse("accounts:login_code"))


def login_code(request: HttpRequest) -> HttpResponse:
    user_id = request.session.get(PENDING)
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first() if user_id else None
    device = confirmed_device(user) if user is not None else None
    if user is None or device is None:
        return HttpResponseRedirect(reverse("accounts:login"))
    form = OneTimeCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"].strip()):
            next_url = request.session.get(PENDING_NEXT) or "/"
            user.backend = "django.contrib.auth.backends.ModelBackend"  # type: ignore[attr-defined]
            auth_login(request, user)
            otp_login(request, device)
            if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
                next_url = "/"
            return HttpResponseRedirect(next_url)
        form.add_error("token", gettext("That code is not valid. Try the code your app shows now."))
    return render(request, "accounts/login_code.html", {"form": form, "title": gettext("Two-factor code")})


@login_required
def two_factor(request: HttpRequest) -> HttpResponse:
    if not may_enrol(request.user):
        raise Http404(gettext("Two-factor sign-in is offered to coordinator and administrator accounts."))
    form = OneTimeCodeForm(request.POST or None)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "start":
                start_enrolment(actor=request.user)
            elif action == "remove":
                remove_two_factor(actor=request.user)
                messages.success(request, gettext("Two-factor sign-in removed."))
            elif action == "confirm" and form.is_valid():
                confirm_enrolment(actor=request.user, token=form.cleaned_data["token"])
                messages.success(request,
                                 gettext("Two-factor sign-in is on. You will be asked for a code at each login."))
                return HttpResponseRedirect(reverse("accounts:two_factor"))
        except ServiceError as exc:
            form.add_error("token" if "token" in exc.errors else None, exc.message)
        else:
            if action in ("start", "remove"):
                return HttpResponseRedirect(reverse("accounts:two_factor"))
    pending = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
    return render(request, "accounts/two_factor.html", {
        "title": gettext("Two-factor sign-in"), "form": form, "confirmed": confirmed_device(request.user),
        "pending": pending, "qr": qr_svg(pending) if pending else "",
        "secret": _base32(pending) if pending else "",
    })


def _base32(device: TOTPDevice) -> str:
    import base64

    return base64.b32encode(device.bin_key).decode("ascii")
