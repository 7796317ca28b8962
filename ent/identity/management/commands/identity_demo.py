"""The demo of federated sign-in, in one command, next to `make run`:

    .venv/bin/python manage.py identity_demo --ent-url http://127.0.0.1:8000

It starts a real SAML IdP (SimpleSAMLphp, Debian packages simplesamlphp,
php-cli, php-xml) holding the demo parent, declares it for the demo territory
as a territory admin would in the admin (a SocialApp plus an IdentityProvider),
registers a demo "school app" as an OpenID client of the ENT with its policy,
and serves that app: open it, sign in as `eleve`, and it shows what the ENT's
provider released. Ctrl-C stops the IdP and the app."""

import html
import http.server
import json
import secrets
import signal
import socket
import sys
import tempfile
import urllib.parse
from pathlib import Path

import requests
from allauth.idp.oidc.models import Client
from allauth.socialaccount.models import SocialApp
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError

from ent.directory.models import Territory, User
from ent.identity.models import AppPolicy, IdentityProvider

SLUG = "educonnect-demo"
APP_SECRET = "demo-school-app-secret"  # noqa: S105  (demo only)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Command(BaseCommand):
    help = "Start a demo SAML IdP and a demo school app signing in through the ENT's OpenID provider."

    def add_arguments(self, parser):
        parser.add_argument("--ent-url", default="http://127.0.0.1:8000")
        parser.add_argument("--idp-port", type=int, default=8081)
        parser.add_argument("--app-port", type=int, default=8082)

    def handle(self, *args, ent_url, idp_port, app_port, **options):
        from ent.identity.devidp import SimpleSAMLphp

        ent_url = ent_url.rstrip("/")
        parent, eleve = self.demo_people()
        territory = Territory.objects.order_by("id").first()
        if territory is None:
            raise CommandError("No territory: run `manage.py seed_demo` (or `make run`) first.")
        sp_base = f"{ent_url}/accounts/saml/{SLUG}/"
        people = {
            "parent": {
                "uid": [f"demo-{parent.username}"],
                "FrEduCtPersonAffiliation": ["responsable"],
                "FrEduCtEleveINE": [eleve.external_id],
                "nom": [parent.last_name],
                "prenom": [parent.first_name],
            }
        }
        # SIGTERM as Ctrl-C: the IdP below is stopped on the way out.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        idp = SimpleSAMLphp(
            Path(tempfile.mkdtemp(prefix="ent-demo-idp-")), idp_port, people, sp_base + "metadata/", sp_base
        )
        try:
            self.declare_idp(territory, idp, sp_base)
            client = self.register_app(territory, f"http://127.0.0.1:{app_port}/cb")
            self.stdout.write(
                f"\nSAML IdP: {idp.url} (login `parent`, password `password`); add IDP_FORM_ACTION_ORIGINS={idp.url}"
                f" to the ENT's environment.\nOn {ent_url}/accounts/login/ choose ÉduConnect.\n"
                f"Demo school app: http://127.0.0.1:{app_port}/ (sign in as `eleve`).\n"
            )
            self.serve_app(ent_url, client, app_port)
        finally:
            idp.stop()

    def demo_people(self):
        parent = User.objects.filter(username="parent").first()
        eleve = User.objects.filter(username="eleve").first()
        if parent is None or eleve is None:
            raise CommandError("The demo logins `parent` and `eleve` are missing: run `manage.py seed_demo` first.")
        if not eleve.external_id:
            eleve.external_id = "DEMO00001AB"
            eleve.save(update_fields=["external_id"])
        return parent, eleve

    def declare_idp(self, territory, idp, sp_base):
        app, _ = SocialApp.objects.update_or_create(
            provider="saml",
            client_id=SLUG,
            defaults={
                "provider_id": SLUG,
                "name": "ÉduConnect (démo)",
                "settings": {
                    "idp": {"entity_id": idp.entity_id, "metadata_url": idp.metadata_url},
                    "sp": {"entity_id": sp_base + "metadata/"},
                    "attribute_mapping": {"uid": "uid"},
                    "advanced": {"want_assertion_signed": True, "strict": True, "allow_single_label_domains": True},
                },
            },
        )
        IdentityProvider.objects.update_or_create(
            app=app,
            defaults={
                "territory": territory,
                "audience": IdentityProvider.Audience.FAMILIES,
                "label": "ÉduConnect",
                "allows_pupils": True,
                "allows_parents": True,
            },
        )

    def register_app(self, territory, redirect_uri):
        client = Client.objects.filter(name="Appli de l'école (démo)").first() or Client(name="Appli de l'école (démo)")
        client.secret = make_password(APP_SECRET)
        client.type = Client.Type.CONFIDENTIAL
        client.skip_consent = True
        client.grant_types = "authorization_code\nrefresh_token"
        client.response_types = "code"
        client.set_redirect_uris([redirect_uri])
        client.set_scopes(["openid", "profile", "school", "children"])
        client.save()
        AppPolicy.objects.update_or_create(client=client, defaults={"territory": territory})
        return client

    def serve_app(self, ent_url, client, port):
        conf = requests.get(f"{ent_url}/.well-known/openid-configuration", timeout=10).json()
        redirect_uri = f"http://127.0.0.1:{port}/cb"
        pending = {}

        class App(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                url = urllib.parse.urlparse(self.path)
                if url.path == "/":
                    state = secrets.token_urlsafe(16)
                    pending[state] = True
                    query = urllib.parse.urlencode(
                        {"response_type": "code", "client_id": client.id, "redirect_uri": redirect_uri,
                         "scope": "openid profile school", "state": state}
                    )  # fmt: skip
                    self.send_response(302)
                    self.send_header("Location", f"{conf['authorization_endpoint']}?{query}")
                    self.end_headers()
                    return
                params = dict(urllib.parse.parse_qsl(url.query))
                if url.path != "/cb" or not pending.pop(params.get("state", ""), None):
                    self.send_error(400, "unknown state")
                    return
                token = requests.post(
                    conf["token_endpoint"],
                    data={"grant_type": "authorization_code", "code": params.get("code"), "redirect_uri": redirect_uri},
                    auth=(client.id, APP_SECRET),
                    timeout=10,
                ).json()
                info = requests.get(
                    conf["userinfo_endpoint"],
                    headers={"Authorization": f"Bearer {token.get('access_token')}"},
                    timeout=10,
                ).json()
                shown = html.escape(json.dumps(info, ensure_ascii=False, indent=2))
                name = html.escape(str(info.get("given_name", "")))
                body = f"<h1>Appli de l'école</h1><p>Bonjour {name} !</p><pre>{shown}</pre>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(body.encode())

        http.server.HTTPServer(("127.0.0.1", port), App).serve_forever()
