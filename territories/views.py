"""The account pages of two-factor authentication (rules in territories/two_factor.py).

- `two_factor_verify` (/compte/connexion/code/): the second step of any login, after the
  password, for an enrolled user: a code of the app or a recovery code. A wrong code is a
  failed login for django-axes (same lockout as a wrong password); "Annuler" logs out.
- `two_factor_setup` (/compte/double-authentification/): enrol (QR code and secret, a first
  code to confirm, then the recovery codes, shown once), or once enrolled: new recovery codes,
  or turn it off (not when it is required), each confirmed by a current code.

Never cached; GET, HEAD and POST only.
"""

import logging

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_response
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from territories import two_factor
from territories.forms import WRONG_CODE, WRONG_LOGIN_CODE, CodeForm, LoginCodeForm

logger = logging.getLogger("perer.security")
read_or_post = require_http_methods(["GET", "HEAD", "POST"])


def _next(request, user):
    """Where to go afterwards: a local `next`, else the admin (staff) or the home page."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("admin:index") if user.is_staff else reverse("home")


def _login_again(request, next_url):
    return redirect(f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': next_url})}")


def _locked_out(request, credentials):
    """Log out and answer as django-axes answers a locked-out login."""
    logout(request)
    request.axes_locked_out = True
    request.axes_credentials = credentials
    return get_lockout_response(request, None, credentials)


@never_cache
@read_or_post
def two_factor_verify(request):
    user = request.user
    if not user.is_authenticated:
        return _login_again(request, _next(request, user))
    next_url = _next(request, user)
    if not two_factor.is_pending(request):
        return redirect(next_url)
    if not two_factor.is_enrolled(user):  # reset by the staff meanwhile: nothing to ask
        two_factor.clear_pending(request)
        return redirect(next_url)
    if two_factor.pending_expired(request) or "annuler" in request.POST:
        expired = "annuler" not in request.POST
        logout(request)
        if expired:
            messages.warning(
                request, "Le délai pour saisir le code est dépassé : reconnectez-vous."
            )
        return _login_again(request, next_url)

    credentials = {settings.AXES_USERNAME_FORM_FIELD: user.get_username()}
    status = 200
    if request.method == "POST":
        if settings.AXES_ENABLED and not AxesProxyHandler.is_allowed(request, credentials):
            return _locked_out(request, credentials)
        form = LoginCodeForm(request.POST)
        device = two_factor.verify(user, form.cleaned_data["code"]) if form.is_valid() else None
        if device is not None:
            two_factor.complete_verification(request, device)
            return redirect(next_url)
        # A wrong code is a failed login: django-axes counts it with the wrong passwords.
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        if getattr(request, "axes_locked_out", False):
            return _locked_out(request, credentials)
        if form.is_valid():
            form.add_error("code", WRONG_LOGIN_CODE)
        status = 400
    else:
        form = LoginCodeForm(autofocus=True)
    context = {"form": form, "error_forms": [form], "next": next_url, "invalid": status == 400}
    return render(request, "accounts/two_factor_verify.html", context, status=status)


@never_cache
@read_or_post
@login_required
def two_factor_setup(request):
    if two_factor.is_pending(request):  # the middleware sends them there first anyway
        return redirect(reverse("two_factor_verify"))
    user = request.user
    next_url = _next(request, user)
    if two_factor.is_enrolled(user):
        return _manage(request, user, next_url)
    return _enrol(request, user, next_url)


def _codes_page(request, codes, next_url, enrolled_now):
    context = {"codes": codes, "next": next_url, "enrolled_now": enrolled_now}
    return render(request, "accounts/recovery_codes.html", context)


def _enrol(request, user, next_url):
    device = two_factor.unconfirmed_device(user)
    form = CodeForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        codes = two_factor.confirm_enrolment(user, device, form.cleaned_data["code"])
        if codes is not None:
            two_factor.complete_verification(request, device)
            logger.info("Double authentification activée pour %s", user.get_username())
            return _codes_page(request, codes, next_url, enrolled_now=True)
        form.add_error("code", WRONG_CODE)
    context = {
        "form": form,
        "error_forms": [form],
        "next": next_url,
        "required": two_factor.is_required(user),
        "qr_code": two_factor.qr_code(device),
        "secret": two_factor.secret_text(device),
        "invalid": form.is_bound,
    }
    return render(
        request, "accounts/two_factor_setup.html", context, status=400 if form.is_bound else 200
    )


def _manage(request, user, next_url):
    action = request.POST.get("action") if request.method == "POST" else None
    required = two_factor.is_required(user)
    forms = {
        name: CodeForm(request.POST if action == name else None, prefix=name)
        for name in ("codes", "desactiver")
    }
    form = forms.get(action)
    if form is not None and form.is_valid():
        if action == "desactiver" and required:
            form.add_error(None, "La double authentification est obligatoire pour votre compte.")
        elif two_factor.verify(user, form.cleaned_data["code"]) is None:
            form.add_error("code", WRONG_CODE)
        elif action == "codes":
            codes = two_factor.new_recovery_codes(user)
            logger.info("Nouveaux codes de secours pour %s", user.get_username())
            return _codes_page(request, codes, next_url, enrolled_now=False)
        else:
            two_factor.reset(user)
            logger.info("Double authentification désactivée par %s", user.get_username())
            messages.success(request, "La double authentification est désactivée.")
            return redirect(reverse("two_factor_setup"))
    invalid = action is not None
    context = {
        "message": "Choisissez l'une des actions de la page." if invalid and form is None else "",
        "device": two_factor.totp_device(user),
        "remaining": two_factor.remaining_recovery_codes(user),
        "recovery_count": two_factor.RECOVERY_CODE_COUNT,
        "required": required,
        "forms": forms,
        "error_forms": [form] if form is not None else [],
        "next": next_url,
        "invalid": invalid,
    }
    return render(
        request, "accounts/two_factor_manage.html", context, status=400 if invalid else 200
    )
