"""Page-cache scopes of the directory: any change to people, schools, classes,
groups or the links between them bumps "dir", on which every cached page
depends (names, roles, children and classes show in every page's header)."""

from django.db.models.signals import m2m_changed, post_delete, post_save

from ent import pagecache

# Saves that change nothing a page shows: a login stamps last_login on every
# sign-in, and bumping "dir" for it would empty the cache every second.
_SILENT_USER_FIELDS = frozenset({"last_login", "password"})


def _changed(sender, instance=None, update_fields=None, action="post", origin=None, **kwargs):
    if action.startswith("pre") or pagecache.cascaded(sender, origin):
        return
    if sender._meta.model_name == "user" and update_fields and set(update_fields) <= _SILENT_USER_FIELDS:
        return
    pagecache.bump(pagecache.DIRECTORY)


def connect():
    from ent.directory import models

    for model in (
        models.User,
        models.Territory,
        models.TerritoryAdmin,
        models.School,
        models.SchoolYear,
        models.SchoolClass,
        models.Group,
        models.Subject,
        models.Enrollment,
        models.Guardianship,
        models.TeachingAssignment,
        models.StaffRole,
    ):
        post_save.connect(_changed, sender=model, dispatch_uid=f"pagecache-save-{model.__name__}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"pagecache-delete-{model.__name__}")
    m2m_changed.connect(_changed, sender=models.Group.members.through, dispatch_uid="pagecache-group-members")
