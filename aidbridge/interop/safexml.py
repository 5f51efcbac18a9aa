"""Reading XML that came from outside: no DTD, no entity, no network, and a size limit.

Every XML file Aidbridge reads (IATI activity files, today) goes through :func:`parse`. It is built on
defusedxml's parser, with every guard on:

- a document type declaration (``<!DOCTYPE …>``) is refused outright, so no internal entity can be declared
  (the "billion laughs" and quadratic blow-up attacks need one) and no external DTD or entity is fetched;
- entity declarations and external references are refused too, should a DTD ever get through;
- the file is refused before parsing when it is larger than ``MAX_XML_BYTES`` (``AIDBRIDGE_MAX_XML_BYTES``,
  by default ten times the upload limit), and when it nests elements deeper than :data:`MAX_DEPTH`.

A refusal is an :class:`UnsafeXML` (a hostile construct) or a :class:`BadXML` (not well-formed), both
:class:`~aidbridge.core.errors.ServiceError`, with a message a person can act on. Parsed elements carry the
line they start on as ``element.sourceline``, so an importer can name the line of a problem.

A large file is read in bounded memory with ``each=``: every child of the root is handed to that function as
soon as it is complete, then emptied, so only one child (one IATI activity) is ever held as a tree.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from xml.etree.ElementTree import ParseError

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden, NotSupportedError
from defusedxml.ElementTree import DefusedXMLParser
from django.conf import settings

from aidbridge.core.errors import ServiceError

MAX_DEPTH = 64  # IATI activities nest about six deep; anything near this is not an activity file


class BadXML(ServiceError):
    """The file is not well-formed XML."""


class UnsafeXML(ServiceError):
    """The file uses an XML feature refused on purpose (DTD, entities, external references) or is too big."""


def max_bytes() -> int:
    return int(settings.MAX_XML_BYTES)


class Stop(Exception):
    """Raised by an ``each`` function to stop reading: :func:`parse` then returns the root read so far."""


class _Parser(DefusedXMLParser):  # type: ignore[misc]
    """defusedxml's parser with every guard on, recording each element's line and refusing deep nesting."""

    def __init__(self, each: Callable[[Any, Any], None] | None = None) -> None:
        super().__init__(forbid_dtd=True, forbid_entities=True, forbid_external=True)
        self._depth = 0
        self._each = each
        self.root: Any = None
        self.parser.SetParamEntityParsing(0)  # expat's XML_PARAM_ENTITY_PARSING_NEVER

    def _start(self, tag: Any, attr_list: Any) -> Any:
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise UnsafeXML(f"Line {self.parser.CurrentLineNumber}: elements nest more than {MAX_DEPTH} deep; "
                            "the file was refused.", field="file")
        element = super()._start(tag, attr_list)
        element.sourceline = self.parser.CurrentLineNumber
        if self._depth == 1:
            self.root = element
        return element

    def _end(self, tag: Any) -> Any:
        self._depth -= 1
        element = super()._end(tag)
        if self._each is not None and self._depth == 1:
            self._each(element, self.root)
            element.clear()  # handed over: keep only an empty shell in the root
        return element


CHUNK = 1 << 20


def parse(content: bytes, *, what: str = "XML file", each: Callable[[Any, Any], None] | None = None) -> Any:
    """The root element of ``content``, or a :class:`BadXML` / :class:`UnsafeXML` naming what is wrong.

    With ``each``, every child of the root is passed to ``each(child, root)`` once complete, then emptied.
    """
    limit = max_bytes()
    if len(content) > limit:
        raise UnsafeXML(f"The {what} is {len(content):,} bytes; the limit is {limit:,}.", field="file")
    if not content.strip():
        raise BadXML(f"The {what} is empty.", field="file")
    parser = _Parser(each)
    try:
        for start in range(0, len(content), CHUNK):
            parser.feed(content[start:start + CHUNK])
        return parser.close()
    except Stop:
        return parser.root
    except DTDForbidden as exc:
        raise UnsafeXML(
            f"The {what} declares a document type (<!DOCTYPE {exc.name}>). Document types are refused: they can "
            "define entities that expand without limit or fetch files from the network.", field="file",
        ) from None
    except EntitiesForbidden as exc:
        raise UnsafeXML(f"The {what} declares the entity “{exc.name}”. Entity declarations are refused.",
                        field="file") from None
    except ExternalReferenceForbidden as exc:
        target = exc.sysid or exc.pubid or "an external resource"
        raise UnsafeXML(f"The {what} refers to {target}. External references are refused; nothing was fetched.",
                        field="file") from None
    except NotSupportedError:
        raise UnsafeXML(f"The {what} uses an XML feature that is refused here.", field="file") from None
    except ParseError as exc:
        line, column = getattr(exc, "position", (None, None))
        where = f" at line {line}, column {(column or 0) + 1}" if line else ""
        reason = str(exc).split(":")[0]
        raise BadXML(f"The {what} is not well-formed XML{where}: {reason}.", field="file") from None


def local(tag: Any) -> str:
    """An element's name without its namespace (``{http://…}narrative`` → ``narrative``)."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""
