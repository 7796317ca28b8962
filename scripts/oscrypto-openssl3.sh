#!/usr/bin/env bash
# PyPI's oscrypto 1.3.0 (the last release, a dependency of fdroidserver) cannot parse
# "OpenSSL 3.0.x" and fails on every APK whose signature holds a certificate chain.
# Debian's python3-oscrypto (same version, patched) carries the fix: copy it over the
# venv's copy. Run by the Makefile after each install, so `make run`, `make test` and
# CI all get it; tests/media/test_store.py::test_oscrypto_works_with_openssl_3 checks it.
set -euo pipefail
debian=/usr/lib/python3/dist-packages/oscrypto
venv_python=${1:-.venv/bin/python}
if [ ! -f "$debian/_openssl/_libcrypto_ctypes.py" ]; then
  echo "note: Debian's python3-oscrypto is not installed: APKs signed with a certificate chain" \
       "will not reach F-Droid repositories (apt-get install python3-oscrypto)." >&2
  exit 0
fi
site=$("$venv_python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
cp -r "$debian/." "$site/oscrypto/"
