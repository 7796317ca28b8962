"""Who I am, and my children (a parent's), as the header's child switcher lists them."""

from django.utils.translation import get_language
from ninja import Router

from ent.api.core import responses
from ent.api.views import schemas
from ent.directory.context_processors import request_children
from ent.identity.provider import ent_profile

router = Router(tags=["me"])


def _person(user):
    return {"id": user.id, "first_name": user.first_name, "last_name": user.last_name}


@router.get("/me", response=responses({200: schemas.Me}), summary="Me and my children")
def me(request):
    user = request.user
    return {
        **_person(user),
        "username": user.username,
        "profile": ent_profile(user),
        "language": get_language() or "fr",
        "children": [_person(c) for c in request_children(request)],
    }


@router.get("/children", response=responses({200: list[schemas.Child]}), summary="My children")
def children(request):
    return [_person(c) for c in request_children(request)]
