"""allauth's socialaccount policy for the ENT: external sign-ins never create
accounts; they reach a person only through ent.identity.matching, and what
does not match waits for the school office.

Second factor: a signed-in staff member goes through allauth's MFA stage and
ent.directory's RequireMFAMiddleware exactly as after a password, unless the
IdP is one the territory trusts for it and its acr / AuthnContextClassRef
names a second factor (ent.identity.mfa)."""

import copy
import hmac
import logging

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils.translation import gettext as _

from ent.identity import actions, logout, mfa
from ent.identity.matching import ProfileNotAllowed, attribute_values, match_identity
from ent.identity.models import IdentityProvider
from ent.identity.providers import NONCE_STATE_KEY

log = logging.getLogger("ent.identity")


def refusal(request, message, *, status=403):
    return render(request, "identity/refused.html", {"message": message}, status=status)


def failed_message():
    return _("The sign-in through your identity provider could not be completed. Nothing was changed.")


def nonce_matches(sociallogin) -> bool:
    """An OpenID sign-in's ID token must carry the nonce this browser's sign-in
    sent (ent.identity.providers); SAML has its own InResponseTo check."""
    if sociallogin.provider.id != "openid_connect":
        return True
    sent = sociallogin.state.get(NONCE_STATE_KEY)
    received = (sociallogin.account.extra_data.get("id_token") or {}).get("nonce")
    if not isinstance(sent, str) or not isinstance(received, str):
        return False
    return hmac.compare_digest(sent, received)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin):
        return False

    def is_auto_signup_allowed(self, request, sociallogin):
        return False

    def can_authenticate_by_email(self, login, email):
        # Never: an e-mail address asserted by an IdP identifies nobody here.
        return False

    def pre_social_login(self, request, sociallogin):
        app = sociallogin.provider.app
        idp = IdentityProvider.objects.active().filter(app_id=app.pk).first() if app.pk else None
        if idp is None:
            actions.do_refuse_sign_in(None, "unknown_idp", app=str(app.provider_id or app.provider))
            raise ImmediateHttpResponse(
                refusal(request, _("This identity provider is not open for the ENT."), status=400)
            )
        if sociallogin.state.get("process") == "connect":
            # Linking one's own account to any external identity would bypass
            # the matching rules: only a match or the office links.
            actions.do_refuse_sign_in(
                idp, "self_connect", target=request.user if request.user.is_authenticated else None
            )
            raise ImmediateHttpResponse(refusal(request, _("Only your school can link your account.")))
        if not nonce_matches(sociallogin):
            actions.do_refuse_sign_in(idp, "nonce_mismatch")
            raise ImmediateHttpResponse(refusal(request, failed_message(), status=400))
        signed_in = logout.pending_sign_in(request, sociallogin) or {}
        sociallogin.state[mfa.STATE_KEY] = mfa.idp_proves_second_factor(idp, signed_in.get("acr") or [])
        if sociallogin.is_existing:
            # Already linked: allauth signs the person in, and refuses a blocked
            # account on its own (account_inactive).
            return
        attrs = attribute_values(sociallogin.account.extra_data)
        try:
            match = match_identity(idp, attrs)
        except ProfileNotAllowed:
            actions.do_refuse_sign_in(idp, "profile_not_allowed")
            raise ImmediateHttpResponse(
                refusal(request, _("This identity provider cannot be used for your profile on the ENT."))
            ) from None
        if match.is_unique and not match.person.is_active:
            actions.do_refuse_sign_in(idp, "blocked", target=match.person)
            raise ImmediateHttpResponse(refusal(request, _("Your ENT account is blocked. Please contact your school.")))
        if match.is_unique:
            actions.do_link_on_first_sign_in(request, sociallogin, idp, match)
            return
        actions.do_queue_identity(idp, sociallogin.account.uid, attrs, match)
        raise ImmediateHttpResponse(render(request, "identity/waiting.html", {"idp": idp}))

    def validate_disconnect(self, account, accounts):
        # Links are removed by the school office (audited), not from allauth's page.
        raise ValidationError(_("Only your school can remove this link."))

    def serialize_instance(self, instance):
        # A login paused at the MFA stage is kept in the session as JSON; the
        # person's cached `roles` (read by the matching) are not data and are
        # computed again after the sign-in.
        if "roles" in instance.__dict__:
            instance = copy.copy(instance)
            del instance.__dict__["roles"]
        return super().serialize_instance(instance)

    def get_requests_session(self):
        session = super().get_requests_session()
        session.hooks["response"].append(logout.keep_id_token)
        return session

    def on_authentication_error(self, request, provider, error=None, exception=None, extra_context=None):
        # Tampered, unsigned, replayed or expired responses, a state or nonce
        # that does not match, an IdP error: one clear page, one log line.
        log.warning(
            "external sign-in failed: provider=%s error=%s exception=%r",
            getattr(provider, "id", provider),
            error,
            exception,
        )
        raise ImmediateHttpResponse(refusal(request, failed_message(), status=400))
