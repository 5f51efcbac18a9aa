"""Who sees what: the personas of docs/design.md against every domain queryset's ``for_user``."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AnonymousUser

from aidbridge.accounts.models import Organisation
from aidbridge.catalogue.models import Item
from aidbridge.locations.models import Hub
from aidbridge.pledges.models import Pledge
from aidbridge.requirements.models import Requirement


def _pledges(user, world):
    names = {world.pledge_coalition.pk: "coalition", world.pledge_coordinators.pk: "coordinators",
             world.pledge_public.pk: "public", world.pledge_public_later.pk: "public_later"}
    return {names[pk] for pk in Pledge.objects.for_user(user).values_list("pk", flat=True)}


def test_pledge_releasability_matrix(world, personas):
    assert _pledges(personas.donor_de, world) == {"coalition", "coordinators", "public", "public_later"}
    assert _pledges(personas.donor_us, world) == {"coalition", "public", "public_later"}
    assert _pledges(personas.coordinator, world) == {"coalition", "coordinators", "public", "public_later"}
    assert _pledges(personas.auditor, world) == {"coalition", "coordinators", "public", "public_later"}
    assert _pledges(personas.recipient, world) == {"coalition", "public", "public_later"}
    assert _pledges(personas.hub_pl, world) == {"coalition", "public", "public_later"}
    assert _pledges(personas.outsider, world) == {"public"}
    assert _pledges(AnonymousUser(), world) == {"public"}


def test_public_pledge_disappears_for_the_public_before_its_date(world, personas):
    Pledge.objects.filter(pk=world.pledge_public.pk).update(disclosure_date=dt.date.today() + dt.timedelta(days=1))
    assert _pledges(personas.outsider, world) == set()


def test_drafts_are_seen_only_by_their_recipient_and_auditors(world, personas):
    draft = world.draft_requirement.pk
    assert draft in Requirement.objects.for_user(personas.recipient).values_list("pk", flat=True)
    assert draft in Requirement.objects.for_user(personas.auditor).values_list("pk", flat=True)
    for name in ("coordinator", "donor_de", "hub_pl", "outsider"):
        assert draft not in Requirement.objects.for_user(getattr(personas, name)).values_list("pk", flat=True)
    assert world.requirement.pk in Requirement.objects.for_user(personas.donor_de).values_list("pk", flat=True)
    assert not Requirement.objects.for_user(personas.outsider).exists()


def test_outsiders_see_no_reference_data_and_only_their_organisation(world, personas):
    for model in (Item, Hub):
        assert not model.objects.for_user(personas.outsider).exists()
        assert not model.objects.for_user(AnonymousUser()).exists()
        assert model.objects.for_user(personas.hub_pl).exists()
    assert list(Organisation.objects.for_user(personas.outsider)) == [personas.orgs["other"]]


def test_inactive_users_see_nothing(world, personas):
    personas.donor_de.is_active = False
    personas.donor_de.save()
    from aidbridge.accounts.principal import forget

    forget(personas.donor_de)
    assert _pledges(personas.donor_de, world) == {"public"}
