"""django-otp's TOTP devices (org/second_factor.py) under a Spanish heading in the administration,
where deleting a person's device lets them enrol a new one (a lost telephone). In INSTALLED_APPS in
place of django_otp.plugins.otp_totp: same app, same label and migrations."""
from django_otp.plugins.otp_totp.apps import DefaultConfig


class SecondFactorDevicesConfig(DefaultConfig):
    verbose_name = "Verificación en dos pasos"
