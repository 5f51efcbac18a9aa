"""The catalogues are complete and current, and no template shows text that cannot be translated.

a. Every ``{% translate %}`` / ``{% blocktranslate %}`` of every template under ``aidbridge/templates/`` (and of
   the templates they include) is in the Ukrainian and the Indonesian catalogue, translated, with the msgid
   Django looks up at runtime.
b. No template has literal text outside those tags: the text between tags and the attributes a person reads
   (title, alt, aria-label, placeholder, data-confirm, a button's value).
c. The compiled ``.mo`` files say what the ``.po`` files say (a forgotten ``compilemessages`` fails).
d. Every msgid the Python code marks (references to ``.py`` files) is translated too.

The catalogues are built by ``make messages`` (docs/translation.md). Until ``aidbridge/locale/uk/LC_MESSAGES/
django.po`` exists, a, c and d are skipped; b needs no catalogue.
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.template import Context, Template, engines
from django.template.base import Node, NodeList, TextNode
from django.template.loader_tags import IncludeNode
from django.templatetags.i18n import BlockTranslateNode, TranslateNode

TEMPLATES = Path(settings.BASE_DIR) / "templates"
LOCALE = Path(settings.LOCALE_PATHS[0])
LANGUAGES = ("uk", "id")
CATALOGUE_BUILT = (LOCALE / "uk" / "LC_MESSAGES" / "django.po").exists()
needs_catalogue = pytest.mark.skipif(not CATALOGUE_BUILT, reason="no catalogue built")

TEMPLATE_NAMES = sorted(str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.html"))

# Words a template may show as they are, in every language: the product's name, file formats, units.
ALLOWED_WORDS = frozenset({"Aidbridge", "CSV", "XLSX", "t", "abt", "s",
                           # the references' prefixes (REQ-00042, PLG-00007) and a priority (P1), the same in every
                           # language as they are quoted across languages; and a hash function's name
                           "REQ", "PLG", "SHP", "P", "SHA"})
# Attributes a person reads (or hears, from a screen reader); the others (class, href, id…) are machinery.
READ_ATTRIBUTES = ("title", "alt", "aria-label", "placeholder", "data-confirm")
PLACEHOLDER = "\x00"  # where a tag or a variable stood in a template's text


def _engine():  # type: ignore[no-untyped-def]
    return engines["django"].engine


def _template(name: str) -> Template:
    return _engine().get_template(name)


def _children(node: Node) -> Iterator[NodeList]:
    for attr in node.child_nodelists:
        nodelist = getattr(node, attr, None)
        if nodelist:
            yield nodelist


def _included(node: IncludeNode) -> str | None:
    """The name of a template included by a literal name ("generic/_form_fields.html"), else None."""
    literal = getattr(node.template, "var", None)
    return literal if isinstance(literal, str) else None


# --- a. the msgids a template looks up ------------------------------------------------------------------------

@dataclass(frozen=True)
class Msgid:
    template: str
    msgid: str
    plural: str | None = None
    context: str | None = None


def _context(node: Node) -> str | None:
    expression = getattr(node, "message_context", None)
    return None if expression is None else str(expression.resolve(Context()))


def msgids(name: str, seen: set[str] | None = None) -> Iterator[Msgid]:
    """Every msgid of ``name`` and of the templates it includes, as Django looks it up when rendering."""
    seen = set() if seen is None else seen
    if name in seen:
        return
    seen.add(name)

    def walk(nodelist: NodeList) -> Iterator[Msgid]:
        for node in nodelist:
            if isinstance(node, TranslateNode):
                var = node.filter_expression.var
                literal = getattr(var, "literal", None)
                if isinstance(literal, str) and not node.noop:
                    # Variable._resolve: gettext(literal with "%" doubled), pgettext with a context
                    yield Msgid(name, literal.replace("%", "%%"), context=_context(node))
            elif isinstance(node, BlockTranslateNode):
                singular, _ = node.render_token_list(node.singular)
                plural = node.render_token_list(node.plural)[0] if node.plural and node.countervar else None
                yield Msgid(name, singular, plural, _context(node))
            elif isinstance(node, IncludeNode) and (included := _included(node)):
                yield from msgids(included, seen)
            for child in _children(node):
                yield from walk(child)

    yield from walk(_template(name).nodelist)


def _catalogue(language: str) -> polib.POFile:
    return polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))


def _entries(language: str) -> dict[tuple[str | None, str], polib.POEntry]:
    return {(entry.msgctxt, entry.msgid): entry for entry in _catalogue(language) if not entry.obsolete}


def _missing(entries: dict[tuple[str | None, str], polib.POEntry], wanted: Msgid) -> str | None:
    entry = entries.get((wanted.context, wanted.msgid))
    if entry is None:
        return "not in the catalogue"
    if wanted.plural is not None and entry.msgid_plural != wanted.plural:
        return f"plural differs: {entry.msgid_plural!r}"
    if not entry.translated():
        return "fuzzy" if entry.fuzzy else "untranslated"
    return None


@needs_catalogue
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_template_string_is_translated(language):
    entries = _entries(language)
    problems = []
    for name in TEMPLATE_NAMES:
        for wanted in msgids(name):
            why = _missing(entries, wanted)
            if why:
                context = f" (context {wanted.context!r})" if wanted.context else ""
                problems.append(f"{wanted.template}: {wanted.msgid!r}{context}: {why}")
    assert not problems, f"{len(problems)} template strings not translated in {language}:\n" + "\n".join(
        sorted(set(problems)))


# --- b. no literal text -----------------------------------------------------------------------------------------

def skeleton(nodelist: NodeList) -> str:
    """The template's text in document order, with every variable and tag replaced by ``PLACEHOLDER``.

    The text inside ``{% blocktranslate %}`` is not a TextNode (it is translated); comments are dropped."""
    parts = []
    for node in nodelist:
        if isinstance(node, TextNode):
            parts.append(node.s)
        else:
            parts.append(PLACEHOLDER)
            parts.extend(skeleton(child) for child in _children(node))
    return "".join(parts)


_HIDDEN = re.compile(r"<!--.*?-->|<script\b.*?</script>|<style\b.*?</style>|<pre\b.*?</pre>|<code\b.*?</code>",
                     re.S | re.I)
_TAG = re.compile(r"<[A-Za-z!/][^>]*>")
_ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|[A-Za-z]+);")
_WORD = re.compile(r"[^\W\d_]+")


def _attribute(tag: str, name: str) -> list[str]:
    pattern = rf'\s{re.escape(name)}\s*=\s*(?:"([^"]*)"|\'([^\']*)\')'
    return [a or b for a, b in re.findall(pattern, tag, re.I)]


def _words(text: str) -> list[str]:
    text = _ENTITY.sub(" ", text.replace(PLACEHOLDER, " "))
    return [word for word in _WORD.findall(text) if word not in ALLOWED_WORDS]


def literal_text(template: Template) -> list[str]:
    """The runs of words ``template`` shows that no translation tag covers, each as found."""
    text = _HIDDEN.sub(PLACEHOLDER, skeleton(template.nodelist))
    found = []
    for tag in _TAG.findall(text):
        for attribute in READ_ATTRIBUTES:
            found += [f"{attribute}={value!r}" for value in _attribute(tag, attribute) if _words(value)]
        if re.match(r"<input\b", tag, re.I) and re.search(r'type\s*=\s*"(submit|button|reset)"', tag, re.I):
            found += [f"value={value!r}" for value in _attribute(tag, "value") if _words(value)]
    for run in _TAG.sub(PLACEHOLDER, text).split(PLACEHOLDER):
        if _words(run):
            found.append(repr(" ".join(run.split())))
    return found


@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_no_template_shows_untranslatable_text(name):
    found = literal_text(_template(name))
    assert not found, f"{name} shows text outside {{% translate %}}:\n" + "\n".join(found)


@pytest.mark.parametrize(("source", "found"), [
    ("<p>Hello</p>", ["'Hello'"]),
    ('<a title="Open it" href="/x/">{% translate "Open" %}</a>', ["title='Open it'"]),
    ("{% if x %}<b>Shown</b>{% else %}{% endif %}", ["'Shown'"]),
    ('<input type="submit" value="Send">', ["value='Send'"]),
    ('<button data-confirm="Sure?">{% translate "Go" %}</button>', ["data-confirm='Sure?'"]),
    ('<p>{% translate "Hello" %} · {{ name }} — 12 t &nbsp;</p>', []),
    ('<a title="{% translate "Open it" %}" href="/some/where/" class="button">Aidbridge</a>', []),
    ("{% blocktranslate %}Hello {{ name }}{% endblocktranslate %}<!-- a note --><code>abc</code>", []),
    ('<input type="hidden" name="action" value="remove">', []),
])
def test_the_literal_text_check_finds_what_it_should(source, found):
    assert literal_text(Template("{% load i18n %}" + source)) == found


# --- c. the compiled catalogues are current ------------------------------------------------------------------

@needs_catalogue
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalogue_matches_the_po_file(language):
    mo = LOCALE / language / "LC_MESSAGES" / "django.mo"
    assert mo.exists(), f"{mo} is missing: run `make messages`"
    with mo.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]
    stale = []
    for entry in _catalogue(language):
        if entry.obsolete or entry.fuzzy or not entry.msgid or not entry.translated():
            continue
        key = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
        if entry.msgid_plural:
            forms = {index: compiled.get((key, index)) for index in entry.msgstr_plural}
            if forms != dict(entry.msgstr_plural):
                stale.append(entry.msgid)
        elif compiled.get(key) != entry.msgstr:
            stale.append(entry.msgid)
    assert not stale, f"{language}: django.mo is older than django.po (run `make messages`): " + ", ".join(
        repr(m) for m in stale[:20])


# --- d. the Python side ---------------------------------------------------------------------------------------

@needs_catalogue
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_python_string_is_translated(language):
    problems = []
    for entry in _catalogue(language):
        if entry.obsolete or not any(path.endswith(".py") for path, _ in entry.occurrences):
            continue
        if not entry.translated():
            where = ", ".join(path for path, _ in entry.occurrences if path.endswith(".py"))
            problems.append(f"{where}: {entry.msgid!r}: {'fuzzy' if entry.fuzzy else 'untranslated'}")
    assert not problems, f"{len(problems)} Python strings not translated in {language}:\n" + "\n".join(problems)


def test_every_template_is_collected_and_parses():
    assert "base.html" in TEMPLATE_NAMES and "generic/object_list.html" in TEMPLATE_NAMES
    assert any(m.msgid == "Skip to content" for m in msgids("base.html"))
    plural = next(m for m in msgids("generic/_results.html") if m.plural)
    assert (plural.msgid, plural.plural) == ("%(count)s result", "%(count)s results")
    # an included template's strings count for the page that includes it
    assert any(m.template == "generic/_downloads.html" and m.msgid == "Download"
               for m in msgids("generic/object_list.html"))
