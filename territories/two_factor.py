"""Two-factor authentication (TOTP) with django-otp: who needs it, devices, codes, sessions.

A user is *enrolled* once they have a confirmed device: a TOTP device (an authenticator app,
confirmed by a first code) and a static device holding their single-use recovery codes.

The login flow works with any view that calls `django.contrib.auth.login` (the admin's
/admin/login/ today, /compte/connexion/ later): when an enrolled user logs in with a password,
`mark_pending_on_login` marks the session "second factor pending", and
territories/middleware.py lets such a session reach nothing but the code page
(`territories.views.two_factor_verify`) until `complete_verification` is called. Wrong codes
count as failed logins for django-axes (the view sends `user_login_failed`).

`is_required` is the rule of OTP_REQUIRED_FOR_AGGLOMERATION: superusers and members of the
"Agglomération" group must be enrolled before reaching any page but the enrolment page.

A sign-in with ProConnect where the provider says a second factor was used stands for the code
when settings.PROCONNECT_MFA_REPLACES_TOTP is on (territories/proconnect/pages.py calls
`verified_by_provider`): the session is verified (`is_verified`) without a device, enrolled or not.
"""

import time
from base64 import b32encode

import segno
from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django_otp import DEVICE_ID_SESSION_KEY, user_has_device, verify_token
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from territories.roles import is_agglomeration

PENDING_SESSION_KEY = "perer_two_factor_pending"
PROVIDER_VERIFIED_SESSION_KEY = "perer_two_factor_by_provider"
# A password without its code is forgotten after this many seconds: log in again.
PENDING_MAX_AGE = 10 * 60
RECOVERY_CODE_COUNT = 10
TOTP_DIGITS = 6  # django-otp's default, the one every authenticator app supports
TOTP_DEVICE_NAME = "Application d'authentification"
STATIC_DEVICE_NAME = "Codes de secours"


# --- Who --------------------------------------------------------------------------------------


def is_required(user):
    """Must `user` be enrolled? Superusers and the agglomeration staff, when the setting says so."""
    if not getattr(settings, "OTP_REQUIRED_FOR_AGGLOMERATION", False):
        return False
    if not (user.is_authenticated and user.is_active):
        return False
    return user.is_superuser or is_agglomeration(user)


def is_enrolled(user):
    return user_has_device(user, confirmed=True)


def totp_device(user):
    """The user's confirmed TOTP device, or None."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def remaining_recovery_codes(user):
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def with_enrolment_date(users):
    """`users` annotated with `two_factor_since`: when their TOTP device was confirmed (or
    created), None when they are not enrolled. One subquery, no query per row."""
    devices = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True).order_by("pk")
    return users.annotate(two_factor_since=Subquery(devices.values("created_at")[:1]))


# --- Enrolment --------------------------------------------------------------------------------


def unconfirmed_device(user):
    """The TOTP device being set up: the same one (same secret) until it is confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)


def secret_text(device):
    """The secret as an authenticator app asks for it: base32, by groups of four."""
    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_code(device, scale=5):
    """The otpauth:// address of the device as a QR code made here: {"src": an SVG data: URI,
    "size": its width and height in pixels}."""
    code = segno.make(device.config_url, error="m")
    return {
        "src": code.svg_data_uri(scale=scale, border=4, dark="#000000", light="#ffffff"),
        "size": code.symbol_size(scale=scale, border=4)[0],
    }


def confirm_enrolment(user, device, code):
    """Confirm `device` with its first code; return the new recovery codes, or None when the
    code is wrong. Any other device of the user is replaced."""
    code = normalize(code)
    if not (code.isdigit() and len(code) == TOTP_DIGITS):
        return None
    with transaction.atomic():
        if verify_token(user, device.persistent_id, code) is None:
            return None
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
        device.confirmed = True
        return new_recovery_codes(user)


def new_recovery_codes(user):
    """Replace the user's recovery codes with RECOVERY_CODE_COUNT new ones; return them."""
    with transaction.atomic():
        StaticDevice.objects.filter(user=user).delete()
        device = StaticDevice.objects.create(user=user, name=STATIC_DEVICE_NAME, confirmed=True)
        codes = []
        while len(codes) < RECOVERY_CODE_COUNT:
            token = StaticToken.random_token()
            if token not in codes:
                codes.append(token)
        StaticToken.objects.bulk_create(StaticToken(device=device, token=t) for t in codes)
    return codes


def reset(user):
    """Remove every device of `user` (lost phone): they log in with their password alone, or
    enrol again. Returns whether there was anything to remove."""
    with transaction.atomic():
        totp, _ = TOTPDevice.objects.filter(user=user).delete()
        static, _ = StaticDevice.objects.filter(user=user).delete()
    return bool(totp or static)


# --- Codes ------------------------------------------------------------------------------------


def normalize(code):
    """A code as typed: spaces and dashes dropped, recovery codes in lower case."""
    return "".join(code.split()).replace("-", "").lower()


def verify(user, code):
    """The confirmed device that accepts `code` (a TOTP code, or a recovery code, used up
    here), or None. Devices throttle repeated failures themselves."""
    code = normalize(code)
    if not code or len(code) > 16:
        return None
    # Six digits come from the app; recovery codes have eight letters and digits.
    model = TOTPDevice if code.isdigit() and len(code) == TOTP_DIGITS else StaticDevice
    device = model.objects.filter(user=user, confirmed=True).order_by("pk").first()
    if device is None:
        return None
    return verify_token(user, device.persistent_id, code)


# --- The session ------------------------------------------------------------------------------


def mark_pending_on_login(sender, request, user, **kwargs):
    """Receiver of `user_logged_in`: an enrolled user who logged in without a verified device
    still owes a code."""
    session = getattr(request, "session", None)
    if session is None or session.get(DEVICE_ID_SESSION_KEY):
        return
    if is_enrolled(user):
        session[PENDING_SESSION_KEY] = int(time.time())


def mark_pending(request):
    request.session[PENDING_SESSION_KEY] = int(time.time())


def clear_pending(request):
    request.session.pop(PENDING_SESSION_KEY, None)


def is_pending(request):
    return PENDING_SESSION_KEY in request.session


def pending_expired(request):
    started = request.session.get(PENDING_SESSION_KEY)
    return not isinstance(started, int) or time.time() - started > PENDING_MAX_AGE


def verified_by_provider(request):
    """The identity provider checked a second factor at this login (ProConnect's acr/amr): no
    code is owed in this session."""
    request.session[PROVIDER_VERIFIED_SESSION_KEY] = True
    clear_pending(request)


def is_verified(request):
    """Has this session's second factor been checked (a code here, or the identity provider)?"""
    return request.user.is_verified() or request.session.get(PROVIDER_VERIFIED_SESSION_KEY) is True


def complete_verification(request, device):
    """The code was right: the session is verified with `device` (django-otp's
    `request.user.is_verified()`), no longer pending, under a new session key."""
    otp_login(request, device)
    clear_pending(request)
    request.session.cycle_key()
