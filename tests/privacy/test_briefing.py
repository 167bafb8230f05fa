"""Briefings to resources (outside the centre) carry the caller's details only where the
channel rule shares them."""

import pytest
from django.test import Client

from core import phones
from dispatch import links, selectors
from dispatch.models import ChannelRule
from incidents.models import Category
from tests.factories import agent, close, log, resolve, resource, send, supervisor
from tests.incidents.api_support import client_for
from tests.privacy.history import RUTH


def written(phone: str, text: str) -> bool:
    """The number in any of the ways people write it (it is stored in E.164)."""
    return any(form in text for form in phones.written_forms(phone))


pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(reference_data):
    return log(caller_name=RUTH.name, caller_phone=RUTH.phone, caller_email=RUTH.email)


def rule(*, share: bool) -> ChannelRule:
    return ChannelRule.objects.create(
        category=Category.objects.get(slug="water-leak"),
        channels=["radio", "phone"],
        share_caller_contact=share,
    )


def test_a_rule_shares_nothing_by_default(reference_data):
    assert rule(share=False).share_caller_contact is False
    assert ChannelRule._meta.get_field("share_caller_contact").default is False


@pytest.mark.parametrize("with_rule", [False, True])
def test_the_default_briefing_leaves_the_caller_out(incident, with_rule):
    if with_rule:
        rule(share=False)

    briefing = selectors.briefing_for(incident)

    assert RUTH.name not in briefing and not written(RUTH.phone, briefing)
    assert f"Caller: contact the centre for the caller, quoting {incident.reference}" in briefing


def test_a_rule_that_shares_puts_name_and_number_in_the_briefing(incident):
    rule(share=True)

    assert f"Caller: {RUTH.name}, {phones.normalise(RUTH.phone)}" in selectors.briefing_for(
        incident
    )


def test_details_typed_into_a_briefing_do_not_reach_the_resource_unless_shared(incident):
    rule(share=False)
    typed = f"Ring {RUTH.name} on {RUTH.phone} when outside"

    dispatch = send(incident, resource("FAC-1"), channel="phone", briefing=typed)

    (message,) = dispatch.messages.all()
    for text in (dispatch.briefing, message.body):
        assert RUTH.name not in text and not written(RUTH.phone, text)
        assert "[caller: ask the centre]" in text
    page = Client().get(f"/status/{links.token_for(dispatch.pk)}/").content.decode()
    assert not written(RUTH.phone, page) and RUTH.name not in page


def test_a_sharing_rule_lets_typed_details_through(incident):
    rule(share=True)
    typed = f"Ring {RUTH.name} on {RUTH.phone} when outside"

    dispatch = send(incident, resource("FAC-1"), channel="phone", briefing=typed)

    assert dispatch.briefing == typed
    assert RUTH.phone in dispatch.messages.get().body


def test_the_dispatch_api_shows_a_shared_briefing_only_to_who_may_see_the_caller(incident):
    rule(share=True)
    send(incident, resource("FAC-1"), channel="phone", briefing=f"Ring {RUTH.phone}")
    resolve(incident)
    close(incident, confirmed_by="Ruth")
    url = f"/api/incidents/{incident.pk}/dispatches/"

    hidden = client_for(agent()).get(url).json()[0]["briefing"]
    shown = client_for(supervisor()).get(url).json()[0]["briefing"]

    assert RUTH.phone not in hidden and "[hidden]" in hidden
    assert RUTH.phone in shown
