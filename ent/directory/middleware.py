from django.conf import settings
from django.shortcuts import redirect

# Paths a person who must set up MFA can still reach: the MFA and account pages,
# logging out, language switch, static files and the health check.
MFA_EXEMPT_PREFIXES = ("/accounts/", "/i18n/", "/static/", "/healthz")
MFA_SESSION_FLAG = "ent_mfa_ok"


def has_totp(user) -> bool:
    """A second factor that signs in: an authenticator app or a passkey."""
    from allauth.mfa.models import Authenticator

    kinds = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)
    return Authenticator.objects.filter(user=user, type__in=kinds).exists()


def mfa_required(user) -> bool:
    if not (user.is_superuser or user.roles.needs_mfa):
        return False
    if settings.ENT_DEMO_MODE and user.is_demo:
        return False
    return True


class RequireMFAMiddleware:
    """Staff and territory admins must have TOTP or a passkey set up before anything else.

    The check result is remembered in the session so that it costs a query only
    until the person has set it up."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(MFA_EXEMPT_PREFIXES)
            and not request.session.get(MFA_SESSION_FLAG)
            and mfa_required(user)
        ):
            if has_totp(user):
                request.session[MFA_SESSION_FLAG] = True
            else:
                return redirect("mfa_activate_totp")
        return self.get_response(request)
