"""A one-use ticket to open the socket (ws/) as the caller, for clients that
cannot set the Sec-WebSocket-Protocol header (ent/api/ws.py)."""

from ninja import Router, Schema, Status

from ent.api import actions, auth
from ent.api.core import responses

router = Router(tags=["live"])


class SocketTicket(Schema):
    ticket: str
    expires_in: int
    subprotocols: list[str]
    path: str


@router.post(
    "/ws-ticket",
    # Bearer tokens only: a page opens ws/ with its session cookie. The `api`
    # scope suffices: the ticket opens nothing the token does not.
    auth=[auth.PersonalTokenAuth(), auth.OpenIdTokenAuth(auth.READ_SCOPE)],
    response=responses({201: SocketTicket}),
    summary="A ticket to open the live socket",
    description="One use, valid 30 seconds, as the token that asked for it (and only while that token is valid). "
    'Open ws/ offering the subprotocols ["ent.v1", "ticket.<ticket>"]; see docs/api.md.',
    url_name="ws_ticket",
)
def ws_ticket(request):
    ticket = actions.do_issue_socket_ticket(request.auth.credential, request.user.pk)
    return Status(
        201,
        {
            "ticket": ticket,
            "expires_in": actions.TICKET_SECONDS,
            "subprotocols": ["ent.v1", "ticket." + ticket],
            "path": "/ws/",
        },
    )
