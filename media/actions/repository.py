"""The fleets' F-Droid repositories: what a change to an offered app makes
stale (the manifest's revision, the published repository), queuing a build, and
a failed build recorded and told."""

import logging
import threading

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from ent.celery import app as celery_app
from ent.directory.models import StaffRole
from ent.notify.api import notify
from media.models import Fleet

log = logging.getLogger(__name__)


def bump_fleets(item_ids):
    fleets = Fleet.objects.filter(fleet_items__item_id__in=item_ids)
    refresh_repos_later(set(fleets.filter(repo_built_at__isnull=False).values_list("id", flat=True)))
    fleets.update(revision=F("revision") + 1)


def refresh_repos_later(fleet_ids):
    """Rebuild the published F-Droid repositories of these fleets once the change
    is committed, so a withdrawn app leaves the index as it leaves the manifest.
    Fleets whose repository was never built have nothing to refresh (their
    référent builds it from the fleet page)."""
    if not fleet_ids:
        return
    for fleet_id in sorted(set(fleet_ids)):
        # robust: a broker outage must not break the request that committed the change.
        transaction.on_commit(lambda fleet_id=fleet_id: queue_repo_build(fleet_id), robust=True)


def do_request_repo_build(user, fleet: Fleet) -> None:
    """The référent publishes the fleet's F-Droid repository: the build is queued
    once the request's transaction commits (robust: a broker outage must not
    break the page), never run in the request (see queue_repo_build)."""
    transaction.on_commit(lambda: queue_repo_build(fleet.id), robust=True)


def queue_repo_build(fleet_id) -> None:
    """Hand the build to Celery. A build takes seconds (fdroid update, signing):
    never inside a request. Where Celery runs tasks eagerly (`make run` on a bare
    machine, no broker), it runs in a thread of its own instead, after the response."""
    from media.tasks import build_fdroid_repo  # media.tasks calls these actions: imported when needed

    if not (celery_app.conf.task_always_eager and getattr(settings, "MEDIA_FDROID_BUILD_IN_THREAD", True)):
        build_fdroid_repo.delay(fleet_id)
        return

    def run():
        try:
            build_fdroid_repo.apply(args=[fleet_id])
        finally:
            connection.close()

    threading.Thread(target=run, name=f"fdroid-build-{fleet_id}", daemon=True).start()


def referent_ids(school) -> list:
    roles = StaffRole.objects.filter(school=school, role=StaffRole.Role.REFERENT)
    ids = list(roles.values_list("user_id", flat=True))
    if not ids:
        ids = list(
            StaffRole.objects.filter(school=school, role=StaffRole.Role.DIRECTION).values_list("user_id", flat=True)
        )
    return ids


def do_record_repo_failure(fleet_id, reason: str) -> Fleet | None:
    """A build failed: the previous repository stays served; the fleet is marked
    out of date with the reason, and its référents are told (once per run of
    failures, not at every retry)."""
    with transaction.atomic():
        fleet = Fleet.objects.select_for_update().select_related("school").filter(id=fleet_id).first()
        if fleet is None:
            return None
        first_failure = not fleet.repo_error
        fleet.repo_error = (reason or "").strip()[:4000] or "unknown error"
        fleet.repo_failed_at = timezone.now()
        fleet.save(update_fields=["repo_error", "repo_failed_at"])
        if first_failure:
            notify(
                referent_ids(fleet.school),
                "fleet.repository_failed",
                obj=fleet,
                context={
                    "fleet": fleet.name,
                    "reason": fleet.repo_error[:500],
                    "url": reverse("media:fleet", args=[fleet.id]),
                },
            )
    return fleet
