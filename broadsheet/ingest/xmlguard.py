"""Refuse XML that declares entities or points outside itself, before any parser expands it.

XML bombs (billion laughs, quadratic blowup) and XXE need an entity declaration or an external
reference in the prolog, so the guard only reads the prolog: expat runs until the root element
starts, with handlers that stop at the first declaration, the way defusedxml's do. A syntax error
is not a refusal (many real feeds are malformed and feedparser's loose parser still reads them),
so a plain-text scan for `<!ENTITY` backs the parse up wherever expat could not vouch for the text.
"""

from __future__ import annotations

import re
import xml.parsers.expat

ENTITIES = "the document declares XML entities"
EXTERNAL_DTD = "the document refers to an external DTD"
EXTERNAL_ENTITY = "the document refers to an external entity"

# RSS 0.91 documents carry this DOCTYPE; it is allowed because nobody loads it (expat here never
# reads external subsets, and feedparser switches external entities off).
_KNOWN_PUBLIC_IDS = {"-//Netscape Communications//DTD RSS 0.91//EN"}
_KNOWN_SYSTEM_IDS = {
    "http://my.netscape.com/publish/formats/rss-0.91.dtd",
    "http://www.rssboard.org/rss-0.91.dtd",
}

_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)
# feedparser splits its "head" (where it looks for DOCTYPE and ENTITY) at the first `<` + word char.
_FIRST_TAG = re.compile(rb"<\w")


class _Refused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _RootReached(Exception):
    def __init__(self, offset: int) -> None:
        super().__init__(offset)
        self.offset = offset


def unsafe_reason(data: bytes) -> str | None:
    """unsafe_reason says why an XML document must not be parsed, or None when its prolog is safe."""
    reason, root_offset = _scan_prolog(data)
    if reason:
        return reason
    if root_offset is None:
        # expat gave up before the root element: it cannot vouch for any of the text.
        region = data
    else:
        # The prolog as expat read it, and as far as feedparser's regexes look for declarations
        # (they would lift one out of a comment, where expat rightly saw none).
        first_tag = _FIRST_TAG.search(data)
        head_end = first_tag.end() if first_tag else len(data)
        region = data[: max(root_offset, head_end)]
    if _ENTITY_DECLARATION.search(region):
        return ENTITIES
    return None


def _scan_prolog(data: bytes) -> tuple[str | None, int | None]:
    """_scan_prolog returns a refusal reason, else the root element's byte offset (None: syntax error)."""
    parser = xml.parsers.expat.ParserCreate()
    # Same parameter-entity setting as xml.sax (which feedparser uses), so both see the same DTD.
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_UNLESS_STANDALONE)

    def on_doctype(name: str, system_id: str | None, public_id: str | None, internal: bool) -> None:
        if public_id in _KNOWN_PUBLIC_IDS or (public_id is None and system_id in _KNOWN_SYSTEM_IDS):
            return
        if system_id or public_id:
            raise _Refused(EXTERNAL_DTD)

    def on_entity(*args: object) -> None:
        raise _Refused(ENTITIES)

    def on_external_ref(
        context: str | None, base: str | None, system_id: str | None, public_id: str | None
    ) -> int:
        if context is None and (public_id in _KNOWN_PUBLIC_IDS or system_id in _KNOWN_SYSTEM_IDS):
            return 1  # the allowed RSS 0.91 DTD: acknowledged, never loaded
        raise _Refused(EXTERNAL_ENTITY)

    def on_root(name: str, attributes: object) -> None:
        raise _RootReached(parser.CurrentByteIndex)

    parser.StartDoctypeDeclHandler = on_doctype
    parser.EntityDeclHandler = on_entity
    parser.UnparsedEntityDeclHandler = on_entity
    parser.ExternalEntityRefHandler = on_external_ref
    parser.StartElementHandler = on_root
    try:
        parser.Parse(data, True)
    except _Refused as refusal:
        return refusal.reason, None
    except _RootReached as reached:
        return None, reached.offset
    except (xml.parsers.expat.ExpatError, ValueError, RecursionError):
        pass
    return None, None
