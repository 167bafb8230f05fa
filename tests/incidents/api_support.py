"""What the API test modules share: the client, a typical call body, URLs."""

from rest_framework.test import APIClient

INCIDENTS = "/api/incidents/"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def detail_url(incident) -> str:
    return f"{INCIDENTS}{incident.pk}/"


def action_url(incident, name: str) -> str:
    return f"{INCIDENTS}{incident.pk}/{name}/"


def new_call(**overrides) -> dict:
    """A typical call as an integration sends it (demo reference data)."""
    body = {
        "contact_channel": "phone",
        "caller_name": "Ruth Okafor",
        "caller_phone": "07700 900123",
        "location": "Block B, 2nd floor kitchen",
        "category": "water-leak",
        "summary": "Water pouring through the ceiling",
        "impact": 2,
        "urgency": 1,
        "asset_refs": ["PIPE-B2-07"],
        "priority_justification": "Spreading towards the light fittings.",
    }
    body.update(overrides)
    return body
