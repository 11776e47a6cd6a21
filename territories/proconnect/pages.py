"""The ProConnect pages. Without ProConnect configured (settings.PROCONNECT None) each answers
404 and the button is not shown.

- `start` (/compte/proconnect/, GET or POST from the button): to ProConnect's login page, with
  `next` kept for the return. ProConnect unreachable: back to the login page with a French
  message.
- `callback` (/compte/proconnect/retour/, GET): ProConnect's answer, checked by oidc.finish;
  the account found by admission.admit; then the same login as with a password (Django's
  `login` with ModelBackend: same session, same rights, the second factor then asked as after a
  password), unless ProConnect says a second factor was used and
  settings.PROCONNECT_MFA_REPLACES_TOTP is on; then `next` (a local address) or the landing
  page of a password login. The ID token is kept in the session for the logout (logout.py).
- `logout_return` (/compte/proconnect/deconnexion/, GET): back from ProConnect's logout; checks
  the state, then the home page.

Failures never answer 500: a French message on the login page, or, for an identity with no
account, a page saying that an invitation from the agglomeration is needed (403); each one a
line in the `perer.security` log. Failures that could be attempts (a wrong state, a used or
expired code, a token that does not verify, an identity refused) count as failed logins for
django-axes, under the name "proconnect:" + the address given by ProConnect (empty when none
is known yet); once locked out, the pages answer as the password login does. A cancelled
sign-in and an unreachable ProConnect do not count.

Each page a constant number of queries (the callback: admission's four, the login's writes).
"""

import logging

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_response
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.signals import user_login_failed
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.cache import never_cache

from perer.lib.http_methods import read_or_post, require_safe
from territories import two_factor
from territories.proconnect import admission, oidc
from territories.proconnect.logout import (
    ID_TOKEN_SESSION_KEY,
    LOGOUT_STATE_SESSION_KEY,
    provider_logout_url,
)
from territories.views import LoginView

logger = logging.getLogger("perer.security")

# The session a ProConnect sign-in opens is the one a password opens (same backend, same rights).
BACKEND = "django.contrib.auth.backends.ModelBackend"
AXES_NAME = "proconnect:"
NOT_COUNTED = {"cancelled", "unavailable"}


def button_context(request):
    """Context processor: show the « S'identifier avec ProConnect » button?"""
    return {"proconnect_enabled": oidc.enabled()}


def _configured(view):
    def wrapped(request, *args, **kwargs):
        if not oidc.enabled():
            raise Http404("ProConnect n'est pas configuré.")
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _local(request, candidate):
    """`candidate` when it is an address of this site, else ""."""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""


def _login_page(request, next_url):
    url = reverse("login")
    return redirect(f"{url}?{urlencode({'next': next_url})}" if next_url else url)


def _credentials(email=""):
    return {settings.AXES_USERNAME_FORM_FIELD: AXES_NAME + email.lower()}


def _locked_out(request, credentials):
    return settings.AXES_ENABLED and not AxesProxyHandler.is_allowed(request, credentials)


def _lockout_response(request, credentials):
    request.axes_locked_out = True
    request.axes_credentials = credentials
    return get_lockout_response(request, None, credentials)


def _count_failure(request, credentials):
    user_login_failed.send(sender=__name__, credentials=credentials, request=request)


def _failed(request, error, next_url):
    """A failure of the protocol: logged, counted (unless NOT_COUNTED), the login page."""
    logger.warning(
        "Connexion ProConnect refusée (%s) depuis %s : %s",
        error.reason,
        request.META.get("REMOTE_ADDR", "?"),
        error.detail,
    )
    credentials = _credentials()
    if error.reason not in NOT_COUNTED:
        _count_failure(request, credentials)
        if getattr(request, "axes_locked_out", False):
            return _lockout_response(request, credentials)
    messages.error(request, error.message)
    return _login_page(request, next_url)


@never_cache
@read_or_post
@_configured
def start(request):
    """/compte/proconnect/: to ProConnect's login page."""
    next_url = _local(request, request.POST.get("next") or request.GET.get("next") or "")
    credentials = _credentials()
    if _locked_out(request, credentials):
        return _lockout_response(request, credentials)
    redirect_uri = request.build_absolute_uri(reverse("proconnect_callback"))
    try:
        url = oidc.authorization_redirect(request, redirect_uri, next_url)
    except oidc.ProConnectError as error:
        return _failed(request, error, next_url)
    return redirect(url)


@never_cache
@require_safe
@_configured
def callback(request):
    """/compte/proconnect/retour/: ProConnect's answer."""
    next_url = _local(request, oidc.pending_next(request) or "")
    credentials = _credentials()
    if _locked_out(request, credentials):
        return _lockout_response(request, credentials)
    try:
        identity = oidc.finish(request)
    except oidc.ProConnectError as error:
        return _failed(request, error, next_url)
    credentials = _credentials(identity.email)
    if _locked_out(request, credentials):
        return _lockout_response(request, credentials)
    try:
        user = admission.admit(identity)
    except admission.NotAdmitted as refusal:
        return _refused(request, identity, refusal, credentials)

    login(request, user, backend=BACKEND)
    request.session[ID_TOKEN_SESSION_KEY] = identity.id_token
    second_factor = oidc.used_second_factor(identity)
    if second_factor and settings.PROCONNECT_MFA_REPLACES_TOTP:
        two_factor.verified_by_provider(request)
    logger.info(
        "Connexion ProConnect de %s (acr %s, amr %s%s)",
        user.get_username(),
        identity.acr or "—",
        ",".join(identity.amr) or "—",
        ", double authentification faite par ProConnect" if second_factor else "",
    )
    return redirect(next_url or LoginView(request=request).get_default_redirect_url())


def _refused(request, identity, refusal, credentials):
    """No account for this identity: a page that says why, counted as a failed login."""
    logger.warning(
        "Connexion ProConnect refusée (%s) pour %s (sub %s) depuis %s",
        refusal.reason,
        identity.email or "une identité sans adresse",
        identity.sub,
        request.META.get("REMOTE_ADDR", "?"),
    )
    _count_failure(request, credentials)
    if getattr(request, "axes_locked_out", False):
        return _lockout_response(request, credentials)
    context = {
        "reason": refusal.reason,
        "email": identity.email,
        "provider_logout_url": provider_logout_url(request, identity.id_token),
    }
    return render(request, "accounts/proconnect_refused.html", context, status=403)


@never_cache
@require_safe
@_configured
def logout_return(request):
    """/compte/proconnect/deconnexion/: back from ProConnect's logout, to the home page."""
    expected = request.session.pop(LOGOUT_STATE_SESSION_KEY, None)
    if expected is None or request.GET.get("state") != expected:
        logger.warning(
            "Retour de déconnexion ProConnect avec un état inattendu depuis %s",
            request.META.get("REMOTE_ADDR", "?"),
        )
    return redirect(reverse("home"))
