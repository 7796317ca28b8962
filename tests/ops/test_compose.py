"""docker-compose.yml, .env.example, the Dockerfile and the nginx config agree with
the settings. No Docker engine runs here: these read the files."""

import re
import shutil
import subprocess

import pytest
import yaml

from tests.ops.envscan import ROOT, env_example_names, settings_env_names

APP_SERVICES = {"web", "ws", "worker", "beat", "migrate"}
LONG_RUNNING = {"web", "ws", "worker", "beat"}
REQUIRED = [
    ("DJANGO_SECRET_KEY", "DJANGO_SECRET_KEY_FILE"),
    ("DATABASE_URL", "DATABASE_URL_FILE"),
    ("REDIS_URL",),
    ("S3_ENDPOINT",),
    ("S3_ACCESS_KEY", "S3_ACCESS_KEY_FILE"),
    ("S3_SECRET_KEY", "S3_SECRET_KEY_FILE"),
    ("S3_BUCKET",),
    ("S3_PUBLIC_ENDPOINT",),
]
_INTERPOLATION = re.compile(r"\$\{([A-Z][A-Z0-9_]*)(?:[:?\-][^}]*)?\}")


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def settings_names():
    names = settings_env_names()
    # The scan must find the basics, or it is the scan that is broken.
    assert {"DJANGO_DEBUG", "DATABASE_URL", "REDIS_URL", "S3_ENDPOINT", "DJANGO_SECRET_KEY_FILE"} <= names
    return names


def app_env(compose, service):
    env = compose["services"][service].get("environment") or {}
    assert isinstance(env, dict), f"{service}: environment must be a mapping"
    return env


def test_app_services_are_the_ones_built_from_the_dockerfile(compose):
    built = {name for name, svc in compose["services"].items() if "build" in svc}
    assert built == APP_SERVICES
    for name in APP_SERVICES:
        # Every value comes from `environment`: an env_file would escape the checks below.
        assert "env_file" not in compose["services"][name]


@pytest.mark.parametrize("service", sorted(APP_SERVICES))
def test_app_env_is_read_by_the_settings(compose, settings_names, service):
    unknown = set(app_env(compose, service)) - settings_names
    assert not unknown, f"{service} sets variables the settings never read: {sorted(unknown)}"


@pytest.mark.parametrize("service", sorted(LONG_RUNNING))
def test_required_production_variables(compose, service):
    env = app_env(compose, service)
    for alternatives in REQUIRED:
        assert any(env.get(name) for name in alternatives), f"{service}: none of {alternatives} is set"
    assert str(env["DJANGO_DEBUG"]).lower() == "false"
    assert str(env["ENT_DEMO_MODE"]).lower() == "false"
    assert str(env["SESSION_COOKIE_SECURE"]).lower() == "true"
    assert str(env["CSRF_COOKIE_SECURE"]).lower() == "true"
    assert str(env["BEHIND_TLS_PROXY"]).lower() == "true"
    assert env["REDIS_URL"].startswith("redis://redis:")
    assert env["S3_ENDPOINT"] == "minio:9000"


def test_app_services_share_one_environment(compose):
    envs = [app_env(compose, s) for s in sorted(APP_SERVICES)]
    assert all(env == envs[0] for env in envs)


def test_secret_files_are_declared_and_mounted(compose):
    declared = set(compose["secrets"])
    for service in APP_SERVICES:
        mounted = set(compose["services"][service]["secrets"])
        for name, value in app_env(compose, service).items():
            if name.endswith("_FILE"):
                secret = value.removeprefix("/run/secrets/")
                assert value == f"/run/secrets/{secret}" and secret in mounted and secret in declared, name


def test_every_env_example_variable_is_read_by_the_settings(settings_names):
    unknown = env_example_names() - settings_names
    assert not unknown, f".env.example lists variables the settings never read: {sorted(unknown)}"


def test_env_example_lists_every_variable_the_settings_read(settings_names):
    missing = settings_names - env_example_names()
    assert not missing, f"document these in .env.example: {sorted(missing)}"


def test_values_set_in_env_example_reach_the_app(compose):
    """A value uncommented in .env (copied from .env.example) must have an effect:
    the compose file passes it on to the app."""
    text = (ROOT / ".env.example").read_text()
    active = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", text, re.MULTILINE))
    env = app_env(compose, "web")
    passed = {name for name, value in env.items() if f"${{{name}" in str(value)}
    assert active == passed, f"set in .env.example but not passed: {sorted(active - passed)}; " + (
        f"passed but not in .env.example: {sorted(passed - active)}"
    )


def test_interpolated_variables_are_documented():
    used = set(_INTERPOLATION.findall((ROOT / "docker-compose.yml").read_text()))
    assert used <= env_example_names()


def test_images_are_pinned(compose):
    for name, svc in compose["services"].items():
        if "build" in svc:
            continue
        image = svc["image"]
        repo, _, tag = image.rpartition(":")
        assert repo and tag and tag != "latest", f"{name}: {image} is not pinned"
        assert re.search(r"\d", tag), f"{name}: {image} has no version in its tag"
        if repo.startswith("minio/"):
            assert tag.startswith("RELEASE."), image


def test_services_and_healthchecks(compose):
    services = compose["services"]
    assert {"postgres", "redis", "minio", "minio-init", "nginx", *APP_SERVICES} <= set(services)
    for name in ("postgres", "redis", "minio", "web", "ws"):
        assert "healthcheck" in services[name], name
    assert "pg_isready" in services["postgres"]["healthcheck"]["test"]
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])
    assert "/healthz" in " ".join(services["ws"]["healthcheck"]["test"])
    assert (ROOT / "docker" / "healthcheck.py").exists()
    # One-shots run once and before the app.
    for one_shot in ("migrate", "minio-init"):
        assert services[one_shot]["restart"] == "no"
    for name in LONG_RUNNING:
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert depends["minio-init"]["condition"] == "service_completed_successfully"
    assert "mb --ignore-existing" in " ".join(services["minio-init"]["entrypoint"])
    # Volumes for every stateful service, all declared.
    for name in ("postgres", "redis", "minio"):
        volume = services[name]["volumes"][0].split(":")[0]
        assert volume in compose["volumes"]


def test_process_commands(compose):
    services = compose["services"]
    web = " ".join(services["web"]["command"])
    assert web.startswith("gunicorn ent.wsgi:application")
    assert " ".join(services["ws"]["command"]).startswith("uvicorn ent.asgi:application")
    assert " ".join(services["worker"]["command"]).startswith("celery -A ent worker")
    assert " ".join(services["beat"]["command"]).startswith("celery -A ent beat")
    migrate = " ".join(services["migrate"]["command"])
    assert "python manage.py migrate --noinput && python manage.py ensure_storage" in migrate
    # The modules the commands name exist.
    for module in ("wsgi", "asgi", "celery"):
        assert (ROOT / "ent" / f"{module}.py").exists()


def test_nginx_routes_websockets_and_pages():
    conf = (ROOT / "docker" / "nginx.conf").read_text()
    ws = re.search(r"location /ws/ \{(.*?)\n        \}", conf, re.DOTALL).group(1)
    assert "proxy_pass http://ws;" in ws
    assert "proxy_set_header Upgrade $http_upgrade;" in ws
    assert "proxy_set_header Connection $connection_upgrade;" in ws
    assert "proxy_http_version 1.1;" in ws
    pages = re.search(r"location / \{(.*?)\n        \}", conf, re.DOTALL).group(1)
    assert "proxy_pass http://web;" in pages
    for block in (ws, pages):
        # A location with its own proxy_set_header inherits none from the server.
        assert "proxy_set_header X-Forwarded-Proto $scheme;" in block
        assert "proxy_set_header X-Forwarded-For $remote_addr;" in block
    assert re.search(r"client_max_body_size \d+m;", conf)
    assert "server web:8000;" in conf and "server ws:8001;" in conf


@pytest.mark.skipif(not shutil.which("nginx") or not shutil.which("openssl"), reason="nginx/openssl not installed")
def test_nginx_config_is_valid(tmp_path):
    """`nginx -t` on the real file, with the container names and paths swapped for
    local ones (and HTTP/2 syntax dropped when the local nginx predates 1.25)."""
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost"]
        + ["-keyout", str(tmp_path / "privkey.pem"), "-out", str(tmp_path / "fullchain.pem")],
        check=True,
        capture_output=True,
    )
    conf = (ROOT / "docker" / "nginx.conf").read_text()
    version = subprocess.run(["nginx", "-v"], capture_output=True, text=True).stderr
    major, minor = map(int, re.search(r"nginx/(\d+)\.(\d+)", version).groups())
    if (major, minor) < (1, 25):
        conf = conf.replace("http2 on;", "")
    for host in ("web:8000", "ws:8001", "minio:9000"):
        conf = conf.replace(f"server {host};", f"server 127.0.0.1:{host.split(':')[1]};")
    conf = conf.replace("/etc/nginx/certs", str(tmp_path)).replace("/var/run/nginx.pid", str(tmp_path / "nginx.pid"))
    (tmp_path / "nginx.conf").write_text(conf)
    result = subprocess.run(
        ["nginx", "-t", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path), "-e", "/dev/stderr"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_dockerfile():
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11\.\d+-slim-bookworm$", text, re.MULTILINE)
    assert re.search(r"^USER (?!root)\w+$", text, re.MULTILINE)
    assert "pip install -r" in text
    assert "collectstatic --noinput" in text
    assert "compilemessages" in text and "gettext" in text
    # The build context leaves out the venv, local data and secrets.
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".venv", "var", "secrets", "certs", ".env", ".git"} <= set(ignored)
    # The image's STATIC_ROOT and ENT_VAR_DIR are settings the app reads.
    for name in re.findall(r"^\s+([A-Z][A-Z0-9_]*)=", text, re.MULTILINE):
        if not name.startswith(("PYTHON", "PIP_")):
            assert name in settings_env_names(), name
