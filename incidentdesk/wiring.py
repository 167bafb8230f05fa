"""Every reaction in the system, on one screen: which app hears which hook.

Lower apps emit hooks from their services (core/hooks.py lists them); the apps above
subscribe here and nowhere else. Subscribers run inside the emitting transaction.
"""

from django.contrib.auth.signals import user_logged_out

from board import publisher
from core import hooks
from customer_care import services as care
from dispatch import selectors as dispatch_selectors
from dispatch import services as dispatch
from escalation import services as escalation


def connect() -> None:
    # A timeline event reaches every board and incident watcher after commit.
    hooks.subscribe("event_recorded", publisher.on_event_recorded)
    # A resource's new status reaches the boards' resource panel after commit.
    hooks.subscribe("resource_changed", publisher.on_resource_changed)
    # A new incident enters the escalation policy that matches it ("P1 logged" fires).
    hooks.subscribe("incident_logged", escalation.enter_policy)
    # The SLA clocks moved: the escalation engine rewrites the incident's due work.
    hooks.subscribe("clocks_changed", escalation.schedule_steps)
    # A reopened incident fires the policy's "reopened" steps.
    hooks.subscribe("incident_reopened", escalation.on_reopened)
    # Resolved, closed or cancelled: its open escalation alerts close, its due work goes.
    hooks.subscribe("incident_settled", escalation.on_settled)
    # A call linked to a parent: its own alerts close; the parent's escalation speaks for it.
    hooks.subscribe("incident_linked", escalation.on_linked)
    # An outbound message reached its final state (sent, or failed for good): dispatch
    # records a briefing's outcome (or a failed broadcast message) on the timeline; care
    # marks the customer update sent (resetting the update clock) or failed, and a survey
    # link sent.
    hooks.subscribe("message_finished", dispatch.on_message_finished)
    hooks.subscribe("message_finished", care.on_message_finished)
    # The lifecycle asks whether a resource is deployed before "Dispatched" or "In progress".
    hooks.subscribe("active_dispatches", dispatch_selectors.active_dispatch_count)
    # Django's own signal, not a hook, but a reaction all the same, so it is listed here:
    # a logout closes the board sockets of that session at once (board/consumers.py also
    # re-checks every socket's session and permission every few seconds).
    user_logged_out.connect(publisher.on_logged_out, dispatch_uid="board-logout")
