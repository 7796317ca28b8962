"""manage.py vapid_keys: `make run`'s push key pair, made once into var/, kept after."""

import stat

from django.core.management import call_command

from ent.notify import webpush


def test_makes_a_usable_pair_readable_only_by_its_owner_then_keeps_it(tmp_path, settings):
    path = tmp_path / "var" / "vapid.env"
    call_command("vapid_keys", str(path))
    keys = dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line and line[0] != "#")
    assert set(keys) == {"WEBPUSH_VAPID_PRIVATE_KEY", "WEBPUSH_VAPID_PUBLIC_KEY"}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    settings.WEBPUSH_VAPID_PRIVATE_KEY = keys["WEBPUSH_VAPID_PRIVATE_KEY"]
    settings.WEBPUSH_VAPID_PUBLIC_KEY = keys["WEBPUSH_VAPID_PUBLIC_KEY"]
    assert webpush.enabled()
    before = path.read_text()
    call_command("vapid_keys", str(path))
    assert path.read_text() == before


def test_run_sh_makes_the_pair_only_when_none_is_set():
    from pathlib import Path

    run_sh = (Path(__file__).resolve().parents[2] / "scripts" / "run.sh").read_text()
    assert 'if [ -z "${WEBPUSH_VAPID_PRIVATE_KEY:-}${WEBPUSH_VAPID_PRIVATE_KEY_FILE:-}" ]' in run_sh
    assert "manage.py vapid_keys var/vapid.env" in run_sh
