"""Training on the public transparency page: seats offered and trainees completed by donor and by month, over
courses released to the public and disclosed only; and its CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.test import Client

from aidbridge.core import clock
from aidbridge.core.tests.test_pages import assert_self_contained
from aidbridge.training import services
from aidbridge.training.models import Course
from aidbridge.training.tests import test_views_helpers as h


@pytest.fixture
def training(world, personas) -> h.Training:
    t = h.build(world, personas)
    today = clock.today()
    # one trainee completes the public US course, another the coalition DE course (which is never counted)
    Course.objects.filter(pk__in=[t.course_us_public.pk, t.course_de.pk]).update(
        start_date=today - dt.timedelta(days=20), end_date=today - dt.timedelta(days=5))
    services.assign_seats(actor=personas.coordinator, request=t.request, course=t.course_us_public, seats=2)
    for course, ref in ((t.course_us_public, "UA-77-0001"), (t.course_de, None)):
        e = services.enrol_trainee(actor=personas.recipient, request=t.request, course=course,
                                   trainee_ref=ref) if ref else t.enrolment
        e = services.record_attendance(actor=personas.recipient, enrolment=e)
        services.complete_enrolment(actor=personas.recipient, enrolment=e, certificate_ref="CERT-1",
                                    completed_on=today - dt.timedelta(days=5))
    return t


def test_the_public_sees_only_public_disclosed_courses(training, personas):
    response = Client().get("/transparency/")
    assert response.status_code == 200
    page = h.text(response)
    section = page.split("Training", 1)[1].split("Transparency log")[0]
    assert "Seats offered (public courses only) 12" in section and "Trainees completed 1" in section
    assert "United States — Department of Defense 12 1" in section
    assert personas.orgs["de"].name not in page  # its courses are coalition and coordinators only
    for secret in ("UA-77-0001", "UA-53-0017", "Embargoed", "Generator crew course", "CERT-1"):
        assert secret not in page
    assert_self_contained(response.content.decode())


def test_the_training_csv_has_the_same_public_figures(training, personas):
    response = Client().get("/transparency/aidbridge-training.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["dimension", "key", "seats_offered", "trainees_completed"]
    assert ["donor", personas.orgs["us"].name, "12", "1"] in rows
    month = (clock.today() - dt.timedelta(days=5)).strftime("%Y-%m")
    assert sum(int(r[3]) for r in rows[1:] if r[0] == "month") == 1
    assert any(r[0] == "month" and r[1] == month and r[3] == "1" for r in rows)
    assert not any(personas.orgs["de"].name in cell for r in rows for cell in r)


def test_nothing_released_yet(world):
    page = h.text(Client().get("/transparency/"))
    assert "No course has been released to the public yet." in page
    rows = list(csv.reader(io.StringIO(Client().get("/transparency/aidbridge-training.csv").content.decode())))
    assert rows == [["dimension", "key", "seats_offered", "trainees_completed"]]
