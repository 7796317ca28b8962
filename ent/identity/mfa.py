"""The ENT's second factor after an external sign-in (issue 19, item 5).

Staff who sign in through an IdP pass the ENT's own second factor (allauth's
MFA stage; RequireMFAMiddleware for set-up) unless both hold:
- the territory marked this IdP as trusted for second factors (off by default);
- the IdP said, in this sign-in's signed assertion (SAML AuthnContextClassRef)
  or verified ID token (OpenID `acr`), that it used one of the values the
  territory listed for it.
An IdP's word is never enough on its own: a value not on the list, or an IdP
not trusted, and the ENT asks for its own second factor."""

import logging

from allauth.mfa.stages import AuthenticateStage as AllauthAuthenticateStage

log = logging.getLogger("ent.identity")

# Set on allauth's sociallogin.state by the socialaccount adapter; it travels
# with the pending login through the MFA stage.
STATE_KEY = "ent_mfa_by_idp"


def idp_proves_second_factor(idp, asserted_acr) -> bool:
    if not idp.trusts_second_factor:
        return False
    accepted = {str(v).strip() for v in (idp.second_factor_acr_values or []) if str(v).strip()}
    return bool(accepted & {str(v).strip() for v in asserted_acr})


def login_second_factor_by_idp(login) -> bool:
    sociallogin = (login.signal_kwargs or {}).get("sociallogin")
    return bool(sociallogin is not None and sociallogin.state.get(STATE_KEY) is True)


class AuthenticateStage(AllauthAuthenticateStage):
    """allauth's MFA stage, skipped only for a sign-in whose IdP proved a
    second factor as above (ent.directory.adapter.get_login_stages)."""

    def handle(self):
        if login_second_factor_by_idp(self.login):
            log.info("second factor proved by the IdP: user=%s", getattr(self.login.user, "pk", None))
            return None, True
        return super().handle()


def on_user_logged_in(sender, request, user, sociallogin=None, **kwargs):
    # ent.directory's RequireMFAMiddleware would send staff without an ENT
    # authenticator to set one up: the IdP's proved second factor stands for it
    # in this session only.
    if sociallogin is not None and sociallogin.state.get(STATE_KEY) is True:
        from ent.directory.middleware import MFA_SESSION_FLAG

        request.session[MFA_SESSION_FLAG] = True
