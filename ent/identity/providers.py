"""allauth's SAML and OpenID Connect providers, each with what single logout and
the second-factor rule need from a sign-in, which allauth reads and then
forgets: the SAML NameID, SessionIndex and AuthnContextClassRef, the OpenID
`nonce`, the raw ID token (the `id_token_hint` of the IdP's logout) and its
`sid` and `sub` (what the IdP's back-channel logout names).

Wired through allauth's own switch, SOCIALACCOUNT_PROVIDERS[<id>]["provider_class"];
the views, URLs and checks stay allauth's (`package` keeps its URLs)."""

from allauth.socialaccount.providers.openid_connect.provider import OpenIDConnectProvider as BaseOIDCProvider
from allauth.socialaccount.providers.saml.provider import SAMLProvider as BaseSAMLProvider
from django.utils.crypto import get_random_string

from ent.identity import logout

NONCE_STATE_KEY = "ent_nonce"


class SAMLProvider(BaseSAMLProvider):
    package = "allauth.socialaccount.providers.saml"

    def sociallogin_from_response(self, request, response):
        login = super().sociallogin_from_response(request, response)
        logout.remember_sign_in(
            request,
            login,
            {
                "kind": "saml",
                "app": self.app.pk,
                "name_id": response.get_nameid(),
                "name_id_format": response.get_nameid_format(),
                "nq": response.get_nameid_nq(),
                "spnq": response.get_nameid_spnq(),
                "session_index": response.get_session_index(),
            },
            acr=list(response.get_last_authn_contexts() or []),
        )
        return login


class OpenIDConnectProvider(BaseOIDCProvider):
    package = "allauth.socialaccount.providers.openid_connect"

    def redirect(self, request, process, next_url=None, data=None, **kwargs):
        # allauth sends no nonce: the ID token it gets back could be one issued
        # for another sign-in. One nonce per sign-in, kept in allauth's own
        # state for the callback (checked in ent.identity.adapter).
        nonce = get_random_string(32)
        auth_params = kwargs.pop("auth_params", None)
        if auth_params is None:
            auth_params = self.get_auth_params()
        auth_params = {**auth_params, "nonce": nonce}
        kwargs[NONCE_STATE_KEY] = nonce
        return super().redirect(request, process, next_url, data, auth_params=auth_params, **kwargs)

    def sociallogin_from_response(self, request, response):
        login = super().sociallogin_from_response(request, response)
        claims = response.get("id_token") if isinstance(response, dict) else None
        logout.remember_sign_in(
            request,
            login,
            {
                "kind": "oidc",
                "app": self.app.pk,
                "id_token": logout.raw_id_token_of(request, claims),
                # What the IdP's back-channel logout token will name (ent.identity.backchannel).
                "sub": str((claims or {}).get("sub") or login.account.uid),
                "sid": str((claims or {}).get("sid") or ""),
            },
            acr=[claims["acr"]] if claims and claims.get("acr") else [],
        )
        return login
