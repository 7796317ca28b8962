import time
from datetime import UTC, datetime

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from django.utils.translation import gettext_lazy as _

from ent.directory import signin


def _typed_login(credentials) -> str:
    return credentials.get("email") or credentials.get("username") or ""


class AccountAdapter(DefaultAccountAdapter):
    """Accounts come from the school (imports, staff, activation codes): there is
    no public sign-up."""

    # The same words whether the account exists or not: the limits count the
    # typed login, known or unknown.
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "too_many_login_attempts": _(
            "Too many wrong passwords for this account. Wait 15 minutes and try again, or ask your teacher "
            "or the school office: they can give you a new activation code straight away."
        ),
        "address_slowed": _("Too many failed sign-ins from this network. Wait one minute and try again."),
        "address_stopped": _(
            "Too many failed sign-ins from this network: sign-in is paused for 15 minutes. "
            "The school office has been told; ask them if it keeps happening."
        ),
    }

    def is_open_for_signup(self, request):
        return False

    def add_message(self, request, level, message_template=None, message_context=None, extra_tags="", message=None):
        # No "Successfully signed in as ..." banner: the home page greets the
        # person by name already, and rendering the message's template was a
        # measurable share of every login's CPU (bench/login_bench.py).
        if message_template == "account/messages/logged_in.txt":
            return
        super().add_message(request, level, message_template, message_context, extra_tags, message)

    def get_client_ip(self, request):
        # allauth's own raises on an X-Forwarded-For shorter than the proxy count.
        return signin.client_ip(request)

    def pre_authenticate(self, request, **credentials):
        try:
            signin.check_attempt(request, _typed_login(credentials))
        except signin.Refusal as refusal:
            raise self.validation_error(refusal.code) from None
        super().pre_authenticate(request, **credentials)

    def authenticate(self, request, **credentials):
        user = super().authenticate(request, **credentials)
        if user is not None:
            signin.record_success(request, _typed_login(credentials), user)
        return user

    def authentication_failed(self, request, **credentials):
        signin.record_failure(request, _typed_login(credentials))

    def get_logout_redirect_url(self, request):
        # Asked before the ENT session ends (allauth's LogoutView): a session
        # that came through an IdP goes on to end the IdP's too (single logout,
        # ent.identity.logout), then lands where a local logout does.
        from ent.identity.logout import idp_logout_url

        local = super().get_logout_redirect_url(request)
        return idp_logout_url(request, local) or local

    def get_login_stages(self):
        # The MFA stage that lets a trusted IdP's proved second factor stand for
        # the ENT's own (ent.identity.mfa); otherwise allauth's, unchanged.
        return [
            "ent.identity.mfa.AuthenticateStage" if path == "allauth.mfa.stages.AuthenticateStage" else path
            for path in super().get_login_stages()
        ]

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
        from allauth.mfa.models import Authenticator

        from ent.directory.sessions import logged_in_at

        request = context.request
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return False
        # Our own stamp, written at login (ent.directory.sessions): allauth's
        # record of it is not public API.
        at = logged_in_at(request)
        if at is None:
            return False
        if time.time() - at >= account_settings.REAUTHENTICATION_TIMEOUT:
            return False
        login_time = datetime.fromtimestamp(at, tz=UTC)
        return not Authenticator.objects.filter(user=user, created_at__lt=login_time).exists()
