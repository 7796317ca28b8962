"""Page-cache scope of the directory: "dir", on which every cached page depends
(names, roles, children and classes show in every page's header), and with it
what is cached under its version (each person's roles, ent/directory/roles.py;
a pupil's enrolment and a register's roster, absences).

The writes say so themselves, through
`pagecache.bump_after_commit(pagescopes.bump_directory)`, bulk writes included:
ent/directory/lifecycle.py (blocking, departures, merges, the year rollover),
the apply of a CSV import (imports/plan.py), the purge of departed accounts
(privacy.py), the demo's seeding (demo.py); the admin through BumpsPagesAdmin
(admin.py); messaging's policy and absences' reasons through their own
pagescopes. The other directory actions write rows no cached page shows
(activation codes, passwords, second factors, closed days, letters, exports:
tests/directory/test_actions_bump_pages.py lists each).

One receiver is left, the narrowest that sees the writes made outside our
actions: a User's save. allauth saves the person itself (an address made
primary, a password set or reset with a full save, the names filled at a
federated sign-up), as do Django's createsuperuser and changepassword. Saves of
only `last_login` or `password` are skipped: a login stamps last_login every
time, and bumping "dir" for it would empty the cache every second; no page shows
either. Deletes need no receiver: people are deleted by the purge (which bumps)
and the admin. The signed-in person's own cached row has its own receivers
(ent/directory/auth_backends.py), for the same allauth saves.
"""

from django.db.models.signals import post_save

from ent import pagecache

# Saves that change nothing a page shows (see above).
SILENT_USER_FIELDS = frozenset({"last_login", "password"})


def bump_directory(*_written) -> None:
    """Every cached page, and what is cached under the directory's version, is
    out of date. Takes (and ignores) the objects written, for BumpsPagesAdmin."""
    pagecache.bump(pagecache.DIRECTORY)


def _user_saved(sender, instance=None, update_fields=None, **kwargs):
    if update_fields and set(update_fields) <= SILENT_USER_FIELDS:
        return
    bump_directory()  # now and again at commit (pagecache.bump)


def connect():
    from django.contrib.auth import get_user_model

    post_save.connect(_user_saved, sender=get_user_model(), dispatch_uid="pagecache-user-save")
