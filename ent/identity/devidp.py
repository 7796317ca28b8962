"""A real SAML 2.0 IdP for the tests and the demo (`manage.py identity_demo`): Debian's SimpleSAMLphp (the IdP many
education federations run) under PHP's built-in server, with its own signing
key made here, and the ENT as its only service provider."""

import json
import shutil
import signal
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

SSP_WWW = Path("/usr/share/simplesamlphp/www")
SSP_CONFIG = Path("/etc/simplesamlphp")


def php_string(value):
    return json.dumps(value, ensure_ascii=False).replace("$", "\\$")


def php_array(values: dict):
    items = ", ".join(f"{php_string(k)} => [{', '.join(php_string(v) for v in vs)}]" for k, vs in values.items())
    return f"[{items}]"


class SimpleSAMLphp:
    def __init__(
        self,
        root: Path,
        port: int,
        people: dict,
        sp_entity_id: str,
        sp_base: str,
        *,
        authn_context_class: str = "",
        sp_certificate: str = "",
    ):
        """people: username -> attributes (name -> list of values); the
        password of each is "password". authn_context_class: the
        AuthnContextClassRef every assertion names (an IdP that enforces a
        second factor says so there); SimpleSAMLphp's own otherwise.
        sp_certificate: the SP's certificate (PEM); given, the IdP accepts only
        logout messages the SP signed with its key, as a federation would."""
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.entity_id = f"{self.url}/saml2/idp/metadata.php"
        self.metadata_url = self.entity_id
        config = root / "config"
        shutil.copytree(SSP_CONFIG, config, ignore=shutil.ignore_patterns("*.dpkg-*"))
        for name in ("config.php", "authsources.php"):
            src = SSP_CONFIG / name
            if not src.exists():
                shutil.copy(SSP_CONFIG / f"{name}.dpkg-new", config / name)
        (root / "cert").mkdir()
        (root / "data").mkdir()
        (root / "tmp").mkdir()
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=test-idp",
             "-keyout", str(root / "cert/idp.key"), "-out", str(root / "cert/idp.crt")],
            check=True, capture_output=True,
        )  # fmt: skip
        self.certificate = (root / "cert/idp.crt").read_text()
        if sp_certificate:
            (root / "cert/sp.crt").write_text(sp_certificate)
        text = (config / "config.php").read_text()
        overrides = {
            "baseurlpath": f"{self.url}/",
            "certdir": f"{root}/cert/",
            "loggingdir": f"{root}/",
            "datadir": f"{root}/data/",
            "tempdir": f"{root}/tmp",
            "metadatadir": f"{root}/metadata/",
            "secretsalt": "tests-only-salt-0123456789",
            "auth.adminpassword": "tests-only-admin",
            "logging.handler": "file",
            "logging.level": 7,
        }
        extra = "\n".join(f"$config[{php_string(k)}] = {php_string(v)};" for k, v in overrides.items())
        extra += "\n$config['enable.saml20-idp'] = true;\n$config['session.cookie.secure'] = false;"
        # SimpleSAMLphp's default SameSite=None needs Secure, which plain http cannot have.
        extra += "\n$config['session.cookie.samesite'] = 'Lax';"
        # Where the IdP may send people back after its logout.
        # (host:port: SimpleSAMLphp compares the port too).
        sp_host = urllib.parse.urlsplit(sp_base).netloc
        extra += f"\n$config['trusted.url.domains'] = [{php_string(sp_host)}];"
        extra += (
            "\n$config['module.enable'] = ['exampleauth' => true, 'core' => true, 'saml' => true, 'admin' => true];"
        )
        extra += "\n$config['metadata.sources'] = [['type' => 'flatfile']];"
        (config / "config.php").write_text(text.rstrip().removesuffix("?>") + "\n" + extra + "\n")
        users = ", ".join(f"{php_string(u + ':password')} => {php_array(a)}" for u, a in people.items())
        (config / "authsources.php").write_text(
            f"<?php\n$config = ['admin' => ['core:AdminPassword'], 'people' => ['exampleauth:UserPass', {users}]];\n"
        )
        metadata = root / "metadata"
        metadata.mkdir()
        (metadata / "saml20-idp-hosted.php").write_text(
            "<?php\n$metadata['__DYNAMIC:1__'] = ['host' => '__DEFAULT__', 'privatekey' => 'idp.key', "
            "'certificate' => 'idp.crt', 'auth' => 'people', "
            "'NameIDFormat' => 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent', "
            "'simplesaml.nameidattribute' => 'uid'"
            + (
                f", 'authproc' => [90 => ['class' => 'saml:AuthnContextClassRef', "
                f"'AuthnContextClassRef' => {php_string(authn_context_class)}]]"
                if authn_context_class
                else ""
            )
            + "];\n"
        )
        (metadata / "saml20-sp-remote.php").write_text(
            f"<?php\n$metadata[{php_string(sp_entity_id)}] = ["
            f"'AssertionConsumerService' => {php_string(sp_base + 'acs/')}, "
            f"'SingleLogoutService' => {php_string(sp_base + 'sls/')}, "
            "'NameIDFormat' => 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent', "
            "'simplesaml.nameidattribute' => 'uid'"
            + (", 'certificate' => 'sp.crt', 'validate.logout' => true" if sp_certificate else "")
            + "];\n"
        )
        self.log = open(root / "php.log", "w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            ["php", "-S", f"127.0.0.1:{port}", "-t", str(SSP_WWW)],
            env={"SIMPLESAMLPHP_CONFIG_DIR": str(config), "PATH": "/usr/bin:/bin"},
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.metadata_url, timeout=2)  # noqa: S310
                return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"SimpleSAMLphp did not start: see {root}/php.log")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()
