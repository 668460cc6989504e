"""Find the documents of a corpus and read its manifest and glossary — only what lies inside the corpus.

A corpus is a folder of ``.txt``, ``.html``/``.htm`` and ``.md`` files, searched recursively (hidden
files and folders skipped), with an optional ``manifest.csv`` (``path,lang,original`` and optionally
``role``) and ``glossary.csv`` (``term`` and optionally ``note``) at its top.

Corpora come from contributors, so nothing in one is trusted:

- only regular files are read; FIFOs, sockets and devices are reported and never opened;
- symbolic links are not followed (``[extract] symlinks = skip``), or only when their real path
  stays inside the corpus (``inside``); a link out of the corpus is never followed;
- every file is opened relative to an open folder, each component of its path with
  ``O_NOFOLLOW`` (so a file or folder swapped for a link after the scan is not followed either),
  with ``O_NONBLOCK`` (a FIFO cannot hang the run), and checked again with ``fstat`` on the open
  descriptor before a byte is read;
- broken and looping links, unreadable files and folders, names that are not UTF-8, folders nested
  too deep: each is an :class:`InputProblem` naming the file, the problem and what to do;
- manifest and glossary rows are read one by one: a malformed row (an unclosed quote, a wrong
  field count, a bad language, a duplicate) is a warning naming the file and line, and the other
  rows are used.
"""

from __future__ import annotations

import csv
import errno
import hashlib
import os
import re
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .config import ExtractConfig
from .errors import InputError
from .extract import decode, too_large

SUFFIX_KINDS = {".txt": "txt", ".html": "html", ".htm": "html", ".md": "md", ".markdown": "md"}
LANG_RE = re.compile(r"^[a-z]{2,3}$")
MAX_FOLDER_DEPTH = 64  # folders nested deeper are reported, not searched
MAX_RECORD_LINES = 20  # a quoted CSV field may run over at most this many lines

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_FILE_FLAGS = os.O_RDONLY | _NOFOLLOW | _CLOEXEC | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
_DIR_FLAGS = os.O_RDONLY | _NOFOLLOW | _CLOEXEC | getattr(os, "O_DIRECTORY", 0)
_ROOT_FLAGS = os.O_RDONLY | _CLOEXEC | getattr(os, "O_DIRECTORY", 0)  # the corpus itself may be a link
# characters that would change what a terminal, a log or a reader shows: C0/C1 controls, DEL,
# line and paragraph separators, bidirectional overrides and isolates
_UNSAFE_RE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_LINE_RE = re.compile(r"\r\n|\n|\r")


@dataclass(frozen=True)
class Document:
    path: str  # relative to the corpus, '/'-separated (a followed link: the link's path)
    kind: str  # txt | html | md
    size: int
    digest: str  # content hash
    source: str | None = None  # real path relative to the corpus, when ``path`` is a followed link


@dataclass(frozen=True)
class ManifestEntry:
    path: str
    lang: str | None
    original: str | None
    role: str | None  # 'original' | 'variant' | None (decided from the language)


@dataclass(frozen=True)
class InputProblem:
    """One problem with one input file. ``path`` is stored as :func:`readable_path` gives it."""

    path: str
    error: str
    severity: str = "error"  # 'error': not audited; 'warning': audited, but look at it

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", readable_path(self.path))
        object.__setattr__(self, "error", _utf8_text(self.error))

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "error": self.error, "severity": self.severity}


def readable_path(path: str) -> str:
    """``path`` as text that is safe to print, log and store.

    Bytes that are not UTF-8 (the surrogate escapes of ``os.fsdecode``) become ``\\xNN``; control
    characters, line separators and bidirectional overrides become ``\\n``, ``\\x1b``, ``\\u202e``.
    """
    return _UNSAFE_RE.sub(_escape, _utf8_text(path))


def _utf8_text(text: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return text


def _escape(m: re.Match[str]) -> str:
    c = m.group(0)
    return _ESCAPES.get(c) or (f"\\x{ord(c):02x}" if ord(c) < 256 else f"\\u{ord(c):04x}")


def _q(path: str) -> str:
    return f"'{readable_path(path)}'"


def content_digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=12).hexdigest()


def text_digest(*parts: str) -> str:
    h = hashlib.blake2b(digest_size=12)
    for part in parts:
        h.update(part.encode("utf-8"))
        h.update(b"\x1f")
    return h.hexdigest()


def shard_of(path: str, n_shards: int) -> int:
    """Stable shard of a document path (independent of the other files of the corpus)."""
    return int(hashlib.blake2b(path.encode("utf-8"), digest_size=4).hexdigest(), 16) % n_shards


# --------------------------------------------------------------------------- reading files safely


def _special_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"


def _not_regular(mode: int) -> str:
    return (f"{_special_kind(mode)}, not a regular file: skipped without reading it — only regular files are "
            f"audited; replace it with one or remove it")


def _open_error(exc: OSError, what: str = "file") -> str:
    """What an OSError from opening or reading a corpus file means, and what to do."""
    if exc.errno == errno.ELOOP:
        return (f"the {what} or a folder on its path became a symbolic link after the corpus was scanned: "
                f"not followed")
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"the {what} cannot be read (permission denied): not audited — make it readable by the user running tqa"
    if exc.errno == errno.ENOENT:
        return f"the {what} disappeared while the corpus was read: not audited"
    if exc.errno == errno.ENOTDIR:
        return f"a folder on the path of the {what} is no longer a folder: not audited"
    return f"the {what} cannot be read ({exc.strerror or exc}): not audited"


def _open_folder(root_fd: int, rel: str) -> int:
    """A descriptor of the folder ``rel`` ('' for the root) under ``root_fd``, no link followed on the way."""
    fd = os.dup(root_fd)
    try:
        for part in rel.split("/") if rel else ():
            inner = os.open(part, _DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = inner
    except BaseException:
        os.close(fd)
        raise
    return fd


def _open_file(root_fd: int, rel: str) -> int:
    folder, _, name = rel.rpartition("/")
    dir_fd = _open_folder(root_fd, folder)
    try:
        return os.open(name, _FILE_FLAGS, dir_fd=dir_fd)
    finally:
        os.close(dir_fd)


def _read_fd(fd: int, max_bytes: int | None, max_file_mb: float) -> bytes:
    """Every byte of the open regular file ``fd``; InputError when it is not one or is too large."""
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        raise InputError(_not_regular(st.st_mode))
    if max_bytes is not None and st.st_size > max_bytes:
        raise InputError(too_large(st.st_size, max_file_mb))
    chunks, total = [], 0
    while True:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
        if max_bytes is not None and total > max_bytes:  # it grew while being read
            raise InputError(too_large(total, max_file_mb))


def _read_at(opener: Callable[[], int], max_bytes: int | None, max_file_mb: float, what: str = "file") -> bytes:
    try:
        fd = opener()
    except OSError as exc:
        raise InputError(_open_error(exc, what)) from None
    try:
        return _read_fd(fd, max_bytes, max_file_mb)
    except OSError as exc:
        raise InputError(_open_error(exc, what)) from None
    finally:
        os.close(fd)


def _max_bytes(cfg: ExtractConfig) -> int:
    return int(cfg.max_file_mb * 2**20)


def read_document(root: Path, doc: Document, cfg: ExtractConfig) -> bytes:
    """The bytes of a scanned document, opened with no link followed.

    Raises InputError when the file is no longer a regular file inside the corpus, cannot be read,
    is over ``[extract] max_file_mb`` or changed since the corpus was scanned.
    """
    try:
        root_fd = os.open(root, _ROOT_FLAGS)
    except OSError as exc:
        raise InputError(f"the corpus folder cannot be opened ({exc.strerror or exc})") from None
    try:
        data = _read_at(lambda: _open_file(root_fd, doc.source or doc.path), _max_bytes(cfg), cfg.max_file_mb)
    finally:
        os.close(root_fd)
    if content_digest(data) != doc.digest:
        raise InputError("the file changed while the corpus was being audited: not audited — run the audit again")
    return data


# --------------------------------------------------------------------------- symbolic links


@dataclass(frozen=True)
class _Link:
    state: str  # broken | loop | error | outside | inside
    target: str  # what the link says, readable
    rel: str = ""  # real path relative to the corpus ('.' for the corpus itself), when inside
    st: os.stat_result | None = None  # of the real path, when it resolved

    @property
    def is_dir(self) -> bool:
        return self.st is not None and stat.S_ISDIR(self.st.st_mode)

    @property
    def is_file(self) -> bool:
        return self.st is not None and stat.S_ISREG(self.st.st_mode)


def _resolve_link(real_root: str, dir_fd: int, name: str, rel: str) -> _Link:
    """Where the link ``name`` in the folder ``dir_fd`` (at ``rel`` in the corpus) leads. Opens nothing."""
    try:
        target = readable_path(os.readlink(name, dir_fd=dir_fd))
    except OSError:
        target = "?"
    try:
        resolved = os.path.realpath(os.path.join(real_root, rel), strict=True)
        st = os.stat(resolved)
    except FileNotFoundError:
        return _Link("broken", target)
    except OSError as exc:
        return _Link("loop" if exc.errno == errno.ELOOP else "error", target)
    if resolved != real_root and not resolved.startswith(real_root.rstrip(os.sep) + os.sep):
        return _Link("outside", target, st=st)
    return _Link("inside", target, Path(os.path.relpath(resolved, real_root)).as_posix(), st)


def _link_problem(link: _Link, policy: str, followable: bool) -> tuple[str, str] | None:
    """(message, severity) for a link that is not followed; None when it is to be followed."""
    to = f"(to '{link.target}')"
    if link.state == "broken":
        return f"broken symbolic link {to}: nothing to audit — fix or remove the link", "error"
    if link.state == "loop":
        return f"symbolic link loop {to}: nothing to audit — fix or remove the link", "error"
    if link.state == "error":
        return f"symbolic link {to} that cannot be resolved: not followed", "error"
    what = "folder" if link.is_dir else "file"
    if link.state == "outside":
        return (f"symbolic link to a {what} outside the corpus {to}: not followed — tqa reads only what lies inside "
                f"the corpus; copy the {what} in"), "error"
    if any(part.startswith(".") for part in link.rel.split("/")) and link.rel != ".":
        # hidden files are never read, through a link neither ('.git/config' can hold a CI token)
        return (f"symbolic link to the hidden '{readable_path(link.rel)}': not followed — hidden files and folders "
                f"are never read"), "error"
    if policy == "inside" and followable:
        return None
    if policy == "inside":
        return f"symbolic link {to} to {_special_kind(link.st.st_mode) if link.st else 'nothing'}: not followed", \
            "error"
    audited = link.is_dir or (link.is_file and SUFFIX_KINDS.get(os.path.splitext(link.rel)[1].lower()) is not None)
    return (f"symbolic link to '{readable_path(link.rel)}' inside the corpus: not followed"
            + ("; the target is audited under its own name" if audited else "")
            + " — set [extract] symlinks = inside to follow links that stay inside the corpus"), \
        "warning" if audited else "error"


# --------------------------------------------------------------------------- the scan


def scan_corpus(root: Path, hash_cache: dict[str, tuple[int, int, str]] | None = None,
                cfg: ExtractConfig | None = None) -> tuple[list[Document], list[InputProblem]]:
    """Every auditable file under ``root``, sorted by path, and a problem for each file skipped.

    ``hash_cache`` (real absolute path -> (size, mtime_ns, digest)) lets a long-lived process
    re-hash only the files whose size or modification time changed. ``cfg`` gives
    ``symlinks`` and ``max_file_mb`` (a larger file is listed unread, and its extraction reports
    the size). A corpus folder that cannot be opened is one problem (path ``.``) and no document.
    """
    scanner = _Scanner(Path(root), hash_cache, cfg or ExtractConfig())
    scanner.run()
    return sorted(scanner.documents, key=lambda d: d.path), scanner.problems


class _Scanner:
    """One scan: folders are listed one at a time, each opened from the corpus root with no link followed."""

    def __init__(self, root: Path, hash_cache: dict[str, tuple[int, int, str]] | None, cfg: ExtractConfig) -> None:
        self.root, self.hash_cache, self.cfg = root, hash_cache, cfg
        self.real_root = os.path.realpath(root)
        self.documents: list[Document] = []
        self.problems: list[InputProblem] = []
        self.root_fd = -1

    def problem(self, path: str, error: str, severity: str = "error") -> None:
        self.problems.append(InputProblem(path, error, severity))

    def run(self) -> None:
        try:
            self.root_fd = os.open(self.root, _ROOT_FLAGS)
        except OSError as exc:
            self.problem(".", _open_error(exc, "corpus folder").replace("not audited", "nothing is audited"))
            return
        try:
            pending = [_Folder("", "", 0, False)]
            while pending:
                found: list[_Folder] = []
                self.folder(pending.pop(), found)
                pending.extend(reversed(found))
        finally:
            os.close(self.root_fd)

    def folder(self, at: _Folder, subfolders: list[_Folder]) -> None:
        try:
            dir_fd = _open_folder(self.root_fd, at.real)
        except OSError as exc:
            self.problem(at.shown, _open_error(exc, "folder").replace("not audited", "its files are not audited"))
            return
        try:
            try:
                with os.scandir(dir_fd) as entries:
                    names = sorted(e.name for e in entries)
            except OSError as exc:
                self.problem(at.shown, _open_error(exc, "folder").replace("not audited", "its files are not audited"))
                return
            for name in names:
                if not name.startswith("."):
                    self.entry(dir_fd, name, at, subfolders)
        finally:
            os.close(dir_fd)

    def entry(self, dir_fd: int, name: str, at: _Folder, subfolders: list[_Folder]) -> None:
        shown = f"{at.shown}/{name}" if at.shown else name
        real = f"{at.real}/{name}" if at.real else name
        kind = SUFFIX_KINDS.get(os.path.splitext(name)[1].lower())
        try:
            st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        except FileNotFoundError:
            return  # removed while the folder was listed
        except OSError as exc:
            if kind:
                self.problem(shown, _open_error(exc))
            return
        mode = st.st_mode
        if _utf8_text(name) != name:
            if kind or stat.S_ISDIR(mode) or stat.S_ISLNK(mode):
                self.problem(shown, "the name is not valid UTF-8 (shown with \\x escapes): not audited — rename it")
            return
        if stat.S_ISDIR(mode):
            self.subfolder(_Folder(shown, real, at.depth + 1, at.via_link), subfolders)
        elif stat.S_ISLNK(mode):
            self.link(dir_fd, name, shown, real, kind, at, subfolders)
        elif stat.S_ISREG(mode):
            if kind:
                self.file(lambda: os.open(name, _FILE_FLAGS, dir_fd=dir_fd), shown, real, kind, st)
        elif kind:
            self.problem(shown, _not_regular(mode))

    def subfolder(self, folder: _Folder, subfolders: list[_Folder]) -> None:
        if folder.depth > MAX_FOLDER_DEPTH:
            self.problem(folder.shown, f"folder nested {folder.depth} levels deep (limit {MAX_FOLDER_DEPTH}): not "
                                       f"searched, its files are not audited — move them up")
            return
        subfolders.append(folder)

    def link(self, dir_fd: int, name: str, shown: str, real: str, kind: str | None, at: _Folder,
             subfolders: list[_Folder]) -> None:
        link = _resolve_link(self.real_root, dir_fd, name, real)
        if not kind and not link.is_dir:
            return  # not a document nor a folder: ignored like any other file
        found = _link_problem(link, self.cfg.symlinks, followable=link.is_dir or link.is_file)
        if found is not None:
            self.problem(shown, *found)
            return
        assert link.st is not None
        target = "" if link.rel == "." else link.rel
        if link.is_dir:
            if not target or at.real == target or at.real.startswith(target + "/"):
                self.problem(shown, f"symbolic link to '{readable_path(link.rel)}', a folder that contains it: not "
                                    f"followed (it would loop); the folder is audited under its own name", "warning")
            elif at.via_link:  # one level of folder links: a chain of them could multiply the corpus
                self.problem(shown, f"symbolic link to the folder '{readable_path(link.rel)}' inside a folder reached "
                                    f"through a link: not followed; the folder is audited under its own name",
                             "warning")
            else:
                self.subfolder(_Folder(shown, target, at.depth + 1, True), subfolders)
        elif kind:
            self.file(lambda: _open_file(self.root_fd, target), shown, target, kind, link.st)

    def file(self, opener: Callable[[], int], shown: str, real: str, kind: str, st: os.stat_result) -> None:
        key = os.path.join(self.real_root, real)
        cached = self.hash_cache.get(key) if self.hash_cache is not None else None
        max_bytes = _max_bytes(self.cfg)
        if cached and cached[:2] == (st.st_size, st.st_mtime_ns):
            digest = cached[2]
        elif st.st_size > max_bytes:
            digest = f"unread-{st.st_size}-{st.st_mtime_ns}"  # extraction reports the size
        else:
            try:
                data = _read_at(opener, max_bytes, self.cfg.max_file_mb)
            except InputError as exc:
                self.problem(shown, str(exc))
                return
            digest = content_digest(data)
            if self.hash_cache is not None:
                self.hash_cache[key] = (st.st_size, st.st_mtime_ns, digest)
        self.documents.append(Document(shown, kind, st.st_size, digest, None if real == shown else real))


@dataclass(frozen=True)
class _Folder:
    shown: str  # its path in the corpus as documents show it ('' for the corpus itself)
    real: str  # its real path in the corpus (differs below a followed link)
    depth: int
    via_link: bool  # reached through a symbolic link


def read_corpus_file(root: Path, name: str, cfg: ExtractConfig) -> bytes | None:
    """The bytes of ``name`` at the top of the corpus (``manifest.csv``, ``glossary.csv``), or None when absent.

    The same rules as for documents: a link is followed only with ``[extract] symlinks = inside``
    and only inside the corpus; anything but a regular file is refused unopened. Raises InputError.
    """
    try:
        root_fd = os.open(root, _ROOT_FLAGS)
    except OSError as exc:
        raise InputError(f"the corpus folder cannot be opened ({exc.strerror or exc})") from None
    try:
        try:
            st = os.stat(name, dir_fd=root_fd, follow_symlinks=False)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise InputError(_open_error(exc)) from None
        rel = name
        if stat.S_ISLNK(st.st_mode):
            link = _resolve_link(os.path.realpath(root), root_fd, name, name)
            found = _link_problem(link, cfg.symlinks, followable=link.is_file)
            if found is not None:
                raise InputError(found[0].replace("; the target is audited under its own name", ""))
            rel = link.rel
        elif not stat.S_ISREG(st.st_mode):
            raise InputError(_not_regular(st.st_mode))
        return _read_at(lambda: _open_file(root_fd, rel), _max_bytes(cfg), cfg.max_file_mb)
    finally:
        os.close(root_fd)


def read_table(root: Path, name: str, cfg: ExtractConfig, unused: str) -> tuple[str | None, list[InputProblem]]:
    """The text of the CSV file ``name`` at the top of the corpus (None when absent or unusable) and its problems.

    ``unused`` says what follows when the file cannot be used ("documents are paired
    automatically"); every problem is a warning, since the documents are audited anyway.
    """
    try:
        data = read_corpus_file(root, name, cfg)
    except InputError as exc:
        return None, [InputProblem(name, f"{exc}; {unused}", "warning")]
    if data is None:
        return None, []
    if not data.strip():
        return "", []
    try:
        decoded = decode(data, cfg)
    except InputError as exc:
        return None, [InputProblem(name, f"{exc}; {unused}", "warning")]
    return decoded.text, [InputProblem(name, decoded.warning, "warning")] if decoded.warning else []


# --------------------------------------------------------------------------- manifest and glossary


def normalize_lang(code: str) -> str:
    """'sv-SE' -> 'sv', 'no' -> 'nb', 'EN' -> 'en'."""
    code = code.strip().lower().replace("_", "-").split("-")[0]
    return {"no": "nb"}.get(code, code)


def _csv_records(text: str, plausible: Callable[[list[str]], bool]
                 ) -> Iterator[tuple[int, list[str] | None, str | None]]:
    """(line number, fields, None) for each record of ``text``, or (line number, None, why) for a bad line.

    Lines are read one by one, so one bad line costs that line only. A record runs over several
    lines only when a quoted field does (an odd number of quotes so far), for at most
    ``MAX_RECORD_LINES`` lines, and only when the record it makes is ``plausible``; otherwise its
    first line is reported and reading resumes on the next line. Blank lines are skipped. The
    delimiter is a tab when the first line has tabs and no commas (a spreadsheet's "Unicode text").
    """
    lines = _LINE_RE.split(text.lstrip("\ufeff"))
    first = next((line for line in lines if line.strip()), "")
    delimiter = "\t" if "\t" in first and "," not in first else ","
    i = 0
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        j, quotes = i, lines[i].count('"')
        while quotes % 2 and j + 1 < len(lines) and j + 1 - i < MAX_RECORD_LINES:
            j += 1
            quotes += lines[j].count('"')
        if quotes % 2:
            yield i + 1, None, "unclosed quote (a field opened with \" never ends)"
            i += 1
            continue
        try:
            rows = list(csv.reader(["\n".join(lines[i:j + 1])], delimiter=delimiter, strict=True))
        except csv.Error as exc:
            rows, error = [], str(exc)
        else:
            error = ""
        if j > i and (error or len(rows) != 1 or not plausible(rows[0])):
            yield i + 1, None, (f"unclosed quote (a field opened with \" on this line closes only on line {j + 1}, "
                                f"and what lies between is not a row)")
            i += 1
            continue
        if error or len(rows) != 1:
            yield i + 1, None, f"malformed CSV ({error or 'not one row'})"
            i += 1
            continue
        yield i + 1, rows[0], None
        i = j + 1


def parse_manifest(text: str, corpus_paths: set[str], name: str = "manifest.csv"
                   ) -> tuple[dict[str, ManifestEntry], list[InputProblem]]:
    """Rows of a manifest, keyed by path, and the problems found (all warnings: documents are audited anyway).

    A row with a problem is left out (its document is then handled as if it had no row) and the
    other rows are used; a header without ``path``, ``lang`` and ``original`` makes the whole
    manifest unusable.
    """
    problems: list[InputProblem] = []

    def warn(line: int, message: str, path: str = name) -> None:
        problems.append(InputProblem(path, f"line {line}: {message}" if path == name else message, "warning"))

    header: list[str] | None = None
    col: dict[str, int] = {}
    entries: dict[str, ManifestEntry] = {}
    where: dict[str, int] = {}

    def plausible(row: list[str]) -> bool:
        return header is not None and len(row) == len(header) and row[col["path"]].strip() in corpus_paths and all(
            "\n" not in cell for k, cell in enumerate(row) if k != col["path"])

    for line_no, row, bad in _csv_records(text, plausible):
        if header is None:
            if row is None:
                return {}, [InputProblem(name, f"line {line_no}: the header cannot be read ({bad}); the manifest is "
                                               f"not used and documents are paired automatically", "warning")]
            header = [h.strip().lower() for h in row]
            missing = [c for c in ("path", "lang", "original") if c not in header]
            extra = [c for c in header if c not in ("path", "lang", "original", "role")]
            if missing or extra:
                return {}, [InputProblem(name, f"header is {','.join(header)!r}: expected 'path,lang,original' "
                                               f"(and optionally 'role'); the manifest is not used and documents "
                                               f"are paired automatically", "warning")]
            col = {c: header.index(c) for c in header}
            continue
        if row is None:
            warn(line_no, f"{bad}; the line is ignored")
            continue
        if len(row) != len(header):
            warn(line_no, f"{len(row)} fields where the header has {len(header)}; row ignored")
            continue
        path = row[col["path"]].strip().replace("\\", "/")
        lang_raw = row[col["lang"]].strip()
        original = row[col["original"]].strip().replace("\\", "/") or None
        role = (row[col["role"]].strip().lower() or None) if "role" in col else None
        if not path:
            warn(line_no, "no path; row ignored")
            continue
        if path not in corpus_paths:
            warn(line_no, f"{_q(path)} is not a document of the corpus; row ignored")
            continue
        lang = normalize_lang(lang_raw) if lang_raw else None
        if lang is not None and not LANG_RE.match(lang):
            warn(line_no, f"lang {_q(lang_raw)} of {_q(path)} is not a language code such as 'en' or 'sv'; "
                          f"it is detected instead")
            lang = None
        if role not in (None, "original", "variant"):
            warn(line_no, f"role {_q(role or '')} of {_q(path)} must be 'original' or 'variant'; decided from the "
                          f"language instead")
            role = None
        if original is not None and original not in corpus_paths:
            warn(line_no, f"{name} line {line_no} names the original {_q(original)}, which is not in the corpus; "
                          f"{_q(path)} is audited without an original", path)
            original = None
            role = "variant"
        if original == path:
            warn(line_no, f"{_q(path)} names itself as its original; treated as an original")
            original, role = None, "original"
        if path in entries:
            warn(line_no, f"{_q(path)} is listed twice (lines {where[path]} and {line_no}); the later row wins")
        entries[path] = ManifestEntry(path, lang, original, role if original is None else "variant")
        where[path] = line_no
    if header is None:
        return {}, [InputProblem(name, "empty manifest: expected a header 'path,lang,original'", "warning")]
    return entries, problems


def parse_glossary(text: str, name: str = "glossary.csv") -> tuple[tuple[str, ...], list[InputProblem]]:
    """Do-not-translate terms of a glossary (column ``term``; other columns are notes) and its problems.

    Every problem is a warning naming the line; the other rows are used.
    """
    problems: list[InputProblem] = []
    header: list[str] | None = None
    i = 0
    terms: dict[str, int] = {}

    def plausible(row: list[str]) -> bool:  # a term never runs over lines
        return len(row) > i and "\n" not in row[i]

    for line_no, row, bad in _csv_records(text, plausible):
        if header is None:
            if row is None:
                return (), [InputProblem(name, f"line {line_no}: the header cannot be read ({bad}); the glossary is "
                                               f"not used", "warning")]
            header = [h.strip().lower() for h in row]
            if "term" not in header:
                return (), [InputProblem(name, f"header is {','.join(header)!r}: expected a 'term' column; the "
                                               f"glossary is not used", "warning")]
            i = header.index("term")
            continue
        if row is None:
            problems.append(InputProblem(name, f"line {line_no}: {bad}; the line is ignored", "warning"))
            continue
        term = row[i].strip() if len(row) > i else ""
        if not term:
            problems.append(InputProblem(name, f"line {line_no}: no term; row ignored", "warning"))
            continue
        if len(row) != len(header):
            problems.append(InputProblem(name, f"line {line_no}: {len(row)} fields where the header has "
                                               f"{len(header)}; the term {_q(term)} is used — quote fields that "
                                               f"contain commas", "warning"))
        if term in terms:
            problems.append(InputProblem(name, f"line {line_no}: the term {_q(term)} is listed twice (lines "
                                               f"{terms[term]} and {line_no})", "warning"))
            continue
        terms[term] = line_no
    if header is None:
        return (), [InputProblem(name, "empty glossary: expected a header with a 'term' column", "warning")]
    return tuple(terms), problems
