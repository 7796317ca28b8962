"""The ENT as OpenID provider (allauth.idp.oidc): placeholder, see next step."""

from allauth.idp.oidc.adapter import DefaultOIDCAdapter


class OIDCAdapter(DefaultOIDCAdapter):
    pass
