FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1

WORKDIR /app
COPY . .
RUN pip install --no-cache-dir -e . \
    && SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput \
    && useradd --system --home /app incidentdesk \
    && mkdir -p /var/lib/incidentdesk \
    && chown incidentdesk /var/lib/incidentdesk

USER incidentdesk
EXPOSE 8000
CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "--proxy-headers", "incidentdesk.asgi:application"]
