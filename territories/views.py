"""The account pages: two-factor authentication (rules in territories/two_factor.py), then
login, logout, forgotten password, password change, the account page and invitations (rules in
territories/accounts.py).

- `two_factor_verify` (/compte/connexion/code/): the second step of any login, after the
  password, for an enrolled user: a code of the app or a recovery code. A wrong code is a
  failed login for django-axes (same lockout as a wrong password); "Annuler" logs out.
- `two_factor_setup` (/compte/double-authentification/): enrol (QR code and secret, a first
  code to confirm, then the recovery codes, shown once), or once enrolled: new recovery codes,
  or turn it off (not when it is required), each confirmed by a current code.

- /compte/connexion/, /compte/deconnexion/ (POST), /compte/mot-de-passe-oublie/ (+ envoye/,
  <uidb64>/<token>/, termine/), /compte/mot-de-passe/ (change), /compte/ (preferences),
  /compte/bienvenue/<uidb64>/<token>/ (an invitation's link), /compte/invitations/ (staff).
  The reset page answers the same whatever the address; its email goes through the job queue.
  A wrong current password on the change page is a failed login for django-axes, like a wrong
  code at the second step: one counter and one limit with the login form's.

Never cached; GET, HEAD and POST only. Each page a constant number of queries.
"""

import logging

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_response
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.forms import AdminPasswordChangeForm
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.cache import never_cache

from perer.lib.http_methods import read_or_post
from territories import accounts, two_factor
from territories.forms import (
    WRONG_CODE,
    WRONG_LOGIN_CODE,
    CodeForm,
    InvitationForm,
    LoginCodeForm,
    LoginForm,
    PreferencesForm,
    QueuedPasswordResetForm,
)
from territories.roles import city_lead_territories, is_agglomeration, is_city_lead

logger = logging.getLogger("perer.security")


def header_context(request):
    """Context processor: `signed_in_user` for the header (who is logged in, « Mon espace »,
    « Se déconnecter »), or None. A request without a session cookie is not looked at: no
    session is read for anonymous visitors (no `Vary: Cookie`, public pages stay cacheable)."""
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return {"signed_in_user": None}
    user = getattr(request, "user", None)
    return {"signed_in_user": user if user is not None and user.is_authenticated else None}


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


def _credentials(user):
    """What django-axes counts a logged-in user's failures under (the login form's username)."""
    return {settings.AXES_USERNAME_FORM_FIELD: user.get_username()}


def _is_locked_out(request, credentials):
    return settings.AXES_ENABLED and not AxesProxyHandler.is_allowed(request, credentials)


def _failed_attempt(request, credentials):
    """Count a wrong secret (a code at login, the current password on the change page) as a
    failed login: django-axes' counter and limit, the same as the login form's. Returns the
    lockout answer (the user logged out) when this failure reached the limit, else None."""
    user_login_failed.send(sender=__name__, credentials=credentials, request=request)
    if getattr(request, "axes_locked_out", False):
        return _locked_out(request, credentials)
    return None


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

    credentials = _credentials(user)
    status = 200
    if request.method == "POST":
        if _is_locked_out(request, credentials):
            return _locked_out(request, credentials)
        form = LoginCodeForm(request.POST)
        device = two_factor.verify(user, form.cleaned_data["code"]) if form.is_valid() else None
        if device is not None:
            two_factor.complete_verification(request, device)
            return redirect(next_url)
        # A wrong code is a failed login: django-axes counts it with the wrong passwords.
        locked_out = _failed_attempt(request, credentials)
        if locked_out is not None:
            return locked_out
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


# --- Account pages ----------------------------------------------------------------------------
# Login, logout, forgotten password and password change are Django's auth views in the site's
# design (templates/accounts/); their writes are Django's. Invitations and preferences write
# through territories/accounts.py. Anonymous visitors of a login-only page go to /compte/connexion/.

members_only = login_required(login_url="login")


class ErrorSummaryMixin:
    """For Django's form views: the error summary at the top (includes/form_errors.html), and
    400 for a form sent with errors. GET, HEAD and POST only (Django's form views would take a
    PUT as a POST)."""

    http_method_names = ["get", "head", "post", "options"]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = context.get("form")
        context["error_forms"] = [form] if form is not None else []
        context["invalid"] = bool(form is not None and form.is_bound and form.errors)
        return context

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response


class LoginView(ErrorSummaryMixin, auth_views.LoginView):
    """/compte/connexion/: Django's LoginView (the two-factor step follows by `user_logged_in`,
    django-axes' lockout by the form's `authenticate(request, …)`)."""

    template_name = "accounts/login.html"
    authentication_form = LoginForm

    def get_default_redirect_url(self):
        user = self.request.user
        if is_agglomeration(user):
            return reverse("admin:index")
        if is_city_lead(user):
            return reverse("tracking_space")
        return reverse("account")


class PasswordResetView(ErrorSummaryMixin, auth_views.PasswordResetView):
    """/compte/mot-de-passe-oublie/: the same answer for any address (the email, if any, goes
    through the job queue: QueuedPasswordResetForm)."""

    form_class = QueuedPasswordResetForm
    template_name = "accounts/password_reset.html"
    success_url = reverse_lazy("password_reset_done")


class PasswordResetConfirmView(ErrorSummaryMixin, auth_views.PasswordResetConfirmView):
    """/compte/mot-de-passe-oublie/<uidb64>/<token>/: choose a new password; the user is then
    logged in (Django's `post_reset_login`) and lands on /suivi/. An enrolled user's login
    leaves the second factor pending (two_factor.mark_pending_on_login), so the middleware
    asks for the code before /suivi/ (then goes on there); staff who must enrol are sent to
    the enrolment page first, as after any login."""

    template_name = "accounts/set_password.html"
    success_url = reverse_lazy("tracking_space")
    post_reset_login = True
    # Two backends (django-axes' and the model's): login() must be told which one.
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"
    extra_context = {"invitation": False}
    success_message = "Votre mot de passe est enregistré."

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, self.success_message)
        return response


class InvitationAcceptView(PasswordResetConfirmView):
    """/compte/bienvenue/<uidb64>/<token>/: the invitation's link, to choose a first password
    (the same one-time token as a reset); then logged in, on /suivi/, as after a reset."""

    extra_context = {"invitation": True}
    success_message = "Votre mot de passe est enregistré : bienvenue dans l'espace de suivi."


class CountedPasswordChangeMixin:
    """For Django's password change view: a wrong current password is a failed login
    (django-axes counts it with the login's): at the limit the user is logged out and gets the
    login's lockout answer, and a locked-out user's posts are refused before the password is
    checked."""

    def post(self, request, *args, **kwargs):
        if _is_locked_out(request, _credentials(request.user)):
            return _locked_out(request, _credentials(request.user))
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        if form.has_error("old_password", code="password_incorrect"):
            locked_out = _failed_attempt(self.request, _credentials(self.request.user))
            if locked_out is not None:
                return locked_out
        return super().form_invalid(form)


class PasswordChangeView(
    ErrorSummaryMixin, CountedPasswordChangeMixin, auth_views.PasswordChangeView
):
    """/compte/mot-de-passe/."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("account")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, "Votre mot de passe a été changé.")
        return response


class AdminPasswordChangeView(CountedPasswordChangeMixin, auth_views.PasswordChangeView):
    """/admin/password_change/: the admin's own page (its form, template and next page, as
    AdminSite.password_change serves them), with the same count of wrong passwords."""

    form_class = AdminPasswordChangeForm
    success_url = reverse_lazy("admin:password_change_done")


@read_or_post
def _admin_password_change(request):
    request.current_app = admin.site.name
    view = AdminPasswordChangeView.as_view(extra_context=admin.site.each_context(request))
    return view(request)


login_page = LoginView.as_view()
logout_page = auth_views.LogoutView.as_view(next_page="home")
password_reset = PasswordResetView.as_view()
password_reset_done = auth_views.PasswordResetDoneView.as_view(
    template_name="accounts/password_reset_done.html"
)
password_reset_confirm = PasswordResetConfirmView.as_view()
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="accounts/password_reset_complete.html"
)
invitation_accept = InvitationAcceptView.as_view()
password_change = never_cache(members_only(PasswordChangeView.as_view()))
# Listed before the admin's addresses in perer/urls.py, so that it takes the admin's place.
admin_password_change = admin.site.admin_view(_admin_password_change)


@never_cache
@read_or_post
@members_only
def account(request):
    """/compte/: the user's account: password, notification preferences, two-factor."""
    user = request.user
    form = PreferencesForm(
        request.POST if request.method == "POST" else None,
        instance=accounts.preferences_of(user),
    )
    if form.is_valid():
        accounts.save_preferences(user, **form.cleaned_data)
        messages.success(request, "Vos préférences de notification sont enregistrées.")
        return redirect(reverse("account"))
    context = {
        "form": form,
        "territories": city_lead_territories(user).in_display_order(),
        "is_city_lead": is_city_lead(user),
        "can_invite": is_agglomeration(user),
        "two_factor_enrolled": two_factor.is_enrolled(user),
        "two_factor_required": two_factor.is_required(user),
    }
    return render(request, "accounts/account.html", context)


@never_cache
@read_or_post
@members_only
def invite(request):
    """/compte/invitations/: agglomeration staff invite a city project lead."""
    if not is_agglomeration(request.user):
        raise PermissionDenied
    form = InvitationForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        data = form.cleaned_data
        try:
            user = accounts.invite_city_lead(
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                territories=data["territories"],
                invited_by=request.user,
                url_root=request.build_absolute_uri("/"),
            )
        except accounts.InvitationError as error:
            form.add_error("email", str(error))
        else:
            messages.success(
                request,
                f"Invitation envoyée à {user.email} : le lien pour choisir un mot de passe est "
                f"valable {accounts.link_days()} jours.",
            )
            return redirect(reverse("account_invite"))
    context = {
        "form": form,
        "error_forms": [form],
        "invalid": form.is_bound,
        "pending": accounts.pending_invitations(),
    }
    return render(request, "accounts/invite.html", context, status=400 if form.is_bound else 200)
