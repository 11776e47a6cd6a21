"""Helpers of the two-factor tests: enrol a user, and the codes their app would show."""

from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from territories import two_factor

PASSWORD = "motdepasse-de-test"  # tests.factories.UserFactory's


def enrol(user):
    """A confirmed TOTP device for `user` and their recovery codes, as the enrolment page
    leaves them; returns (device, codes)."""
    device = TOTPDevice.objects.create(user=user, name=two_factor.TOTP_DEVICE_NAME)
    return device, two_factor.new_recovery_codes(user)


def app_code(device, steps=0):
    """The code the user's app shows now (or `steps` time steps later), computed from the
    device's key as the app computes it."""
    device.refresh_from_db()
    value = totp(device.bin_key, device.step, device.t0, device.digits, device.drift + steps)
    return f"{value:0{device.digits}d}"


def as_if_time_passed(device):
    """As if the next 30-second step had come and the throttling delay had passed: a device
    accepts each step's code once, and waits 1, 2, 4… seconds after wrong codes."""
    TOTPDevice.objects.filter(pk=device.pk).update(
        last_t=-1, throttling_failure_count=0, throttling_failure_timestamp=None
    )
