"""Who is calling: a personal token, an access token of the ENT's OpenID
provider (with the `api` scope; `api.write` for changes), or the session of a
page of this site (CSRF checked on writes). Each sets `request.user`, so the
endpoints ask the apps' access functions exactly as a page does; `request.auth`
is a `Caller` whose text names the credential, the rate limits' key."""

from dataclasses import dataclass

from allauth.idp.oidc.contrib.ninja.security import TokenAuth
from ninja.security import HttpBearer, SessionAuth

from ent.api import access, actions

READ_SCOPE = access.READ_SCOPE
WRITE_SCOPE = access.WRITE_SCOPE
_WRITE = [READ_SCOPE, WRITE_SCOPE]
OIDC_SCOPES = {"GET": READ_SCOPE, "HEAD": READ_SCOPE, "POST": _WRITE, "PUT": _WRITE, "PATCH": _WRITE, "DELETE": _WRITE}


@dataclass(frozen=True)
class Caller:
    user: object
    credential: str  # "pat:<id>", "oidc:<id>", "session:<user id>"

    def __str__(self):
        return self.credential


class PersonalTokenAuth(HttpBearer):
    def authenticate(self, request, token):
        found = access.token_for_secret(token)
        if found is None:
            return None
        actions.do_note_token_use(found)
        request.user = found.user
        return Caller(found.user, f"pat:{found.id}")


class OpenIdTokenAuth(TokenAuth):
    # allauth declares it an apiKey without a name (not a valid OpenAPI scheme):
    # it is a bearer token in the Authorization header.
    openapi_type = "http"
    openapi_scheme = "bearer"
    openapi_bearerFormat = "OpenID Connect access token"

    def __call__(self, request):
        header = request.headers.get("Authorization", "")
        # A personal token already failed above: do not ask the provider about it.
        if not header.startswith("Bearer ") or header.startswith("Bearer " + access.TOKEN_PREFIX):
            return None
        token = super().__call__(request)
        if token is None or token.user is None or not token.user.is_active:
            return None
        return Caller(token.user, f"oidc:{token.pk}")


class SiteSessionAuth(SessionAuth):
    """The pages' own session, for same-origin scripts: CSRF is checked on writes (csrf=True)."""

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        return Caller(user, f"session:{user.pk}") if user is not None else None


def authenticators():
    return [PersonalTokenAuth(), OpenIdTokenAuth(OIDC_SCOPES), SiteSessionAuth(csrf=True)]
