"""The resources assigned to me (a pupil) or to my child (a parent): "Mes ressources"."""

from ninja import Query, Router

from ent.api.core import PageQuery, page_of, responses
from ent.api.views import schemas
from ent.directory.access import access_child
from media import access

router = Router(tags=["resources"])


def _resource(item):
    return {"id": item.id, "kind": item.kind, "title": item.title, "summary": item.summary}


@router.get("/resources", response=responses({200: schemas.ResourcePage}), summary="Resources assigned to me")
def resources(request, page: Query[PageQuery], child: int | None = None):
    chosen = access_child(request.user, child) if child is not None else None
    return page_of(access.resources_of(request.user, chosen), page, _resource)
