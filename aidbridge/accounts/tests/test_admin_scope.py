"""Account administration stays inside the administrator's organisation; only a superuser makes a superuser;
"coordinator who may write" is one predicate, and a coordinator viewer is not one."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from aidbridge.accounts import services as accounts
from aidbridge.accounts.models import Membership
from aidbridge.accounts.principal import principal
from aidbridge.allocation import services as allocation
from aidbridge.audit.models import AuditEvent
from aidbridge.core.errors import NotPermitted
from aidbridge.requirements import services as requirements

PASSWORD = "correct horse battery staple 42"


@pytest.fixture
def admin_de(personas):
    """An administrator of the German donor (org A); the US donor is org B."""
    return accounts.create_user(actor=None, username="admin-de", password=PASSWORD,
                                organisation=personas.orgs["de"], role=Membership.Role.ADMIN)


def test_an_admin_may_not_create_a_superuser(personas, admin_de):
    before = AuditEvent.objects.count()
    with pytest.raises(NotPermitted, match="superuser"):
        accounts.create_user(actor=admin_de, username="root2", password=PASSWORD, organisation=personas.orgs["de"],
                             is_superuser=True)
    assert not get_user_model().objects.filter(username="root2").exists()
    assert AuditEvent.objects.count() == before


def test_a_superuser_may_create_a_superuser(personas):
    root = accounts.create_user(actor=None, username="root", password=PASSWORD, is_superuser=True)
    made = accounts.create_user(actor=root, username="root2", password=PASSWORD, is_superuser=True)
    assert made.is_superuser


def test_the_command_line_makes_a_superuser_as_the_system_actor(personas):
    """The CLI has no acting user: it is the operator at the shell, the one way to make the first superuser.
    It goes through the same service, so the event names the system actor."""
    call_command("createuser", "root", "--superuser", "--password", PASSWORD, stdout=io.StringIO())
    root = get_user_model().objects.get(username="root")
    assert root.is_superuser
    event = AuditEvent.objects.get(action="user.create", object_id=str(root.pk))
    assert event.actor_name == "system" and event.after["is_superuser"] is True


def test_an_admin_creates_users_in_its_own_organisation_only(personas, admin_de):
    made = accounts.create_user(actor=admin_de, username="de-new", password=PASSWORD, organisation=personas.orgs["de"])
    assert principal(made).organisation_id == personas.orgs["de"].pk
    with pytest.raises(NotPermitted, match="own organisation"):
        accounts.create_user(actor=admin_de, username="us-new", password=PASSWORD, organisation=personas.orgs["us"])
    assert not get_user_model().objects.filter(username="us-new").exists()


def test_an_admin_of_one_organisation_cannot_change_memberships_in_another(personas, admin_de):
    before = AuditEvent.objects.count()
    # Promote a member of org B in org B.
    with pytest.raises(NotPermitted, match="own organisation"):
        accounts.set_membership(actor=admin_de, user=personas.donor_us, organisation=personas.orgs["us"],
                                role=Membership.Role.ADMIN)
    # Pull a member of org B into org A.
    with pytest.raises(NotPermitted, match="own organisation"):
        accounts.set_membership(actor=admin_de, user=personas.donor_us, organisation=personas.orgs["de"],
                                role=Membership.Role.VIEWER)
    # Push a member of org A into org B (e.g. into the coordination cell).
    with pytest.raises(NotPermitted, match="own organisation"):
        accounts.set_membership(actor=admin_de, user=personas.donor_de, organisation=personas.orgs["cell"],
                                role=Membership.Role.EDITOR)
    assert AuditEvent.objects.count() == before
    assert Membership.objects.get(user=personas.donor_us).organisation == personas.orgs["us"]
    assert Membership.objects.get(user=personas.donor_de).organisation == personas.orgs["de"]


def test_an_admin_changes_roles_in_its_own_organisation(personas, admin_de):
    membership = accounts.set_membership(actor=admin_de, user=personas.donor_de, organisation=personas.orgs["de"],
                                         role=Membership.Role.VIEWER)
    assert membership.role == Membership.Role.VIEWER
    assert AuditEvent.objects.latest("seq").action == "membership.set"


def test_an_admin_may_not_change_a_superusers_membership(personas, admin_de):
    root = accounts.create_user(actor=None, username="root", password=PASSWORD, is_superuser=True)
    with pytest.raises(NotPermitted, match="superuser"):
        accounts.set_membership(actor=admin_de, user=root, organisation=personas.orgs["de"],
                                role=Membership.Role.VIEWER)


@pytest.fixture
def coordinator_viewer(personas):
    return accounts.create_user(actor=None, username="coord-viewer", password=PASSWORD,
                                organisation=personas.orgs["cell"], role=Membership.Role.VIEWER)


def test_the_coordinator_editor_predicate(personas, coordinator_viewer):
    root = accounts.create_user(actor=None, username="root", password=PASSWORD, is_superuser=True)
    assert principal(personas.coordinator).is_coordinator_editor
    assert principal(root).is_coordinator_editor
    assert not principal(coordinator_viewer).is_coordinator_editor
    assert not principal(personas.auditor).is_coordinator_editor  # a coordination-cell auditor reads only
    assert not principal(personas.donor_de).is_coordinator_editor  # an editor, but not a coordinator


def test_a_coordinator_viewer_may_not_write(world, personas, coordinator_viewer, login):
    before = AuditEvent.objects.count()
    with pytest.raises(NotPermitted, match="coordinator editors"):
        allocation.allocate(actor=coordinator_viewer, pledge=world.pledge_coalition, requirement=world.requirement,
                            hub=world.hub, quantity=1)
    with pytest.raises(NotPermitted, match="coordinator editors"):
        requirements.close_requirement(actor=coordinator_viewer, requirement=world.requirement)
    assert AuditEvent.objects.count() == before
    generate = "Generate shipments</button>"
    assert generate not in login(coordinator_viewer).get("/shipments/").content.decode()
    assert generate in login(personas.coordinator).get("/shipments/").content.decode()
    assert login(coordinator_viewer).post("/shipments/generate/").status_code in (403, 404)
