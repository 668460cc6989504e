"""Bilingual lexicons on real resources: Debian's FreeDict dictionaries and real gettext catalogues
(Django's .po/.mo from Debian's python3-django, the system's .mo files); a small .tmx and .xliff
written here from those catalogues' messages."""

from __future__ import annotations

import random
import re
import struct
from pathlib import Path

import pytest

from pipeline.errors import InputError
from pipeline.lexicon import (
    JA_TOKENIZERS,
    Lexicon,
    english_stems,
    learn_lexicon,
    lexicon_from_translation_memory,
    load_freedict,
    read_dictd,
    read_mo,
    read_po,
    read_tmx,
    read_translation_memory,
    read_xliff,
    stem,
    tm_segment_pairs,
)
from pipeline.xling import cross_similarity, english_sound_key, prepare_english, prepare_variant, sound_keys
from tests.fixtures.bilingual import CorpusUnavailable, default_cache
from tests.fixtures.debs import deb, unpacked


def _freedict(lang: str, tmp_path_factory: pytest.TempPathFactory) -> Lexicon:
    code = {"sv": "swe", "de": "deu", "ja": "jpn", "fr": "fra"}[lang]
    try:
        deb(f"dict-freedict-{code}-eng")
    except CorpusUnavailable as exc:
        pytest.skip(f"FreeDict {code}-eng unavailable: {exc}")
    return load_freedict(lang, [default_cache()])


@pytest.fixture(scope="module")
def sv(tmp_path_factory: pytest.TempPathFactory) -> Lexicon:
    return _freedict("sv", tmp_path_factory)


@pytest.fixture(scope="module")
def django() -> Path:
    try:
        return unpacked("python3-django") / "usr/lib/python3/dist-packages/django"
    except CorpusUnavailable as exc:
        pytest.skip(f"python3-django unavailable: {exc}")


def test_freedict_swedish_from_the_deb(sv: Lexicon) -> None:
    assert len(sv) > 4000
    assert sv.lang == "sv" and sv.sources[0].startswith("freedict:swe")
    assert "writ" in sv.translations("skriver")  # inflected form -> "write"
    assert "fil" in sv.translations("filer")  # plural -> "file"
    assert "character" in sv.translations("tecken")
    assert sv.translations("xyzzyqwerty") == {}
    assert all(0 < w <= 1 for tr in sv.entries.values() for w in tr.values())


def test_compounds_split_into_known_parts(sv: Lexicon) -> None:
    # "kommandoraden" (the command line) is not in the dictionary; "kommando" + "raden" are
    assert sv.key("kommandoraden") not in sv.entries
    tr = sv.translations("kommandoraden")
    assert "command" in tr and "lin" in tr
    assert tr["lin"] > tr["command"]  # the head word counts fully, the modifier at half weight


def test_installed_layout_reads_the_same_entries(sv: Lexicon, tmp_path: Path) -> None:
    tree = unpacked("dict-freedict-swe-eng")
    idx, dz = tree / "usr/share/dictd/freedict-swe-eng.index", tree / "usr/share/dictd/freedict-swe-eng.dict.dz"
    lex = read_dictd(idx, dz, "sv")
    assert dict(lex.entries) == dict(sv.entries)
    # the installed-path lookup finds it too, without the .deb
    assert dict(load_freedict("sv", [idx.parent], cache=False).entries) == dict(sv.entries)


def test_missing_dictionary_names_the_package(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="dict-freedict-swe-eng"):
        load_freedict("sv", [tmp_path])


def test_broken_index_names_the_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "x.index").write_text("ord\tAB\n")
    (tmp_path / "x.dict").write_bytes(b"ord\nword\n")
    with pytest.raises(InputError, match=r"x\.index: line 1"):
        read_dictd(tmp_path / "x.index", tmp_path / "x.dict", "sv")


def test_german_and_japanese_dictionaries(tmp_path_factory: pytest.TempPathFactory) -> None:
    de = _freedict("de", tmp_path_factory)
    assert "fil" in de.translations("Dateien") and "user" in de.translations("Benutzer")
    ja = _freedict("ja", tmp_path_factory)
    assert "fil" in ja.translations("ファイル") and "command" in ja.translations("コマンド")
    # greedy longest match over the dictionary's own keys segments a real catalogue message
    words = ja.tokens("ファイルを削除します")
    assert words[0] == "ファイル" and "削除" in words
    assert "delet" in ja.translations("削除")


def test_katakana_sounds_find_the_english_words_they_borrow(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Japanese writes borrowed words in katakana: their sound keys find the English word for three in
    four of FreeDict's katakana headwords, and a random English word for about one in a hundred."""
    ja = _freedict("ja", tmp_path_factory)
    rng = random.Random(0)
    entries = [(k, [t for t in v if english_sound_key(t)]) for k, v in ja.entries.items()
               if re.fullmatch(r"[\u30a1-\u30fa\u30fc]+", k) and sound_keys(k)]
    entries = [(k, v) for k, v in entries if v]
    pool = [t for _, v in entries for t in v]
    own = sum(any(english_sound_key(t) in sound_keys(k) for t in v) for k, v in entries) / len(entries)
    other = sum(english_sound_key(rng.choice(pool)) in sound_keys(k) for k, _ in entries) / len(entries)
    assert len(entries) > 10_000 and own >= 0.7 and other <= 0.03  # measured 0.75 and 0.01
    # Debian Reference's Japanese edition: a compound the dictionary does not hold, and one it splits
    # wrongly ("シェルパ", sherpa), are matched by their sounds
    v = prepare_variant("特別なシェルパラメーターがシェルスクリプト中ではよく使われます。", ja)
    sim = cross_similarity(v, prepare_english("Special shell parameters are frequently used in the shell script."))
    assert {"シェルパラメーター", "シェルスクリプト"} <= set(sim.matched) and sim.score > 0.4  # 0.15 without


@pytest.mark.parametrize("backend", sorted(JA_TOKENIZERS))
def test_japanese_tokenizer_backends(backend: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    ja = _freedict("ja", tmp_path_factory).with_tokenizer(backend)
    try:
        words = ja.tokens("ファイルを削除します")
    except ImportError as exc:
        pytest.skip(str(exc))
    assert "ファイル" in words and "削除" in words


def test_po_and_mo_of_the_same_catalogue_agree(django: Path) -> None:
    folder = django / "conf/locale/sv/LC_MESSAGES"
    po, mo = read_po(folder / "django.po"), read_mo(folder / "django.mo")
    assert len(po) > 250
    assert set(po) == set(mo)
    assert ("Arabic", "Arabiska") in po
    assert all(en and tr for en, tr in po)


def test_po_fuzzy_plural_and_errors(tmp_path: Path) -> None:
    p = tmp_path / "x.po"
    p.write_text('msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n'
                 '#, fuzzy\nmsgid "Delete"\nmsgstr "Radera"\n\n'
                 'msgid "one file"\nmsgid_plural "%d files"\nmsgstr[0] "en fil"\nmsgstr[1] "%d filer"\n\n'
                 'msgid "Save "\n"file"\nmsgstr "Spara "\n"fil"\n', encoding="utf-8")
    assert read_po(p) == [("one file", "en fil"), ("%d files", "%d filer"), ("Save file", "Spara fil")]
    p.write_text('msgid "x"\nmsgstr "y"\nbroken line\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"x\.po:3"):
        read_po(p)


def test_mo_errors_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mo"
    bad.write_bytes(b"not a catalogue at all, really")
    with pytest.raises(InputError, match=r"bad\.mo: not a \.mo file"):
        read_mo(bad)
    cut = tmp_path / "cut.mo"
    cut.write_bytes(struct.pack("<7I", 0x950412DE, 0, 5, 28, 68, 0, 0))
    with pytest.raises(InputError, match=r"cut\.mo: truncated"):
        read_mo(cut)


def test_tmx_and_xliff_written_from_real_messages(django: Path, tmp_path: Path) -> None:
    pairs = [p for p in read_po(django / "conf/locale/sv/LC_MESSAGES/django.po") if "&" not in p[0] + p[1]
             and "<" not in p[0] + p[1]][:6]
    assert len(pairs) == 6
    tus = "".join(f'<tu><tuv xml:lang="en-US"><seg>{en}</seg></tuv><tuv xml:lang="sv-SE"><seg>{sv}</seg></tuv></tu>'
                  for en, sv in pairs)
    (tmp_path / "m.tmx").write_text(f'<?xml version="1.0"?><tmx version="1.4"><header srclang="en-US"/>'
                                    f"<body>{tus}</body></tmx>", encoding="utf-8")
    assert read_tmx(tmp_path / "m.tmx", "sv") == pairs
    units = "".join(f'<trans-unit id="{i}"><source>{en}</source><target>{sv}</target></trans-unit>'
                    for i, (en, sv) in enumerate(pairs))
    (tmp_path / "m.xliff").write_text('<?xml version="1.0"?><xliff version="1.2" '
                                      'xmlns="urn:oasis:names:tc:xliff:document:1.2"><file source-language="en" '
                                      f'target-language="sv"><body>{units}</body></file></xliff>', encoding="utf-8")
    assert read_xliff(tmp_path / "m.xliff") == pairs
    assert read_translation_memory(tmp_path / "m.xliff", "sv") == pairs
    (tmp_path / "m.xml").write_text("<x/>")
    with pytest.raises(InputError, match=r"m\.xml: not a translation memory"):
        read_translation_memory(tmp_path / "m.xml", "sv")
    (tmp_path / "bad.tmx").write_text("<tmx><body><tu>")
    with pytest.raises(InputError, match=r"bad\.tmx: not a readable TMX"):
        read_tmx(tmp_path / "bad.tmx", "sv")


def test_help_texts_are_cut_into_lines() -> None:
    msg = ("  -a, --all     do not ignore entries starting with .\n  -l            use a long listing format\n",
           "  -a, --all     ignorera inte poster som börjar med .\n  -l            använd långt listformat\n")
    assert tm_segment_pairs([msg]) == [("  -a, --all     do not ignore entries starting with .",
                                        "  -a, --all     ignorera inte poster som börjar med ."),
                                       ("  -l            use a long listing format",
                                        "  -l            använd långt listformat")]


def test_learning_from_a_real_catalogue(sv: Lexicon) -> None:
    mo = Path("/usr/share/locale/sv/LC_MESSAGES/coreutils.mo")
    if not mo.is_file():
        pytest.skip(f"{mo} is not installed")
    tm = lexicon_from_translation_memory([mo], "sv", base=sv)
    assert len(tm) > 200
    # words the dictionary lacks or gets wrong for software text, learned from the help texts
    assert "default" in tm.translations("standard")
    assert "print" in tm.translations("skriv")
    merged = sv.merged(tm)
    assert set(merged.translations("skriv")) >= set(sv.translations("skriv")) | set(tm.translations("skriv"))
    with pytest.raises(ValueError, match="cannot merge"):
        sv.merged(Lexicon("de", {}))


def test_learning_needs_repeated_evidence() -> None:
    pairs = [("Delete the file", "Radera filen"), ("Delete all", "Radera alla"), ("Save the file", "Spara filen"),
             ("Save all", "Spara alla"), ("Open the file", "Öppna filen")]
    lex = learn_lexicon(pairs, "sv", min_count=2)
    assert lex.translations("radera") == {"delet": 1.0} and lex.translations("spara") == {"sav": 1.0}
    assert lex.translations("öppna") == {}  # seen once: no evidence
    assert lex.translations("filen") == {}  # the same stem as "file": matched as a cognate, not learned
    assert english_stems("The files were deleted") == ["fil", "delet"]
    assert stem("fichiers", "fr") == stem("fichier", "fr")
