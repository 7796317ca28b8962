"""The settings fail loudly on bad configuration, at start-up."""

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from ent.env import env_bool, env_int, env_list, env_secret, parse_email_url
from tests.ops.envscan import ROOT

# --- the helpers ---------------------------------------------------------------


@pytest.mark.parametrize("raw, expected", [("true", True), ("YES", True), ("1", True), ("off", False), ("", False)])
def test_env_bool_values(monkeypatch, raw, expected):
    monkeypatch.setenv("X_FLAG", raw)
    assert env_bool("X_FLAG", not expected) is expected


def test_env_bool_default_when_unset(monkeypatch):
    monkeypatch.delenv("X_FLAG", raising=False)
    assert env_bool("X_FLAG", True) is True


@pytest.mark.parametrize("raw", ["maybe", "2", "tru"])
def test_env_bool_rejects_anything_else(monkeypatch, raw):
    monkeypatch.setenv("X_FLAG", raw)
    with pytest.raises(ImproperlyConfigured, match="X_FLAG must be a boolean"):
        env_bool("X_FLAG")


def test_env_int(monkeypatch):
    monkeypatch.setenv("X_NUM", "42")
    assert env_int("X_NUM", 1) == 42
    monkeypatch.setenv("X_NUM", " ")
    assert env_int("X_NUM", 7) == 7


@pytest.mark.parametrize("raw, message", [("abc", "must be an integer"), ("1.5", "must be an integer"), ("-1", ">= 0")])
def test_env_int_rejects_bad_values(monkeypatch, raw, message):
    monkeypatch.setenv("X_NUM", raw)
    with pytest.raises(ImproperlyConfigured, match=message):
        env_int("X_NUM", 1, minimum=0)


def test_env_list(monkeypatch):
    monkeypatch.setenv("X_LIST", " a.example, ,b.example ")
    assert env_list("X_LIST", []) == ["a.example", "b.example"]


def test_env_secret_reads_the_file(monkeypatch, tmp_path):
    secret = tmp_path / "key"
    secret.write_text("s3cr3t-from-file\n")
    monkeypatch.setenv("X_KEY", "from-env")
    monkeypatch.setenv("X_KEY_FILE", str(secret))
    # The file wins, and its trailing newline is dropped.
    assert env_secret("X_KEY") == "s3cr3t-from-file"
    monkeypatch.delenv("X_KEY_FILE")
    assert env_secret("X_KEY") == "from-env"


def test_env_secret_unreadable_file(monkeypatch, tmp_path):
    monkeypatch.setenv("X_KEY_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match="X_KEY_FILE=.* cannot be read"):
        env_secret("X_KEY")


def test_parse_email_url():
    config = parse_email_url("smtp://user%40x:p%3Ass@mail.example.org:587?tls=1")
    assert config["EMAIL_HOST"] == "mail.example.org"
    assert config["EMAIL_PORT"] == 587
    assert config["EMAIL_HOST_USER"] == "user@x"
    assert config["EMAIL_HOST_PASSWORD"] == "p:ss"
    assert config["EMAIL_USE_TLS"] is True
    assert parse_email_url("smtps://mail.example.org")["EMAIL_PORT"] == 465
    assert parse_email_url("console://")["EMAIL_BACKEND"].endswith("console.EmailBackend")


@pytest.mark.parametrize("url, message", [("gopher://x", "scheme must be one of"), ("smtp://h:port", "bad port")])
def test_parse_email_url_rejects_bad_urls(url, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        parse_email_url(url)


# --- the real settings module, loaded in a clean process ---------------------------

PROBE = "from django.conf import settings; print(settings.SECRET_KEY, settings.DEBUG, settings.EMAIL_BACKEND)"


def load_settings(**env):
    """Import ent.settings in a fresh interpreter with only `env` set."""
    clean = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "ent.settings", **env}
    return subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )


def test_production_settings_load():
    result = load_settings(DJANGO_SECRET_KEY="k" * 50, EMAIL_URL="smtp://mail.example.org:25")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["k" * 50, "False", "django.core.mail.backends.smtp.EmailBackend"]


def test_missing_secret_key_with_debug_off():
    result = load_settings()
    assert result.returncode != 0
    assert "ImproperlyConfigured: DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off" in result.stderr


def test_debug_on_has_a_dev_key():
    result = load_settings(DJANGO_DEBUG="true")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[1] == "True"


def test_secret_key_from_a_file(tmp_path):
    (tmp_path / "key").write_text("key-from-docker-secret\n")
    result = load_settings(DJANGO_SECRET_KEY_FILE=str(tmp_path / "key"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "key-from-docker-secret"


@pytest.mark.parametrize(
    "env, message",
    [
        ({"DJANGO_DEBUG": "maybe"}, "DJANGO_DEBUG must be a boolean"),
        ({"SESSION_COOKIE_AGE": "12h"}, "SESSION_COOKIE_AGE must be an integer"),
        ({"SECURE_HSTS_SECONDS": "-5"}, "SECURE_HSTS_SECONDS must be >= 0"),
        ({"EMAIL_URL": "sendmail://localhost"}, "EMAIL_URL scheme must be one of"),
        ({"DATABASE_URL": "nosuchdb://x"}, "DATABASE_URL cannot be parsed"),
        ({"DJANGO_SECRET_KEY_FILE": "/nonexistent/key"}, "DJANGO_SECRET_KEY_FILE='/nonexistent/key' cannot be read"),
        ({"DATABASE_URL_FILE": "/nonexistent/db"}, "DATABASE_URL_FILE='/nonexistent/db' cannot be read"),
    ],
)
def test_bad_values_stop_the_start(env, message):
    result = load_settings(**{"DJANGO_SECRET_KEY": "k" * 50, **env})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr
