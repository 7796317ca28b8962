"""Fixtures for federated sign-in: IdPs declared as a territory admin would,
national ids on the world's people, and the real identity parts (an OpenID
provider in Node) for the end-to-end tests."""

import pytest
from allauth.socialaccount.models import SocialApp

from ent.identity.models import IdentityProvider
from tests.browser.conftest import browser_context_args, browser_type_launch_args  # noqa: F401

PUPIL_INE = "123456789AB"
SIBLING_INE = "223456789AB"
STAFF_ID = "cpe.academie.42"


@pytest.fixture(autouse=True)
def _login_page_not_kept(settings):
    """Each test here declares its own IdPs, and the login page shows their
    buttons: the page kept from the previous test (LOGIN_PAGE_CACHE_SECONDS,
    ent.directory.signin; in the cache, which outlives a test's database)
    would offer an IdP that no longer exists."""
    settings.LOGIN_PAGE_CACHE_SECONDS = 0


def give_national_ids(world):
    world.pupil.external_id = PUPIL_INE
    world.pupil.save(update_fields=["external_id"])
    world.sibling.external_id = SIBLING_INE
    world.sibling.save(update_fields=["external_id"])
    world.vie_scolaire.external_id = STAFF_ID
    world.vie_scolaire.save(update_fields=["external_id"])


def make_idp(territory, *, provider_id="educonnect-test", audience=IdentityProvider.Audience.FAMILIES, **fields):
    app = SocialApp.objects.create(
        provider="openid_connect",
        provider_id=provider_id,
        name=fields.pop("label", "ÉduConnect"),
        client_id=fields.pop("client_id", "ent"),
        secret=fields.pop("secret", "ent-secret"),
        settings=fields.pop("settings", {"server_url": "http://127.0.0.1:9/"}),
    )
    families = audience == IdentityProvider.Audience.FAMILIES
    defaults = {
        "allows_pupils": families,
        "allows_parents": families,
        "allows_staff": not families,
    }
    if not families:
        defaults["attribute_map"] = {"staff_id": "uid", "last_name": "sn", "first_name": "givenName"}
    defaults.update(fields)
    return IdentityProvider.objects.create(territory=territory, app=app, audience=audience, label=app.name, **defaults)


@pytest.fixture
def idworld(world):
    give_national_ids(world)
    world.educonnect = make_idp(world.territory)
    world.academie = make_idp(world.territory, provider_id="academie-test", audience=IdentityProvider.Audience.STAFF)
    return world


# --- The real OpenID provider (Node) ----------------------------------------

import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).parent
OP_CLIENT_ID = "ent-test-client"
OP_CLIENT_SECRET = "ent-test-client-secret-0123456789"  # noqa: S105
OP_ACCOUNTS = {
    # A parent: ÉduConnect asserts the children's INE and the name.
    "sophie": {
        "FrEduCtPersonAffiliation": "responsable",
        "FrEduCtEleveINE": [PUPIL_INE],
        "nom": "Martin",
        "prenom": "Sophie",
    },
    "lea": {"FrEduCtPersonAffiliation": "eleve", "FrEduCtEleveINE": PUPIL_INE, "nom": "Martin", "prenom": "Léa"},
    "inconnu": {
        "FrEduCtPersonAffiliation": "eleve",
        "FrEduCtEleveINE": "000000000ZZ",
        "nom": "Inconnu",
        "prenom": "Jean",
    },
    "martin": {"FrEduCtPersonAffiliation": "responsable", "FrEduCtEleveINE": [PUPIL_INE], "nom": "Martin"},
}


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class NodeServer:
    def __init__(self, script, env, port):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        if not (HERE / "node_modules").exists():
            pytest.skip("tests/identity/node_modules missing: run `npm ci` in tests/identity")
        node = shutil.which("node")
        if node is None:
            pytest.skip("node is not installed")
        self.log = open(HERE / f".{Path(script).stem}.log", "w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [node, str(HERE / script)], env={**os.environ, **env}, stdout=self.log, stderr=subprocess.STDOUT, cwd=HERE
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{self.url}/.well-known/openid-configuration", timeout=1)  # noqa: S310
                return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{script} did not start: see {self.log.name}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()


@pytest.fixture(scope="session")
def oidc_op(live_server):
    """node-oidc-provider with the ENT (the live server) as its client."""
    port = _free_port()
    client = {
        "client_id": OP_CLIENT_ID,
        "client_secret": OP_CLIENT_SECRET,
        "redirect_uris": [f"{live_server.url}/accounts/oidc/educonnect-op/login/callback/"],
        "post_logout_redirect_uris": [f"{live_server.url}/accounts/login/"],
        # The ENT's back-channel logout endpoint, as an IdP's admin registers
        # it (README); with sid in the ID tokens so one sign-in can be named.
        "backchannel_logout_uri": f"{live_server.url}/identite/oidc/educonnect-op/backchannel-logout",
        "backchannel_logout_session_required": True,
        "token_endpoint_auth_method": "client_secret_basic",
    }
    server = NodeServer(
        "oidc_op.mjs",
        {"OP_PORT": str(port), "OP_CLIENTS": json.dumps([client]), "OP_ACCOUNTS": json.dumps(OP_ACCOUNTS)},
        port,
    )
    yield server
    server.stop()


@pytest.fixture
def op_idp(oidc_op):
    """The ENT's IdP row for the real OP, as a territory admin declares it."""

    def _make(world, **fields):
        give_national_ids(world)
        return make_idp(
            world.territory,
            provider_id="educonnect-op",
            label="ÉduConnect",
            client_id=OP_CLIENT_ID,
            secret=fields.pop("secret", OP_CLIENT_SECRET),
            settings={"server_url": oidc_op.url, "token_auth_method": "client_secret_basic"},
            **fields,
        )

    return _make


# --- The real SAML IdP (SimpleSAMLphp) ----------------------------------------

SAML_SLUG = "educonnect-saml"
SAML_PEOPLE = {
    "sophie": {"uid": ["ec-sophie"], "FrEduCtPersonAffiliation": ["responsable"], "FrEduCtEleveINE": [PUPIL_INE],
               "nom": ["Martin"], "prenom": ["Sophie"]},
    "lea": {"uid": ["ec-lea"], "FrEduCtPersonAffiliation": ["eleve"], "FrEduCtEleveINE": [PUPIL_INE],
            "nom": ["Martin"], "prenom": ["Léa"]},
    # Staff, as an académie IdP asserts them (its login is the staff id).
    "cpe": {"uid": [STAFF_ID], "sn": ["Vie"], "givenName": ["Scolaire"]},
}  # fmt: skip
# What the test IdP says of every sign-in: a second factor was used (REFEDS MFA).
SAML_MFA_CONTEXT = "https://refeds.org/profile/mfa"


@pytest.fixture(scope="session")
def saml_idp(live_server, tmp_path_factory):
    from ent.identity.devidp import SimpleSAMLphp

    if not shutil.which("php") or not Path("/usr/share/simplesamlphp/www").exists():
        pytest.skip("simplesamlphp and php-cli are not installed")
    sp_base = f"{live_server.url}/accounts/saml/{SAML_SLUG}/"
    # The ENT's own key pair as a service provider: its logout messages are
    # signed, and the IdP checks them.
    keys = tmp_path_factory.mktemp("sp")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=ent-sp",
         "-keyout", str(keys / "sp.key"), "-out", str(keys / "sp.crt")],
        check=True, capture_output=True,
    )  # fmt: skip
    idp = SimpleSAMLphp(
        tmp_path_factory.mktemp("ssp"),
        _free_port(),
        SAML_PEOPLE,
        sp_base + "metadata/",
        sp_base,
        authn_context_class=SAML_MFA_CONTEXT,
        sp_certificate=(keys / "sp.crt").read_text(),
    )
    idp.sp_key, idp.sp_certificate = (keys / "sp.key").read_text(), (keys / "sp.crt").read_text()
    yield idp
    idp.stop()


@pytest.fixture
def saml_app(saml_idp, live_server):
    def _make(world, *, idp_fields=None, **advanced):
        give_national_ids(world)
        app = SocialApp.objects.create(
            provider="saml",
            provider_id=SAML_SLUG,
            client_id=SAML_SLUG,
            name="ÉduConnect (SAML)",
            settings={
                "idp": {"entity_id": saml_idp.entity_id, "metadata_url": saml_idp.metadata_url},
                "sp": {"entity_id": f"{live_server.url}/accounts/saml/{SAML_SLUG}/metadata/"},
                "attribute_mapping": {"uid": "uid"},
                "advanced": {
                    "want_assertion_signed": True,
                    "strict": True,
                    "private_key": saml_idp.sp_key,
                    "x509cert": saml_idp.sp_certificate,
                    "logout_request_signed": True,
                    "logout_response_signed": True,
                    **advanced,
                },
            },
        )
        fields = {
            "audience": IdentityProvider.Audience.FAMILIES,
            "label": "ÉduConnect",
            "allows_pupils": True,
            "allows_parents": True,
            **(idp_fields or {}),
        }
        return IdentityProvider.objects.create(territory=world.territory, app=app, **fields)

    return _make
