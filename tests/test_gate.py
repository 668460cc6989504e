"""What a CI job trusts, end to end on real corpora (the demo and the man-page corpus of
tests/fixtures/bilingual.py): waivers (an expired one and malformed rows included), per-language
thresholds, ``tqa gate --baseline`` with bootstrap confidence intervals, JUnit XML validated against the
JUnit schema Jenkins and GitLab read, and GitHub workflow commands."""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
from pathlib import Path

import polars as pl
import pytest

from pipeline.config import GateConfig
from pipeline.detectors import FLAGS
from pipeline.gate import (
    chrf_change,
    escape_data,
    escape_property,
    evaluate,
    format_github,
    format_text,
    scored_groups,
    workflow_command,
)
from pipeline.judge import article_verdict
from pipeline.junit import junit_xml

from .conftest import DEMO, ROOT, TQA, run_audit

XSD = ROOT / "tests" / "data" / "jenkins-junit.xsd"
WORKFLOW_LINE = re.compile(r"^::(error|warning|notice)( [a-z]+=[^,:\r\n]*(,[a-z]+=[^,:\r\n]*)*)?::[^\r\n]*$",
                           re.IGNORECASE)
SWEDISH = "002_bab40216f2bcde20.txt"


def gate(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*TQA, "gate", *map(str, args)], capture_output=True, text=True, cwd=ROOT, timeout=300,
                          check=False)


def schema():
    etree = pytest.importorskip("lxml.etree", reason="lxml is not installed (pip install lxml)")
    return etree, etree.XMLSchema(etree.parse(str(XSD)))


def assert_valid_junit(text: str):
    etree, xsd = schema()
    doc = etree.fromstring(text.encode("utf-8"))
    xsd.assertValid(doc)
    return doc


def _swedish_articles(run) -> tuple[str, str]:
    ids = run.articles.filter(pl.col("doc_path") == SWEDISH).sort("article_id")["article_id"].to_list()
    assert len(ids) == 2
    return ids[0], ids[1]


# --------------------------------------------------------------------------- waivers


def test_waivers_on_the_demo(demo_run, demo_copy, tmp_path, luigi_overrides) -> None:
    a1, a2 = _swedish_articles(demo_run)
    tick = demo_run.segments.filter(pl.col("text").str.contains("Tick tack"))
    assert tick.height == 1 and tick["article_id"][0] == a1
    fingerprint = tick["fingerprint"][0]
    n_a2 = demo_run.articles.filter(pl.col("article_id") == a2)["flag_counts"].struct.field("untranslated")[0]
    waivers = tmp_path / "waivers.csv"
    waivers.write_text(
        "scope,flag,reason,expires,ticket\n"
        f'{fingerprint},term_violation,"quoted brand name, on purpose",2099-12-31,LOC-12\n'
        f"{a2},untranslated,the client wants this page in English,,LOC-13\n"
        "# a comment line\n"
        f"{a1},untranslated,an old exception,2020-01-01,LOC-1\n"
        f"{a1},garbeld,typo in the flag,2099-01-01,\n"
        f"{a1},*,,2099-01-01,\n"
        f"{a1},*,a date in the wrong format,31/12/2099,\n", encoding="utf-8")
    luigi_overrides({"gate": {"waivers": str(waivers)}})
    run = run_audit(demo_copy, tmp_path / "report")
    assert run.ok
    segs, arts = run.segments, run.articles.filter(pl.col("doc_path") == SWEDISH).sort("article_id")
    # the waived finding keeps its flag and reason, marked waived with its waiver
    row = segs.filter(pl.col("fingerprint") == fingerprint)
    assert "term_violation" in row["flags"][0].to_list()
    assert row["waived"][0].to_list() == [{"flag": "term_violation", "scope": fingerprint,
                                           "reason": "quoted brand name, on purpose", "expires": "2099-12-31",
                                           "line": 2}]
    first, second = arts.to_dicts()
    assert first["flag_counts"]["term_violation"] == 0 and first["waived_counts"]["term_violation"] == 1
    assert first["verdict"] == "fail" and not any("term_violation" in r for r in first["reasons"])
    assert any(r.startswith("untranslated:") for r in first["reasons"])  # the expired waiver does not apply
    assert second["flag_counts"]["untranslated"] == 0 and second["waived_counts"]["untranslated"] == n_a2 > 0
    assert second["verdict"] == "unverified"  # nothing fails; still, no original to check against
    summary = run.summary
    w = summary["waivers"]
    assert w["file"] == str(waivers) and w["applied"] == 1 + n_a2
    assert [(a["line"], a["applied"]) for a in w["active"]] == [(2, 1), (3, n_a2)]
    assert [e["line"] for e in w["expired"]] == [5]
    problems = {p["line"]: p["error"] for p in w["problems"]}
    assert set(problems) == {6, 7, 8}
    assert "'garbeld' is not one tqa raises" in problems[6]
    assert "no reason" in problems[7] and "not an ISO date" in problems[8]
    warnings = [e for e in summary["errors"] if e["path"] == str(waivers)]
    assert all(e["severity"] == "warning" for e in warnings) and len(warnings) == 4
    assert any("line 5:" in e["error"] and "expired on 2020-01-01" in e["error"] for e in warnings)
    assert summary["verdict"] == "fail"
    # visible on the pages, in junit.xml and in the gate
    page = (run.out / "articles" / f"{a1}.html").read_text(encoding="utf-8")
    assert "waived: quoted brand name, on purpose (until 2099-12-31)" in page
    assert "Waivers" in (run.out / "index.html").read_text(encoding="utf-8")
    doc = assert_valid_junit((run.out / "junit.xml").read_text(encoding="utf-8"))
    cases = {c.get("name").split(" › ")[1]: c for c in doc.iter("testcase") if " › " in c.get("name")}
    assert cases[a2].find("skipped") is not None
    assert "[waived: quoted brand name, on purpose]" in cases[a1].find("failure").text
    proc = gate(run.out, "--verbose")
    assert proc.returncode == 1 and "1 finding waived" in proc.stdout


def test_an_expired_waiver_stops_applying_and_the_judge_runs_again(demo_run, demo_copy, tmp_path, luigi_overrides,
                                                                     monkeypatch) -> None:
    fingerprint = demo_run.segments.filter(pl.col("text").str.contains("Tick tack"))["fingerprint"][0]
    waivers = tmp_path / "waivers.csv"
    waivers.write_text(f"scope,flag,reason,expires\n{fingerprint},term_violation,quoted,2027-06-30\n",
                       encoding="utf-8")
    luigi_overrides({"gate": {"waivers": str(waivers)}})
    monkeypatch.setenv("TQA_TODAY", "2027-06-30")  # its last day: it applies
    first = run_audit(demo_copy, tmp_path / "report")
    assert first.summary["waivers"]["applied"] == 1
    monkeypatch.setenv("TQA_TODAY", "2027-07-01")  # the day after, nothing else changed
    second = run_audit(demo_copy, tmp_path / "report")
    assert "JudgeCorpus" in second.ran and "ScoreShard" not in second.ran and "ExtractShard" not in second.ran
    assert second.summary["waivers"]["applied"] == 0
    assert [e["line"] for e in second.summary["waivers"]["expired"]] == [2]
    row = second.segments.filter(pl.col("fingerprint") == fingerprint)
    assert row["waived"][0].to_list() == [] and "term_violation" in row["flags"][0].to_list()
    third = run_audit(demo_copy, tmp_path / "report")
    assert third.ran == []


# --------------------------------------------------------------------------- per-language thresholds


def test_per_language_thresholds_end_to_end(man_corpus, man_run, tmp_path, luigi_overrides) -> None:
    # (sv/ln also carries an injected added sentence: 1 of 45 segments, under the Swedish share below)
    fail_on = dict(GateConfig().fail_on) | {"untranslated@sv": 0.5, "addition@sv": 0.05, "spun@en": 0.5,
                                            "garbled@de": 0.3}
    luigi_overrides({"gate": {"fail_on": ", ".join(f"{k}:{v:g}" for k, v in fail_on.items())}})
    run = run_audit(man_corpus, tmp_path / "report")
    assert run.summary["gate"]["fail_on"]["untranslated@sv"] == 0.5
    cfg = GateConfig(fail_on=fail_on)
    before = {a["article_id"]: a["verdict"] for a in man_run.summary["articles"]}
    changed = 0
    for a in run.articles.to_dicts():
        expected = article_verdict(a["role"], a["lang"], a["original_article_id"] is not None, a["flag_counts"],
                                   a["n_body"], cfg)
        assert a["verdict"] == expected.verdict, a["article_id"]
        changed += before[a["article_id"]] == "fail" and a["verdict"] == "pass"
    assert changed >= 2  # Swedish pages with a little untranslated text, and spun English pages, now pass
    sv_ln = run.articles.filter(pl.col("doc_path") == "sv/ln.txt").to_dicts()[0]
    assert before[sv_ln["article_id"]] == "fail" and sv_ln["verdict"] == "pass"
    assert sv_ln["flag_counts"]["untranslated"] > 0  # still flagged, just under the Swedish threshold
    spun = run.articles.filter(pl.col("doc_path").str.starts_with("en-spun/"))
    assert set(spun["verdict"]) == {"pass"} and spun["flag_counts"].struct.field("spun").sum() > 0
    # a rule of another kind still fails Swedish pages
    numbers = run.articles.filter((pl.col("lang") == "sv") & (pl.col("flag_counts").struct.field("number_mismatch")
                                                              > 0))
    assert numbers.height and set(numbers["verdict"]) == {"fail"}


# --------------------------------------------------------------------------- baseline


def _make_untranslated(corpus: Path, segments: pl.DataFrame, article_id: str, skip: int = 0) -> str:
    """Put the English original of one of the article's translated sentences in place of it."""
    rows = segments.filter((pl.col("article_id") == article_id) & (pl.col("alignment") == "1:1")
                           & (pl.col("block") == "paragraph") & (pl.col("flags").list.len() == 0)
                           & (pl.col("text") != pl.col("original_text")))
    doc = corpus / rows["doc_path"][0]
    text = doc.read_text(encoding="utf-8")
    done = 0
    for variant, original in rows.select("text", "original_text").iter_rows():
        if len(original.split()) >= 8 and text.count(variant) == 1:
            if done == skip:
                doc.write_text(text.replace(variant, original), encoding="utf-8")
                return original
            done += 1
    raise AssertionError(f"no sentence to replace in {doc}")


def _shuffle_words(corpus: Path, segments: pl.DataFrame, article_id: str, share: float) -> int:
    """Shuffle the words of ``share`` of an article's clean aligned sentences (the same language as the
    original: the chrF++ of those groups drops)."""
    rows = segments.filter((pl.col("article_id") == article_id) & (pl.col("alignment") == "1:1")
                           & (pl.col("flags").list.len() == 0) & (pl.col("block") == "paragraph"))
    doc = corpus / rows["doc_path"][0]
    text = doc.read_text(encoding="utf-8")
    rng = random.Random(7)
    changed = 0
    for (variant,) in rows.select("text").iter_rows():
        words = variant.split()
        if len(words) >= 6 and rng.random() < share and text.count(variant) == 1:
            rng.shuffle(words)
            text = text.replace(variant, " ".join(words))
            changed += 1
    doc.write_text(text, encoding="utf-8")
    return changed


def test_baseline_fails_only_on_what_is_new(man_corpus, man_run, tmp_path) -> None:
    arts = man_run.articles.filter(pl.col("role") == "variant")
    passing = arts.filter((pl.col("verdict") == "pass") & (pl.col("lang") == "sv"))["article_id"].to_list()
    failing = arts.filter((pl.col("verdict") == "fail") & (pl.col("lang") == "sv")
                          & (pl.col("flag_counts").struct.field("untranslated") > 0))["article_id"].to_list()
    spun = arts.filter(pl.col("doc_path").str.starts_with("en-spun/"))["article_id"].to_list()
    corpus = tmp_path / "corpus"
    shutil.copytree(man_corpus, corpus)
    newly, more, damaged = passing[0], failing[0], spun[0]
    _make_untranslated(corpus, man_run.segments, newly)
    _make_untranslated(corpus, man_run.segments, more)
    assert _shuffle_words(corpus, man_run.segments, damaged, 0.6) >= 5
    run = run_audit(corpus, tmp_path / "report")
    assert run.ok and run.summary["verdict"] == "fail"

    proc = gate(run.out, "--baseline", man_run.out, "--format", "json")
    assert proc.returncode == 1, proc.stderr
    result = json.loads(proc.stdout)
    status = {a["article_id"]: a for a in result["articles"]}
    assert status[newly]["status"] == "fail" and status[newly]["why"][0].startswith("newly failing (was pass)")
    assert status[more]["status"] == "fail"
    assert any("new finding" in w and "untranslated 1" in w for w in status[more]["why"])
    new_issues = [i for i in status[more]["issues"] if i["new"]]
    assert len(new_issues) == 1 and new_issues[0]["flag"] == "untranslated"
    drop = next(c for c in status[damaged]["score_changes"] if c["metric"] == "chrF++")
    assert status[damaged]["status"] == "fail" and drop["significant"] and drop["delta"] < 0
    assert any(w.startswith("score dropped: chrF++") for w in status[damaged]["why"])
    known = [a for a in result["articles"] if a["status"] == "known"]
    assert known and all(a["verdict"] == "fail" for a in known)
    regressions = {a["article_id"] for a in result["articles"] if a["status"] == "fail"}
    assert regressions == {newly, more, damaged}, regressions
    assert result["counts"]["fail"] == 3

    text = gate(run.out, "--baseline", man_run.out)
    assert text.returncode == 1 and "3 of 34 variant articles newly fail" in text.stdout
    junit = gate(run.out, "--baseline", man_run.out, "--format", "junit")
    doc = assert_valid_junit(junit.stdout)
    assert len(doc.findall(".//testcase/failure")) == 3
    assert len(doc.findall(".//testcase/skipped")) == len(known)

    same = gate(man_run.out, "--baseline", man_run.out)  # nothing new: the gate passes a failing report
    assert same.returncode == 0, same.stdout
    assert "gate: PASS" in same.stdout and "note: this pass did not run backtranslate, comet" in same.stdout


def test_paired_bootstrap_tells_a_real_drop_from_noise(man_run) -> None:
    groups = [g for a, gs in scored_groups(man_run.segments).items() if a.startswith("en-spun") for g in gs]
    assert len(groups) >= 40
    same = [(hyp, hyp, ref) for ref, hyp, _ in groups]
    rng = random.Random(3)
    noise = list(same)
    old, new, ref = noise[5]
    words = new.split()
    noise[5] = (old, " ".join(words[:-1] + ["(sic)"]), ref)  # one word of one group
    small = chrf_change(noise)
    assert small.delta < 0 and not small.significant and small.p_value is not None and small.p_value > 0.05
    damaged = []
    for old, new, ref in same:
        words = new.split()
        if rng.random() < 0.5:
            rng.shuffle(words)
        damaged.append((old, " ".join(words), ref))
    real = chrf_change(damaged)
    assert real.delta < -5 and real.significant and real.p_value < 0.01
    few = chrf_change(damaged[:3])
    assert few.p_value is None and not few.significant  # too few groups to tell


# --------------------------------------------------------------------------- JUnit XML


@pytest.mark.parametrize("which", ["demo_run", "man_run"])
def test_junit_validates_with_one_failure_per_failing_article(which, request) -> None:
    run = request.getfixturevalue(which)
    doc = assert_valid_junit((run.out / "junit.xml").read_text(encoding="utf-8"))
    summary = run.summary
    suite = doc.find("testsuite[@name='tqa articles']")
    cases = suite.findall("testcase")
    variants = [a for a in summary["articles"] if a["verdict"] != "reference"]
    assert len(cases) == len(variants) == int(suite.get("tests"))
    failed = [c for c in cases if c.find("failure") is not None]
    assert len(failed) == summary["counts"]["fail"] == int(suite.get("failures")) > 0
    assert all(len(c.findall("failure")) == 1 for c in failed)
    skipped = [c for c in cases if c.find("skipped") is not None]
    assert len(skipped) == summary["counts"]["unverified"] == int(suite.get("skipped"))
    failing_ids = {a["article_id"] for a in variants if a["verdict"] == "fail"}
    assert {c.get("name").split(" › ")[1] for c in failed} == failing_ids
    for c in failed:
        article = next(a for a in variants if a["article_id"] == c.get("name").split(" › ")[1])
        assert c.find("failure").get("message") == "; ".join(article["reasons"])
        assert c.get("classname") == f"tqa.{article['lang']}"
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["verdict"] == summary["verdict"] and props["stage.backtranslate"].startswith("skipped")


def test_junit_of_hostile_text_and_input_errors_is_valid(demo_run) -> None:
    summary = json.loads(json.dumps(demo_run.summary))
    planted = "<script>alert('x')</script> & \x00\x07 \ud7ff \"quoted\" ]]> end"
    for a in summary["articles"]:
        a["reasons"] = [r + " " + planted for r in a["reasons"]]
        a["title"] = planted
    summary["errors"] = [{"path": "bad\x01.txt", "error": "binary file (NUL bytes): " + planted, "severity": "error"},
                         {"path": "cp.txt", "error": "not UTF-8; read as cp1252 — save it as UTF-8",
                          "severity": "warning"}]
    segments = demo_run.segments.with_columns(pl.col("text").str.replace(r"^", planted))
    text = junit_xml(evaluate(summary, segments))
    doc = assert_valid_junit(text)
    inputs = doc.find("testsuite[@name='tqa inputs']")
    assert inputs.get("errors") == "1" and inputs.find("testcase/error").get("message").startswith("binary file")
    assert "<script>alert('x')</script>" in doc.find(".//failure").get("message")
    assert "\x00" not in text and "\x07" not in text


# --------------------------------------------------------------------------- GitHub annotations and the text


def test_workflow_command_escaping() -> None:
    assert escape_data("50% done\r\nnext: a,b") == "50%25 done%0D%0Anext: a,b"
    assert escape_property("a:b,c%d\r\n") == "a%3Ab%2Cc%25d%0D%0A"
    assert workflow_command("error", "untranslated: 3 of 5 (60%)\nfirst at 2", file="docs/a,b:c.txt", line=3,
                            title="tqa fail: x") == \
        "::error file=docs/a%2Cb%3Ac.txt,line=3,title=tqa fail%3A x::untranslated: 3 of 5 (60%25)%0Afirst at 2"
    assert workflow_command("notice", "done") == "::notice::done"
    assert workflow_command("warning", "w", file="f.txt", line=None) == "::warning file=f.txt::w"


def test_github_annotations_name_the_document_and_the_line(demo_run) -> None:
    proc = gate(demo_run.out, "--format", "github")
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert lines and all(WORKFLOW_LINE.match(line) for line in lines), lines
    errors = [line for line in lines if line.startswith("::error ")]
    failing = [a for a in demo_run.summary["articles"] if a["verdict"] == "fail"]
    assert len(errors) == len(failing)
    assert SWEDISH in {a["doc_path"] for a in failing}
    segments = demo_run.segments
    for a in failing:
        document = (DEMO / a["doc_path"]).read_text(encoding="utf-8").splitlines()
        line = next(x for x in errors if f"title=tqa fail%3A {a['article_id']}::" in x)
        props = dict(p.split("=", 1) for p in line[len("::error "):line.index("::", 2)].split(","))
        assert props["file"] == f"corpora/demo/{a['doc_path']}"
        first = segments.filter((pl.col("article_id") == a["article_id"])
                                & (pl.col("flags").list.set_difference(["boilerplate"]).list.len() > 0)).sort("seg_id")
        words = " ".join(first["text"][0].split()[:4])
        assert words in document[int(props["line"]) - 1], (props, words)
    warnings = [line for line in lines if line.startswith("::warning ")]
    assert len(warnings) == demo_run.summary["counts"]["unverified"]
    assert lines[-1].startswith("::notice title=tqa gate::FAIL")


def test_gate_text_is_compact(large_run) -> None:
    proc = gate(large_run.out)
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    failing = large_run.summary["counts"]["fail"]
    assert failing > 20 and len(lines) <= 16, lines  # a headline, the ten worst, what is left out, the stages
    assert lines[0].startswith(f"gate: FAIL — {failing} of ") and f"… and {failing - 10} more failing" in proc.stdout
    assert "stage backtranslate skipped" in proc.stdout
    verbose = gate(large_run.out, "--verbose")
    for a in large_run.summary["articles"]:
        if a["verdict"] == "fail":
            assert a["article_id"] in verbose.stdout
    result = evaluate(large_run.summary)
    assert format_text(result) == proc.stdout.replace(_expired_notes(proc.stdout), "")
    assert json.loads(gate(large_run.out, "--format", "json").stdout)["counts"]["fail"] == failing


def _expired_notes(text: str) -> str:
    return "".join(line + "\n" for line in text.splitlines() if line.startswith("note: waiver"))


def test_a_report_without_segments_still_gates(demo_run, tmp_path) -> None:
    report = tmp_path / "summary-only"
    report.mkdir()
    shutil.copy(demo_run.out / "summary.json", report / "summary.json")
    assert gate(report).returncode == 1
    out = format_github(evaluate(demo_run.summary), None)
    assert all(WORKFLOW_LINE.match(line) for line in out.splitlines())
    assert set(FLAGS) >= {"untranslated", "spun"}
