"""Media's part of a person's data export and of the retention purges (hooks
called by ent.directory.privacy; see its docstring for the contract).

Export: the resources the person proposed, the file versions they uploaded
(file names, never their stored keys) and the review decisions they took.
Families and pupils hold nothing here: resources are the staff's and teachers'
work, assigned to whole classes, so a child's section is empty by design.

Purge: media cleans its own leftovers (expired upload tickets, orphan files) on
its own schedule (media.hygiene); nothing of it follows the directory's log
retention.
"""

from media.models import Decision, Item, Version


def _iso(value):
    return value.isoformat() if value else None


def export(user, children) -> dict:
    return {
        "resources_proposed": [
            {
                "title": i.title,
                "kind": i.get_kind_display(),
                "status": i.get_status_display(),
                "school": i.school.name,
                "created_at": _iso(i.created_at),
            }
            for i in Item.objects.filter(created_by=user).select_related("school").order_by("created_at", "id")
        ],
        "files_uploaded": [
            {"resource": v.item.title, "file_name": v.filename, "at": _iso(v.created_at)}
            for v in Version.objects.filter(uploaded_by=user).select_related("item").order_by("created_at", "id")
        ],
        "decisions": [
            {"resource": d.item.title, "verdict": d.get_verdict_display(), "at": _iso(d.decided_at)}
            for d in Decision.objects.filter(decided_by=user).select_related("item").order_by("decided_at", "id")
        ],
    }


def purge(cutoff, dry_run) -> int:
    """Nothing: see the module docstring."""
    return 0
