"""JUnit XML of a gate result, as Jenkins and GitLab read it (``REPORT_DIR/junit.xml``,
``tqa gate --format junit``).

One ``<testsuite name="tqa articles">`` with one ``<testcase>`` per variant article: classname
``tqa.<lang>``, name ``<doc_path> › <article_id>``; a failing article carries one ``<failure>``
(message: the verdict's reasons; body: its findings, segment by segment, waived ones marked), an
unverified one ``<skipped>`` with why (and, under a baseline, a known failure ``<skipped>`` too),
a passing one nothing. A second suite, ``tqa inputs``, holds one testcase with an ``<error>`` per
file that could not be audited. Suite properties carry the tool's signature and the stages that were
skipped. The output validates against the widely used ``jenkins-junit.xsd``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from .gate import ArticleOutcome, GateResult

#: Findings listed in a failure's body; the rest are counted.
MAX_LISTED = 50
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text: object) -> str:
    """Text XML 1.0 can hold (control characters the corpus may carry become U+FFFD)."""
    return _ILLEGAL_XML.sub("\ufffd", str(text))


def _failure_body(o: ArticleOutcome) -> str:
    lines = [f"{o.doc_path} · article {o.article_id} · {o.lang}" + (f" · {o.title}" if o.title else "")]
    listed = o.issues[:MAX_LISTED]
    for i in listed:
        where = f"segment {i.seg_id}" if i.seg_id is not None else "omitted segment"
        mark = f" [waived: {i.waived}]" if i.waived else (" [in the baseline]" if not i.new else "")
        text = " ".join((i.text or "").split())
        text = text if len(text) <= 160 else text[:159] + "…"
        lines.append(f"{where} · {i.flag}{mark}: {i.reason}\n    “{text}”")
    if len(o.issues) > len(listed):
        lines.append(f"… and {len(o.issues) - len(listed)} more findings (see the article's page)")
    for c in o.score_changes:
        lines.append(c.describe())
    return "\n".join(lines)


def junit_xml(r: GateResult) -> str:
    """The JUnit XML document of a gate result (UTF-8 text with an XML declaration)."""
    root = ET.Element("testsuites", name="tqa")
    suite = ET.SubElement(root, "testsuite", name="tqa articles")
    props = ET.SubElement(suite, "properties")
    properties = {"corpus": r.corpus, "tool": r.tool.get("signature") or r.tool.get("version") or "tqa",
                  "verdict": r.verdict, **({"baseline": r.baseline} if r.baseline else {}),
                  **{f"stage.{k}": v for k, v in r.skipped_stages.items()}}
    for name, value in properties.items():
        ET.SubElement(props, "property", name=_clean(name), value=_clean(value))
    failures = skipped = 0
    for o in sorted(r.articles, key=lambda o: (o.doc_path, o.article_id)):
        case = ET.SubElement(suite, "testcase", classname=_clean(f"tqa.{o.lang or 'unknown'}"),
                             name=_clean(f"{o.doc_path} › {o.article_id}"), time="0")
        if o.status == "fail":
            failures += 1
            top = next((i.flag for i in o.issues if i.waived is None), None) or "gate"
            failure = ET.SubElement(case, "failure", message=_clean("; ".join(o.why)), type=_clean(top))
            failure.text = _clean(_failure_body(o))
        elif o.status in ("unverified", "known"):
            skipped += 1
            ET.SubElement(case, "skipped").text = _clean("; ".join(o.why) or o.status)
        elif o.waived:
            ET.SubElement(case, "system-out").text = _clean(
                f"{o.waived} finding{'s' if o.waived > 1 else ''} waived\n" + _failure_body(o))
    suite.set("tests", str(len(r.articles)))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", str(skipped))
    if r.generated:
        suite.set("timestamp", _clean(r.generated))
    inputs = ET.SubElement(root, "testsuite", name="tqa inputs", tests=str(len(r.errors)), failures="0",
                           errors=str(len(r.errors)), skipped="0")
    for e in r.errors:
        case = ET.SubElement(inputs, "testcase", classname="tqa.inputs", name=_clean(e.get("path", "?")), time="0")
        ET.SubElement(case, "error", message=_clean(e.get("error", "")), type="input").text = _clean(
            e.get("error", ""))
    if r.warnings:
        ET.SubElement(inputs, "system-out").text = _clean("\n".join(f"warning: {w.get('path')}: {w.get('error')}"
                                                                   for w in r.warnings))
    root.set("tests", str(len(r.articles) + len(r.errors)))
    root.set("failures", str(failures))
    root.set("errors", str(len(r.errors)))
    ET.indent(root, space=" ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
