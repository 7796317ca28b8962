"""Management commands for the territory admin, each with --dry-run."""

import io

import pytest
from django.core.management import CommandError, call_command
from pypdf import PdfReader

from ent.directory.models import ActivationCode, SchoolYear, User
from tests.imports import samples

pytestmark = pytest.mark.django_db


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_import_csv_dry_run_then_apply(primary, tmp_path):
    path = tmp_path / "onde.csv"
    path.write_bytes(samples.onde())
    out = run("import_csv", primary.uai, str(path), "--dry-run")
    assert "3 lines" in out and "Dry run" in out
    assert not User.objects.filter(external_id="123456789AB").exists()
    run("import_csv", primary.uai, str(path))
    assert User.objects.filter(external_id="123456789AB").exists()
    assert "0 created" in run("import_csv", primary.uai, str(path))


def test_import_csv_errors(primary, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(samples.onde(["DUPONT;;;M;;;;;;;;;;;;;;"]))
    with pytest.raises(CommandError, match="nothing was changed"):
        run("import_csv", primary.uai, str(path))
    with pytest.raises(CommandError):
        run("import_csv", "0000000Z", str(path))


def test_login_letters_command(primary, tmp_path):
    path = tmp_path / "onde.csv"
    path.write_bytes(samples.onde())
    run("import_csv", primary.uai, str(path))
    out = run("login_letters", primary.uai, "--class", "CE2", "--dry-run")
    assert "emile.dupont" in out and not ActivationCode.objects.exists()
    pdf = tmp_path / "lettres.pdf"
    run("login_letters", primary.uai, "--class", "CE2", "--output", str(pdf))
    text = "\n".join(p.extract_text() for p in PdfReader(str(pdf)).pages)
    assert "emile.dupont" in text and "claire.dupont" in text
    assert ActivationCode.objects.usable().count() == len(PdfReader(str(pdf)).pages) == 5


def test_rollover_command(primary, tmp_path):
    path = tmp_path / "onde.csv"
    path.write_bytes(samples.onde())
    run("import_csv", primary.uai, str(path))
    out = run("rollover", primary.uai, "--dry-run")
    assert "CE2 (2) → CM1" in out
    assert SchoolYear.objects.filter(school=primary).count() == 1
    run("rollover", primary.uai)
    assert SchoolYear.objects.get(school=primary, is_current=True).name == "2027-2028"
