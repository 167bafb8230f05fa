# syntax=docker/dockerfile:1
# One image for every process of the stack (web, ws, the workers, beat, migrate); the
# command picks the process. docker-compose.yml and deploy/kubernetes/ run it.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    INCIDENTDESK_HOME=/app \
    STATIC_MANIFEST=true

WORKDIR /app

# Dependencies in their own layer, from the lock with its hashes: rebuilt only when
# requirements.lock changes, and the same versions on every build.
COPY requirements.lock ./
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install --require-hashes --no-deps -r requirements.lock

# The project itself, installed (not editable) into site-packages; /app keeps only what is
# not Python: manage.py, templates, static files.
COPY pyproject.toml ./
COPY core ./src/core
COPY incidents ./src/incidents
COPY messaging ./src/messaging
COPY customer_care ./src/customer_care
COPY dispatch ./src/dispatch
COPY escalation ./src/escalation
COPY board ./src/board
COPY incidentdesk ./src/incidentdesk
RUN cp pyproject.toml src/ \
    && pip install --no-deps --no-build-isolation --no-cache-dir ./src \
    && rm -rf src
COPY manage.py ./
COPY templates ./templates
COPY static ./static

# Hashed, compressed static files (WhiteNoise's CompressedManifestStaticFilesStorage).
RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin incidentdesk \
    && mkdir -p /var/lib/incidentdesk \
    && chown incidentdesk /var/lib/incidentdesk

USER 10001
EXPOSE 8000
# The HTTP processes; ws, the workers, beat and migrate say their own command.
CMD ["gunicorn", "-c", "python:incidentdesk.gunicorn_conf", "incidentdesk.wsgi"]
