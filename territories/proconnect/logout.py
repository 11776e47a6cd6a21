"""Logging out of a session opened with ProConnect ends the ProConnect session too.

`ProConnectLogoutMiddleware`: when either logout (/compte/deconnexion/, the admin's) is posted
by a session opened with ProConnect (its ID token kept under ID_TOKEN_SESSION_KEY), the portal
logs out as usual, then the answer becomes a redirect to ProConnect's end_session_endpoint with
`id_token_hint`, a new `state` (kept in the new, anonymous session) and
`post_logout_redirect_uri` = /compte/proconnect/deconnexion/, which checks the state and goes to
the home page (territories/proconnect/pages.py). When ProConnect cannot be reached, the portal's
own answer is kept: the visitor is logged out of the portal anyway.

Requests without a session cookie are not looked at.
"""

import secrets

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse

from territories.proconnect import oidc

ID_TOKEN_SESSION_KEY = "perer_proconnect_id_token"
LOGOUT_STATE_SESSION_KEY = "perer_proconnect_logout_state"
LOGOUT_VIEWS = {"logout", "admin:logout"}


def provider_logout_url(request, id_token):
    """ProConnect's logout for `id_token`, its state recorded in the session; None when
    ProConnect is not configured or cannot be reached."""
    if not oidc.enabled():
        return None
    state = secrets.token_urlsafe(24)
    url = oidc.logout_url(
        id_token, state, request.build_absolute_uri(reverse("proconnect_logout_return"))
    )
    if url is not None:
        request.session[LOGOUT_STATE_SESSION_KEY] = state
    return url


class ProConnectLogoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        id_token = getattr(request, "perer_proconnect_id_token", None)
        if id_token and not request.user.is_authenticated and response.status_code < 400:
            url = provider_logout_url(request, id_token)
            if url is not None:
                return redirect(url)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        """Before a logout view flushes the session: note the ID token, if any."""
        if (
            request.method == "POST"
            and settings.SESSION_COOKIE_NAME in request.COOKIES
            and request.resolver_match is not None
            and request.resolver_match.view_name in LOGOUT_VIEWS
        ):
            request.perer_proconnect_id_token = request.session.get(ID_TOKEN_SESSION_KEY)
        return None
