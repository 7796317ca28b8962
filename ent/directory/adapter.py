import time
from datetime import UTC, datetime

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
        # password they just typed would only confuse them. This applies only
        # within the re-authentication window of the login itself, and only while
        # every authenticator was set up after that login (the first set-up and
        # its recovery codes); changing an earlier MFA set-up still asks.
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
        records = get_authentication_records(request, user)
        if not records:
            return False
        logged_in_at = records[-1]["at"]
        if time.time() - logged_in_at >= account_settings.REAUTHENTICATION_TIMEOUT:
            return False
        login_time = datetime.fromtimestamp(logged_in_at, tz=UTC)
        return not Authenticator.objects.filter(user=user, created_at__lt=login_time).exists()
