"""The gate of two-factor authentication (territories/two_factor.py), after django-otp's
OTPMiddleware, for every page:

- a session whose second factor is pending (password given, code not yet) reaches nothing but
  the code page and logout: anything else redirects to the code page;
- when OTP_REQUIRED_FOR_AGGLOMERATION is on, a user who must use it (superuser, agglomeration
  staff) reaches nothing but the enrolment page and logout until enrolled; enrolled but in a
  session without a verified code (opened before enrolment, or by a path that skipped the code),
  they give a code first. A session whose second factor ProConnect checked counts as verified
  (two_factor.verified_by_provider).

Requests without a session cookie are not looked at: no session is read for anonymous visitors
(public pages stay cacheable).
"""

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from territories import two_factor

WHILE_PENDING = {"two_factor_verify", "admin:logout", "logout"}
WHILE_ENROLLING = {"two_factor_setup", "two_factor_verify", "admin:logout", "logout"}


def _to(url_name, request):
    url = reverse(url_name)
    if request.method in ("GET", "HEAD"):
        url = f"{url}?{urlencode({'next': request.get_full_path()})}"
    return redirect(url)


class TwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return None
        user = request.user
        if not user.is_authenticated:
            return None
        view_name = request.resolver_match.view_name if request.resolver_match else ""
        if two_factor.is_pending(request):
            return None if view_name in WHILE_PENDING else _to("two_factor_verify", request)
        if not two_factor.is_required(user) or two_factor.is_verified(request):
            return None
        if two_factor.is_enrolled(user):
            two_factor.mark_pending(request)
            return None if view_name in WHILE_PENDING else _to("two_factor_verify", request)
        return None if view_name in WHILE_ENROLLING else _to("two_factor_setup", request)
