"""Who may act on a shipment or a hub's ledger.

Hub operators act only at their own hubs (receipts there, issues, adjustments, write-offs, dispatching the
outbound legs); donors dispatch the inbound legs of their own pledges; the recipient receives outbound legs
and signs for them; coordinators may do everything.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from aidbridge.accounts.principal import Principal, principal
from aidbridge.core import services as core
from aidbridge.locations.models import Hub


def operates(p: Principal, hub: Hub) -> bool:
    return p.is_coordinator_editor or (p.can_write and p.organisation_id == hub.operator_id)


def require_coordinator(actor: Any, what: str) -> None:
    core.require(principal(actor).is_coordinator_editor, _("Only coordinator editors may %(what)s.") % {"what": what})


def require_hub(actor: Any, hub: Hub, what: str) -> None:
    core.require(operates(principal(actor), hub), _("Only coordinators and the operator of %(hub)s may %(what)s.")
                 % {"hub": hub.code, "what": what})


def sender_ok(p: Principal, shipment: Any) -> bool:
    """Inbound legs leave the donor; outbound legs leave the hub."""
    if shipment.leg == "inbound":
        return p.is_coordinator_editor or (p.can_write and p.organisation_id == shipment.donor_id)
    return operates(p, shipment.hub)


def receiver_ok(p: Principal, shipment: Any) -> bool:
    """Inbound legs are received by the hub; outbound legs by the recipient of every requirement on board."""
    if shipment.leg == "inbound":
        return operates(p, shipment.hub)
    if p.is_coordinator_editor:
        return True
    if not p.can_write or p.organisation_id is None:
        return False
    # Every line's requirement is the organisation's: no line of another, and at least one line. The first line
    # of another recipient ends the search, so a donor looking at a lorry of 1,500 lines reads one row.
    lines = shipment.lines.order_by()
    return (not lines.exclude(allocation_line__requirement__recipient_id=p.organisation_id).exists()
            and lines.exists())


def require_sender(actor: Any, shipment: Any, what: str) -> None:
    message = (_("Only coordinators and the donor may %(what)s.") if shipment.leg == "inbound"
               else _("Only coordinators and the operator of %(hub)s may %(what)s."))
    core.require(sender_ok(principal(actor), shipment), message % {"hub": shipment.hub.code, "what": what})


def require_receiver(actor: Any, shipment: Any, what: str) -> None:
    message = (_("Only coordinators and the operator of %(hub)s may %(what)s.") if shipment.leg == "inbound"
               else _("Only coordinators and the recipient may %(what)s."))
    core.require(receiver_ok(principal(actor), shipment), message % {"hub": shipment.hub.code, "what": what})
