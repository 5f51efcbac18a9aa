"""The hostile and malformed XML corpus: each file gets a clear refusal, nothing is expanded or fetched."""

from __future__ import annotations

import socket

import pytest
from django.test import override_settings

from aidbridge.interop import safexml
from aidbridge.interop.iati.importer import import_iati
from aidbridge.interop.tests.opendata_helpers import CORPUS

DOCTYPE = "declares a document type"
REFUSALS = {
    "billion-laughs.xml": (safexml.UnsafeXML, "declares a document type (<!DOCTYPE lolz>)"),
    "quadratic-blowup.xml": (safexml.UnsafeXML, DOCTYPE),
    "external-entity.xml": (safexml.UnsafeXML, DOCTYPE),
    "external-dtd.xml": (safexml.UnsafeXML, DOCTYPE),
    "parameter-entity.xml": (safexml.UnsafeXML, DOCTYPE),
    "deep-nesting.xml": (safexml.UnsafeXML, "elements nest more than 64 deep"),
    "undeclared-entity.xml": (safexml.BadXML, "not well-formed XML at line 2, column 65: undefined entity"),
    "truncated.xml": (safexml.BadXML, "not well-formed XML at line 7, column 1: no element found"),
    "binary.xml": (safexml.BadXML, "not well-formed XML at line 1"),
    "empty.xml": (safexml.BadXML, "is empty"),
}


def test_every_file_of_the_corpus_is_covered():
    listed = set(REFUSALS) | {"quirks-2.02.xml", "iati-1.03.xml", "wrong-root.xml"}
    assert {p.name for p in CORPUS.iterdir()} == listed


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a connection fails the test: nothing may be fetched while parsing."""
    def refuse(*args, **kwargs):
        raise AssertionError("the XML parser tried to reach the network")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


@pytest.mark.parametrize("name", sorted(REFUSALS))
def test_a_hostile_or_malformed_file_is_refused_clearly(name, no_network):
    error, message = REFUSALS[name]
    with pytest.raises(error) as refused:
        safexml.parse((CORPUS / name).read_bytes(), what="IATI file")
    assert message in refused.value.message
    assert "lol" * 3 not in refused.value.message and "root:" not in refused.value.message


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(REFUSALS))
def test_the_iati_import_reports_the_refusal_and_writes_nothing(name, no_network):
    report = import_iati((CORPUS / name).read_bytes(), actor=None, dry_run=False)
    assert not report.ok and len(report.errors) == 1 and REFUSALS[name][1] in report.errors[0]
    assert report.as_dict()["activities"] == 0


def test_the_size_limit_is_checked_before_parsing():
    with override_settings(MAX_XML_BYTES=100), pytest.raises(safexml.UnsafeXML) as refused:
        safexml.parse(b"<iati-activities>" + b" " * 200 + b"</iati-activities>", what="IATI file")
    assert refused.value.message == "The IATI file is 235 bytes; the limit is 100."


def test_a_sound_file_parses_with_line_numbers():
    root = safexml.parse(b'<?xml version="1.0"?>\n<a>\n  <b x="1"/>\n</a>\n')
    assert safexml.local(root.tag) == "a" and root[0].sourceline == 3 and root[0].get("x") == "1"


def test_each_child_of_the_root_is_handed_over_then_emptied():
    """Bounded memory: a large file is never held as one tree, only one child (one activity) at a time."""
    seen = []

    def each(child, root):
        seen.append((child.findtext("b"), child[0].sourceline, root.get("v")))

    content = b'<r v="1">\n' + b"".join(b"<a><b>%d</b></a>\n" % n for n in range(3)) + b"</r>"
    root = safexml.parse(content, each=each)
    assert seen == [("0", 2, "1"), ("1", 3, "1"), ("2", 4, "1")]
    assert [len(child) for child in root] == [0, 0, 0]


def test_each_may_stop_the_reading():
    def each(child, root):
        raise safexml.Stop

    root = safexml.parse(b"<r><a/><a/><broken", each=each)
    assert safexml.local(root.tag) == "r"
