"""What the ENT keeps about people: every model holding personal data is in the
family's export and ends in a purge (or is documented as kept, with the reason);
notifications, their deliveries and preferences in the export and purged; a
privacy hook that cannot be found is an error, not skipped."""

import datetime
import importlib
import inspect
import json
import re
from datetime import timedelta

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.utils import timezone

from ent.directory import privacy
from ent.directory.personal_data import (
    ACCOUNT,
    DIRECTORY,
    EXTRA,
    PERSONAL_DATA,
    SCHEDULED_PURGES,
    UNLINKED,
)
from ent.notify import privacy as notify_privacy
from ent.notify.models import ChildMute, Delivery, Notification, NotificationSettings, Preference


def user_keys(model):
    """The model's concrete keys to the user model (foreign, one-to-one, many-to-many)."""
    user_model = get_user_model()
    return [f for f in model._meta.get_fields() if f.is_relation and f.concrete and f.related_model is user_model]


def resolve(path):
    module_name, func_name = path.split(":")
    module = importlib.import_module(module_name)
    return module, getattr(module, func_name)


def mentions(source, model):
    """The source reads the model: by its class, or through the reverse accessor of
    one of its keys (`conversation.participants`, `message.attachments`)."""
    names = {model.__name__}
    for field in model._meta.get_fields():
        if field.is_relation and field.concrete and field.many_to_one:
            names.add(field.remote_field.get_accessor_name())
            names.add(field.related_query_name())
    # "participants__user" reads participants: a lookup's "__" is no word boundary for \b.
    return any(re.search(rf"\b{re.escape(name)}(?![A-Za-z0-9])", source) for name in names if name and name != "+")


# --- The registry against the models -------------------------------------------------


def test_every_model_holding_personal_data_is_declared():
    holding = {m._meta.label for m in apps.get_models() if user_keys(m)} | {get_user_model()._meta.label}
    holding |= set(EXTRA)
    declared = set(PERSONAL_DATA)
    assert holding - declared == set(), "models with personal data missing from ent/directory/personal_data.py"
    assert declared - holding == set(), "declared models that hold no personal data (or no longer exist)"


@pytest.mark.parametrize("label", sorted(PERSONAL_DATA))
def test_each_model_is_in_the_family_export_or_says_why_not(label):
    held, model = PERSONAL_DATA[label], apps.get_model(label)
    if held.export is None:
        assert len(held.not_exported) > 10, f"{label}: not exported, and no reason given"
        return
    assert held.export == DIRECTORY or held.export in privacy.EXPORT_HOOKS, f"{label}: {held.export} is never called"
    module, hook = resolve(held.export)
    assert callable(hook)
    # The module that builds the section reads the model (helpers included).
    assert mentions(inspect.getsource(module), model), f"{label}: {module.__name__} never reads it"


@pytest.mark.parametrize("label", sorted(PERSONAL_DATA))
def test_each_model_ends_in_a_purge_or_says_why_it_is_kept(label):
    held, model = PERSONAL_DATA[label], apps.get_model(label)
    keys = user_keys(model)
    on_delete = {f.name: getattr(f.remote_field, "on_delete", None) for f in keys if not f.many_to_many}
    if held.retention == ACCOUNT:
        # Deleting the account deletes the row.
        assert any(f.many_to_many for f in keys) or models.CASCADE in on_delete.values(), label
    elif held.retention == UNLINKED:
        # The row stays as the school's record; nothing keeps pointing at the person.
        assert all(rule in (models.SET_NULL, models.CASCADE) for rule in on_delete.values()), label
    elif held.retention is None:
        assert len(held.kept) > 10, f"{label}: kept, and no reason given"
        if "PROTECT" in held.kept:
            assert models.PROTECT in on_delete.values(), f"{label}: says PROTECT, is not"
    else:
        scheduled = held.retention in privacy.RETENTION_HOOKS or held.retention in SCHEDULED_PURGES
        assert scheduled, f"{label}: {held.retention} never runs"
        _module, purge = resolve(held.retention)
        assert mentions(inspect.getsource(purge), model), f"{label}: {held.retention} never deletes it"


def test_the_scheduled_purges_are_in_the_beat_schedule():
    beat = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert set(SCHEDULED_PURGES.values()) <= beat


# --- Hooks that cannot be found -----------------------------------------------------------


def test_every_hook_resolves():
    for path in privacy.EXPORT_HOOKS + privacy.RETENTION_HOOKS:
        assert callable(privacy._resolve(path)), path


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    ["ent.notify.nosuchmodule:export", "ent.notify.privacy:nosuchfunction"],
)
def test_a_missing_hook_is_an_error_not_skipped(path, world, monkeypatch):
    monkeypatch.setattr(privacy, "EXPORT_HOOKS", [*privacy.EXPORT_HOOKS, path])
    with pytest.raises(ImproperlyConfigured, match="privacy hook"):
        privacy.collect_personal_data(world.guardian)
    monkeypatch.setattr(privacy, "RETENTION_HOOKS", [*privacy.RETENTION_HOOKS, path.replace("export", "purge")])
    with pytest.raises(ImproperlyConfigured, match="privacy hook"):
        privacy.purge_old_records(dry_run=True)


def test_a_broken_import_inside_a_hook_is_not_taken_for_a_missing_module(monkeypatch):
    # A hook module that exists but imports something missing must raise as is.
    def broken(name, *args, **kwargs):
        raise ModuleNotFoundError("No module named 'leftpad'", name="leftpad")

    monkeypatch.setattr(importlib, "import_module", broken)
    with pytest.raises(ModuleNotFoundError, match="leftpad"):
        privacy._resolve("ent.notify.privacy:export")


# --- Notifications in the export -----------------------------------------------------------


@pytest.fixture
def notes(world):
    world.guardian.phone = "+33612345678"
    world.guardian.save()
    mine = Notification.objects.create(
        recipient=world.guardian, kind="absence.unexplained", child=world.pupil, url="/absences/"
    )
    Delivery.objects.create(
        notification=mine,
        channel=Delivery.Channel.SMS,
        status=Delivery.Status.FAILED,
        due_at=timezone.now(),
        error="gateway refused +33612345678",
    )
    childs = Notification.objects.create(recipient=world.pupil, kind="homework.new")
    # The other parent's notification about the same child: theirs, not Sophie's.
    Notification.objects.create(recipient=world.guardian2, kind="absence.unexplained", child=world.pupil)
    Notification.objects.create(recipient=world.outsider_parent, kind="absence.unexplained")
    NotificationSettings.objects.create(
        user=world.guardian, quiet_start=datetime.time(21, 0), quiet_end=datetime.time(6, 30)
    )
    Preference.objects.create(user=world.guardian, kind="homework.new", frequency="daily", email=True, sms=False)
    ChildMute.objects.create(user=world.guardian, child=world.sibling, kind="homework.new")
    Preference.objects.create(user=world.outsider_parent, kind="message.new", frequency="off")
    return mine, childs


@pytest.mark.django_db
def test_notifications_deliveries_and_preferences_are_in_the_family_export(world, notes):
    mine, childs = notes
    section = privacy.collect_personal_data(world.guardian)["sections"]["ent.notify"]
    assert len(section["notifications"]) == 1
    exported = section["notifications"][0]
    assert exported["created_at"] == mine.created_at.isoformat() and exported["link"] == "/absences/"
    assert exported["title"]  # in words, not a code
    assert [d["error"] for d in exported["deliveries"]] == ["gateway refused +33612345678"]
    assert section["settings"] == {"quiet_start": "21:00", "quiet_end": "06:30"}
    assert [(p["frequency"], p["by_email"], p["by_sms"]) for p in section["preferences"]] == [
        (str(Preference(frequency="daily").get_frequency_display()), True, False)
    ]
    assert [m["for"] for m in section["muted"]] == [world.sibling.get_full_name()]
    # The child's own feed, under the child.
    by_child = {c["username"]: c for c in section["children"]}
    assert len(by_child[world.pupil.username]["notifications"]) == 1


@pytest.mark.django_db
def test_another_familys_or_the_other_parents_notifications_are_never_exported(world, notes):
    data = privacy.collect_personal_data(world.guardian)
    section = data["sections"]["ent.notify"]
    total = len(section["notifications"]) + sum(len(c["notifications"]) for c in section["children"])
    assert total == 2  # Sophie's own and Léa's own; not Marc's, not Inès's
    assert "message.new" not in json.dumps(section, default=str)  # Inès's preference


@pytest.mark.django_db
def test_the_readable_export_shows_the_notifications_section(world, notes):
    html = privacy.render_export_html(privacy.collect_personal_data(world.guardian), world.guardian)
    assert "Notifications reçues" in html and "Erreur d’envoi" in html
    assert "gateway refused" in html


# --- Notifications purged ------------------------------------------------------------------


@pytest.mark.django_db
def test_old_notifications_and_delivery_errors_are_purged(world, notes):
    mine, childs = notes
    now = timezone.now()
    old = Notification.objects.create(
        recipient=world.guardian, kind="message.new", created_at=now - privacy.RETENTION_LOGS - timedelta(days=1)
    )
    Delivery.objects.create(notification=old, channel="email", status="sent", due_at=old.created_at)
    month_ago = now - timedelta(days=notify_privacy.DELIVERY_ERROR_DAYS + 1)
    Delivery.objects.filter(notification=mine).update(created_at=month_ago)
    fresh = Delivery.objects.create(
        notification=childs, channel="email", status="failed", due_at=now, error="554 rejected lea@example.org"
    )
    cutoff = now - privacy.RETENTION_LOGS

    assert notify_privacy.purge(cutoff, dry_run=True) == 2
    assert Notification.objects.filter(id=old.id).exists()
    assert Delivery.objects.get(notification=mine).error != ""

    assert notify_privacy.purge(cutoff, dry_run=False) == 2
    assert not Notification.objects.filter(id=old.id).exists()
    assert not Delivery.objects.filter(notification_id=old.id).exists()
    assert Delivery.objects.get(notification=mine).error == ""
    fresh.refresh_from_db()
    assert fresh.error == "554 rejected lea@example.org"  # recent: still useful to the school office
    assert Notification.objects.filter(id=mine.id).exists()
    # Idempotent.
    assert notify_privacy.purge(cutoff, dry_run=False) == 0


@pytest.mark.django_db
def test_the_nightly_purge_runs_the_notify_hook(world, notes):
    Notification.objects.create(
        recipient=world.guardian, kind="message.new", created_at=timezone.now() - timedelta(days=400)
    )
    entry = privacy.purge_old_records()
    assert entry.details["ent.notify"] == 1
    assert Notification.objects.filter(recipient=world.guardian).count() == 1
