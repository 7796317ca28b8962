import time

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context


class AccountAdapter(DefaultAccountAdapter):
    """Accounts come from the school (imports, staff, activation codes): there is
    no public sign-up."""

    def is_open_for_signup(self, request):
        return False

    def is_reauthentication_required(self, *, app: str, **kwargs) -> bool:
        # Staff are sent to set up TOTP right after logging in: asking for the
        # password they just typed would only confuse them. This applies to the
        # first authenticator only, and only within the re-authentication window
        # of the login itself; changing an existing MFA set-up still asks.
        if app == "allauth.mfa" and self._first_mfa_setup_right_after_login():
            return False
        return super().is_reauthentication_required(app=app, **kwargs)

    @staticmethod
    def _first_mfa_setup_right_after_login() -> bool:
        from allauth.account.internal.flows.login import get_authentication_records
        from allauth.mfa.models import Authenticator

        request = context.request
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return False
        if Authenticator.objects.filter(user=user).exists():
            return False
        records = get_authentication_records(request, user)
        if not records:
            return False
        return time.time() - records[-1]["at"] < account_settings.REAUTHENTICATION_TIMEOUT
