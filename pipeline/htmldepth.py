"""How deep an HTML document nests, counted from its tags before any parser sees it.

An HTML tree builder does work proportional to the depth of its stack of open elements for every
element it inserts, so a few megabytes of nested ``<div>``s make lexbor's parse quadratic (40,000
levels: seconds; 400,000: minutes). :func:`nesting_depth` reads the tags once, in linear time, and
follows the tree-construction rules that decide the depth of ordinary pages: void elements, raw
text (``<script>``, ``<style>``, comments), implied end tags (``<p>``, ``<li>``, ``<dd>``/``<dt>``,
table cells and rows, ``<option>``, headings, ``<a>``, ``<button>``) and end tags that only close an
element when no block element (a "special" element) stands in between. It is an estimate: it does
not model the reconstruction of formatting elements (``<b>``, ``<i>`` …) or foster parenting, so the
extractor also checks the depth of the parsed tree.
"""

from __future__ import annotations

import re
from collections.abc import Callable


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


VOID = _names("area base basefont bgsound br col embed frame hr image img input keygen link meta param source "
              "track wbr")
# raw text and RCDATA elements: their content is text up to the matching end tag
RAW_TEXT = _names("script style xmp iframe noembed noframes textarea title")
# start tags that never add a level (the parser merges repeats into the one element)
NEVER_PUSHED = _names("html head body frameset")
# the HTML standard's "special" category (tree construction, 13.2.4.2)
SPECIAL = _names(
    "address applet area article aside base basefont bgsound blockquote body br button caption center col colgroup "
    "dd details dialog dir div dl dt embed fieldset figcaption figure footer form frame frameset h1 h2 h3 h4 h5 h6 "
    "head header hgroup hr html iframe img input keygen li link listing main marquee menu meta nav noembed noframes "
    "noscript object ol p param plaintext pre script search section select source style summary table tbody td "
    "template textarea tfoot th thead title tr track ul wbr xmp mi mo mn ms mtext annotation-xml foreignobject "
    "desc")
DEFAULT_SCOPE = _names("applet caption html table td th marquee object template mi mo mn ms mtext "
                       "annotation-xml foreignobject desc")
LIST_SCOPE = DEFAULT_SCOPE | {"ol", "ul"}
BUTTON_SCOPE = DEFAULT_SCOPE | {"button"}
TABLE_SCOPE = frozenset({"html", "table", "template"})
MARKERS = _names("applet object marquee template td th caption html")
HEADINGS = _names("h1 h2 h3 h4 h5 h6")
FORMATTING = _names("a b big code em font i nobr s small strike strong tt u")
# start tags that close an open <p> (in button scope)
CLOSES_P = _names(
    "address article aside blockquote center details dialog dir div dl fieldset figcaption figure footer header "
    "hgroup main menu nav ol p search section summary ul h1 h2 h3 h4 h5 h6 pre listing form plaintext hr xmp li dd "
    "dt")
TABLE_SECTIONS = frozenset({"tbody", "thead", "tfoot"})

_TOKEN_RE = re.compile(r"<(?:(!--)|([!?])|(/?)([A-Za-z][^\t\n\f\r />]*))")
_COMMENT_END_RE = re.compile(r"--!?>")
_RAW_END_RE = {tag: re.compile(rf"</{tag}[\t\n\f\r />]", re.IGNORECASE) for tag in RAW_TEXT}
# nearest-element trackers: for each, the index of the topmost open element in the set
_TRACKERS = ("special", "special_li", "scope", "list_scope", "button_scope", "table_scope", "marker", "cell")
_TRACKER_SETS = (SPECIAL, SPECIAL - {"address", "div", "p"}, DEFAULT_SCOPE, LIST_SCOPE, BUTTON_SCOPE, TABLE_SCOPE,
                 MARKERS, frozenset({"td", "th", "caption", "html", "template"}))
_T = {name: k for k, name in enumerate(_TRACKERS)}
_MEMBER_OF = {tag: tuple(k for k, members in enumerate(_TRACKER_SETS) if tag in members)
              for tag in frozenset().union(*_TRACKER_SETS)}
_NONE = (-1,) * len(_TRACKERS)
# start tags whose handling looks at the open elements before they are inserted
_IMPLYING = CLOSES_P | HEADINGS | TABLE_SECTIONS | {"li", "dd", "dt", "a", "nobr", "button", "option", "optgroup",
                                                    "td", "th", "tr", "table"}
_CHECK_EVERY = 4096


class _Stack:
    """The stack of open elements, with O(1) answers to "is an X open above the nearest Y?"."""

    __slots__ = ("at", "names", "near")

    def __init__(self) -> None:
        self.names: list[str] = []
        self.at: dict[str, list[int]] = {}  # name -> indices where it is open, bottom to top
        self.near: list[tuple[int, ...]] = [_NONE]  # near[k + 1]: the trackers of names[:k + 1]

    def push(self, name: str) -> None:
        i = len(self.names)
        self.names.append(name)
        at = self.at.get(name)
        if at is None:
            self.at[name] = [i]
        else:
            at.append(i)
        member_of = _MEMBER_OF.get(name)
        if member_of is None:
            self.near.append(self.near[-1])
        else:
            near = list(self.near[-1])
            for k in member_of:
                near[k] = i
            self.near.append(tuple(near))

    def pop_to(self, index: int) -> None:
        """Pop every element from the top down to and including the one at ``index``."""
        at = self.at
        for name in self.names[index:]:
            at[name].pop()
        del self.names[index:]
        del self.near[index + 1:]

    def top(self) -> str | None:
        return self.names[-1] if self.names else None

    def last(self, *names: str) -> int:
        """Index of the topmost open element named one of ``names``, or -1."""
        return max((self.at[n][-1] for n in names if self.at.get(n)), default=-1)

    def bound(self, tracker: str) -> int:
        return self.near[-1][_T[tracker]]

    def close_in_scope(self, names: tuple[str, ...], scope: str) -> bool:
        """Pop to the topmost of ``names`` if it is open within ``scope``; whether it was."""
        i = self.last(*names)
        if i >= 0 and i >= self.near[-1][_T[scope]]:
            self.pop_to(i)
            return True
        return False


def nesting_depth(html: str, check: Callable[[], None] | None = None) -> int:
    """The deepest nesting of elements in ``html`` (``<html>`` and ``<body>`` counted), from its tags.

    Linear in the length of ``html``. ``check`` is called every few thousand tags (a time budget
    raises from it).
    """
    stack = _Stack()
    names, at = stack.names, stack.at
    deepest = 0
    pos, n, tags = 0, len(html), 0
    search, find = _TOKEN_RE.search, html.find
    while pos < n:
        m = search(html, pos)
        if m is None:
            break
        tags += 1
        if check is not None and tags % _CHECK_EVERY == 0:
            check()
        comment, other, slash, name = m.groups()
        if comment:  # '<!-->' and '<!--->' end at once
            start = m.end()
            if html.startswith(">", start) or html.startswith("->", start):
                pos = find(">", start) + 1
                continue
            end = _COMMENT_END_RE.search(html, start)
            if end is None:
                break
            pos = end.end()
            continue
        close = find(">", m.end())
        if close < 0:  # an unterminated tag at the end of the file is dropped
            break
        pos = close + 1
        if other:  # <!DOCTYPE …>, <![CDATA[ … ]>, <?…>: up to the next '>'
            continue
        name = name.lower()
        if slash:
            if names and names[-1] == name:  # the common case: it closes the current element
                at[name].pop()
                names.pop()
                stack.near.pop()
            else:
                _end_tag(stack, name)
            continue
        foreign = bool(at.get("svg") or at.get("math"))
        if name in NEVER_PUSHED or name in VOID or (foreign and html[close - 1] == "/"):
            if name == "hr":
                stack.close_in_scope(("p",), "button_scope")
            continue
        if name in _IMPLYING:
            _implied_end_tags(stack, name)
        stack.push(name)
        deepest = max(deepest, len(names))
        if name == "plaintext":
            break
        if name in RAW_TEXT and not foreign:
            end = _RAW_END_RE[name].search(html, pos)
            if end is None:
                break
            pos = end.start()
    return deepest + 2  # <html> and <body>


def _implied_end_tags(stack: _Stack, name: str) -> None:
    """Pop what a start tag ``name`` closes before it is inserted."""
    if name in CLOSES_P and stack.at.get("p"):
        stack.close_in_scope(("p",), "button_scope")
    if name == "li":
        stack.close_in_scope(("li",), "special_li")
    elif name in ("dd", "dt"):
        stack.close_in_scope(("dd", "dt"), "special_li")
    elif name in HEADINGS:
        if stack.top() in HEADINGS:
            stack.pop_to(len(stack.names) - 1)
    elif name in ("a", "nobr"):
        i = stack.last(name)  # a second <a> closes the first unless a block stands in between
        if i >= 0 and i > stack.bound("marker") and i > stack.bound("special"):
            stack.pop_to(i)
    elif name == "button":
        stack.close_in_scope(("button",), "scope")
    elif name in ("option", "optgroup"):
        if stack.top() == "option":
            stack.pop_to(len(stack.names) - 1)
        if name == "optgroup" and stack.top() == "optgroup":
            stack.pop_to(len(stack.names) - 1)
    elif name in ("td", "th"):
        stack.close_in_scope(("td", "th"), "table_scope")
    elif name == "tr":
        stack.close_in_scope(("tr",), "table_scope")
    elif name in TABLE_SECTIONS:
        stack.close_in_scope(tuple(TABLE_SECTIONS), "table_scope")
    elif name == "table":
        i = stack.last("table")  # <table> directly in a table (not in a cell) closes that table
        if i >= 0 and i > stack.bound("cell"):
            stack.pop_to(i)


def _end_tag(stack: _Stack, name: str) -> None:
    """Pop what an end tag ``name`` that does not close the current element closes."""
    if name in ("html", "body", "head", "br") or not stack.at.get(name) and name not in HEADINGS:
        return
    if name in HEADINGS:
        stack.close_in_scope(tuple(HEADINGS), "scope")
    elif name == "p":
        stack.close_in_scope(("p",), "button_scope")
    elif name == "li":
        stack.close_in_scope(("li",), "list_scope")
    elif name in ("tr", "td", "th", "table", "caption") or name in TABLE_SECTIONS:
        stack.close_in_scope((name,), "table_scope")
    elif name in SPECIAL:
        stack.close_in_scope((name,), "scope")
    elif name in FORMATTING:
        # the adoption agency: with no block inside it, the element simply closes; with one, it is
        # moved out and the depth barely changes, so the end tag is ignored here (an overestimate)
        i = stack.last(name)
        if i >= stack.bound("scope") and i > stack.bound("special"):
            stack.pop_to(i)
    else:  # any other end tag closes the element unless a special element stands in between
        if stack.last(name) > stack.bound("special"):
            stack.pop_to(stack.last(name))
