from media import actions
from media.models import Item
from tests.media.conftest import PDF, upload


def propose(world, *, kind="document", data=PDF, name="cours.pdf", title="Cours", user=None, **extra):
    values = {"kind": kind, "title": title, "description": "", "levels": "", "licence": "", "url": "", **extra}
    return actions.do_propose_item(
        user or world.teacher, world.school, values, uploaded=None if kind == "link" else upload(data, name)
    )


def offered_item(world, django_capture_on_commit_callbacks, *, assign_class=True, **kwargs):
    """Proposed, scanned (real clamd), approved and assigned to world.klass."""
    with django_capture_on_commit_callbacks(execute=True):
        item = propose(world, **kwargs)
    item.refresh_from_db()
    version = item.versions.first()
    actions.do_approve(world.referent, item, version)
    item.refresh_from_db()
    if assign_class:
        actions.do_assign(world.referent, item, [world.klass], [])
    return item


def link_item(world, *, assign_class=True, title="Dictionnaire"):
    item = propose(world, kind="link", url="https://fr.wiktionary.org/", title=title)
    actions.do_approve(world.referent, item, None)
    item.refresh_from_db()
    if assign_class:
        actions.do_assign(world.referent, item, [world.klass], [])
    return Item.objects.get(pk=item.pk)
