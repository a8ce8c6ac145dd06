"""Evidence packages for regulators: `export_bundles` writes one from a real
store stamped by a real RFC 3161 TSA, and the package's own verify.py (run
as the recipient would, `python3 -I -S`, no adwatch) passes it, and names
exactly what is wrong after each kind of tampering.  The hand checks
README.txt prints (sha256sum, openssl ts -verify, the ledger line hash) are
run as written."""

from __future__ import annotations

import ast
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.interfaces.cli import cli
from evidence.export import ExportResult, export_bundles
from evidence.index import open_catalogue
from evidence.store import EvidenceStore, StoreError, canonical, sha256
from evidence.timestamp import request_token, stamp_pending
from evidence.tsa import TsaServer

VERIFY_SOURCE = Path(__file__).resolve().parents[1] / "evidence" / "offline_verify.py"
HOSTILE_URL = "http://127.0.0.1/ad/1?\x1b[31m\u202e加V信tc8888"
LABEL = re.compile(r"^  \[(通过/passed|失败/failed|未检查/not checked)\] (.*)$", re.M)


@dataclass(frozen=True)
class Evidence:
    data_dir: Path  # <data>/evidence is the store, <data>/tsa the TSA's PKI
    store: EvidenceStore
    ca: Path
    first: str  # sealed first, not exported: the excerpt starts at seq 2
    b0: str  # varied artifacts, incl. images/... and an empty file
    b1: str  # a hostile URL in its manifest
    b2: str  # not exported, between exported ones
    b3: str
    unstamped: str  # sealed after the stamping run


@pytest.fixture(scope="module")
def rogue(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TsaServer]:
    """A second, independent TSA: same names, its own keys."""
    with TsaServer(tmp_path_factory.mktemp("rogue")) as server:
        yield server


def seal(store: EvidenceStore, n: int, url: str, extra: dict[str, bytes]) -> str:
    files = {"screenshot.png": b"\x89PNG fake %d" % n, "dom.html": f"<p>当天停催 {n}</p>".encode()}
    artifacts = {
        name: store.put_blob(data, "application/octet-stream")
        for name, data in (files | extra).items()
    }
    about = {"record": f"r{n}", "url": url, "final_url": url, "outcome": "page"}
    return store.seal(artifacts, about, captured_at=f"2026-11-25T0{n}:00:01.250000Z").id


@pytest.fixture(scope="module")
def evidence(tmp_path_factory: pytest.TempPathFactory) -> Evidence:
    data = tmp_path_factory.mktemp("data")
    store = EvidenceStore(data / "evidence")
    first = seal(store, 0, "http://127.0.0.1/ad/first", {})
    b0 = seal(
        store,
        1,
        "http://127.0.0.1/ad/0",
        {
            "images/01-ab12.jpg": b"\xff\xd8 jpeg 01",
            "images/02-cd34.png": b"\x89PNG image 02",
            "visible-text.txt": "逾期先别还，加薇信".encode(),
            "empty.txt": b"",
        },
    )
    b1 = seal(store, 2, HOSTILE_URL, {"network.wacz": os.urandom(50_000)})
    b2 = seal(store, 3, "http://127.0.0.1/ad/2", {})
    b3 = seal(store, 4, "http://127.0.0.1/ad/3", {"tls-chain.pem": b"-----BEGIN x"})
    with TsaServer(data / "tsa") as tsa:
        run = stamp_pending(store, tsa.url)
    assert run.stamped == 5 and not run.failed
    unstamped = seal(store, 5, "http://127.0.0.1/ad/unstamped", {})
    return Evidence(data, store, data / "tsa" / "ca.pem", first, b0, b1, b2, b3, unstamped)


@pytest.fixture(scope="module")
def package(evidence: Evidence, tmp_path_factory: pytest.TempPathFactory) -> ExportResult:
    out = tmp_path_factory.mktemp("export") / "package"
    wanted = [evidence.b3, evidence.b0, evidence.b1, evidence.b0]  # any order, repeats
    return export_bundles(evidence.store, wanted, out, evidence.ca, make_zip=True)


@pytest.fixture
def copy(package: ExportResult, tmp_path: Path) -> Path:
    """A fresh copy of the good package, to tamper with."""
    return Path(shutil.copytree(package.folder, tmp_path / "package"))


def verify(
    folder: Path, *args: str, path: str | None = None, python: str = sys.executable
) -> subprocess.CompletedProcess[str]:
    """The package's verify.py as the recipient runs it: isolated, no site-packages,
    from another folder (it finds its package by where it sits)."""
    env = dict(os.environ)
    if path is not None:
        env["PATH"] = path
    return subprocess.run(
        [python, "-I", "-S", str(folder / "verify.py"), *args],
        cwd=folder.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def states(stdout: str) -> list[tuple[str, str]]:
    return LABEL.findall(stdout)


def files_of(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def lines_of(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


# --- the package as exported -------------------------------------------------------------


def test_the_layout_is_as_documented(evidence: Evidence, package: ExportResult) -> None:
    folder = package.folder
    assert package.bundles == (evidence.b0, evidence.b1, evidence.b3)  # ledger order, once
    files = files_of(folder)
    assert package.files == len(files) and package.bytes == sum(map(len, files.values()))
    assert files["verify.py"] == VERIFY_SOURCE.read_bytes()
    assert files["tsa/ca.pem"] == evidence.ca.read_bytes()
    store = evidence.store
    for bundle_id in package.bundles:
        copied = {
            f"bundles/{bundle_id}/manifest.json": store.bundle_path(bundle_id),
            f"bundles/{bundle_id}/timestamp.tsr": store.timestamp_path(bundle_id),
        } | {
            f"bundles/{bundle_id}/files/{name}": store.blob_path(art["sha256"])
            for name, art in store.manifest(bundle_id)["artifacts"].items()
        }
        for rel, source in copied.items():
            assert files[rel] == source.read_bytes(), rel
    assert f"bundles/{evidence.b0}/files/images/01-ab12.jpg" in files
    assert not any(evidence.b2 in rel or evidence.first in rel for rel in files)
    # the ledger excerpt: byte-exact, from b0's sealing line to b3's timestamp line
    ledger = lines_of(evidence.store.ledger_path)
    kinds = [(e.get("bundle"), e.get("timestamp")) for e in map(json.loads, ledger)]
    start = kinds.index((evidence.b0, None))
    end = kinds.index((None, evidence.b3))
    assert files["ledger.jsonl"] == b"".join(ledger[start : end + 1])
    assert json.loads(ledger[start])["seq"] == 2
    # bundles.json: the package's own list, in ledger order, with each sealing line's seq
    listing = json.loads(files["bundles.json"])
    assert listing["count"] == 3 and [b["id"] for b in listing["bundles"]] == list(package.bundles)
    seqs = {e["bundle"]: e["seq"] for e in map(json.loads, ledger) if "bundle" in e}
    assert [b["ledger_seq"] for b in listing["bundles"]] == [seqs[b] for b in package.bundles]
    assert all(b["timestamped"] for b in listing["bundles"])
    # SHA256SUMS: every other file, sorted, `sha256sum` format
    sums = files["SHA256SUMS"].decode().splitlines()
    assert [line.split("  ", 1)[1] for line in sums] == sorted(set(files) - {"SHA256SUMS"})


def test_a_good_package_passes_everywhere(package: ExportResult) -> None:
    done = verify(package.folder)
    assert done.returncode == 0, done.stdout + done.stderr
    found = states(done.stdout)
    assert len(found) == 3 + 5 * 3  # the package's three checks, five per bundle
    assert {state for state, _ in found} == {"通过/passed"}
    assert "Summary: PASSED. All 18 checks passed (3 bundles)." in done.stdout
    assert "总结：通过" in done.stdout
    assert "2026-11-25 01:00:01 UTC = 2026-11-25 09:00:01 北京时间" in done.stdout
    assert done.stdout.count("Verification: OK") == 3
    assert done.stderr == ""


def test_hostile_manifest_text_is_printed_escaped(package: ExportResult) -> None:
    out = verify(package.folder).stdout
    assert "\x1b" not in out and "\u202e" not in out
    assert "http://127.0.0.1/ad/1?\\x1b[31m\\u202e加V信tc8888" in out
    readme = (package.folder / "README.txt").read_text(encoding="utf-8")
    assert "\x1b" not in readme and "\u202e" not in readme
    assert "\\x1b[31m\\u202e加V信tc8888" in readme


def test_without_openssl_tokens_are_not_checked_never_passed(
    package: ExportResult, tmp_path: Path
) -> None:
    done = verify(package.folder, path=str(tmp_path))  # a PATH with no openssl on it
    assert done.returncode == 0, done.stdout
    signature = [s for s, title in states(done.stdout) if title.startswith("时间戳签名")]
    assert signature == ["未检查/not checked"] * 3
    assert "not checked: the openssl command was not found" in done.stdout
    assert "失败/failed" not in done.stdout
    assert "Summary: nothing failed, but 3 checks were not checked" in done.stdout


def test_the_copied_checker_is_python_38_and_standard_library_only() -> None:
    source = VERIFY_SOURCE.read_text(encoding="utf-8")
    tree = ast.parse(source, feature_version=(3, 8))
    modules = {
        a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
    }
    modules |= {
        n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module
    }
    assert modules - {"__future__"} <= sys.stdlib_module_names
    assert not any(isinstance(n, ast.Match) for n in ast.walk(tree))


def python38() -> str | None:
    """A Python 3.8 interpreter, if this machine has one (pyenv's, say)."""
    found = [
        shutil.which("python3.8"),
        *map(str, Path.home().glob(".pyenv/versions/3.8*/bin/python3.8")),
    ]
    for candidate in filter(None, found):
        probe = subprocess.run(
            [candidate, "-c", "import sys; print(sys.version_info[:2])"],
            capture_output=True,
            text=True,
            check=False,
        )
        if probe.stdout.strip() == "(3, 8)":
            return candidate
    return None


def test_the_oldest_python_it_claims_runs_it(package: ExportResult, tmp_path: Path) -> None:
    interpreter = python38()
    if interpreter is None:
        pytest.skip("no Python 3.8 on this machine")
    good = verify(package.folder, python=interpreter)
    assert good.returncode == 0 and "Summary: PASSED" in good.stdout, good.stdout + good.stderr
    bad = Path(shutil.copytree(package.folder, tmp_path / "bad"))
    (bad / "ledger.jsonl").write_bytes(b"".join(lines_of(bad / "ledger.jsonl")[1:]))
    failed = verify(bad, python=interpreter)
    assert failed.returncode == 1 and "no line of ledger.jsonl seals bundle" in failed.stdout


def test_usage_errors_exit_2(package: ExportResult, tmp_path: Path) -> None:
    done = verify(package.folder, str(tmp_path / "nowhere"))
    assert done.returncode == 2 and "not a folder" in done.stderr
    assert verify(package.folder, "a", "b").returncode == 2


# --- tampering: each on a fresh copy, each named exactly -----------------------------------


def flip_byte(path: Path, at: int = 3) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


def write_ledger(folder: Path, lines: list[bytes]) -> None:
    (folder / "ledger.jsonl").write_bytes(b"".join(lines))


def changed_artifact(ev: Evidence, folder: Path) -> list[str]:
    flip_byte(folder / f"bundles/{ev.b0}/files/images/01-ab12.jpg")
    rel = f"bundles/{ev.b0}/files/images/01-ab12.jpg"
    return [f"{rel} was changed: its SHA-256 is", f"{rel} was changed: SHA-256"]


def removed_artifact(ev: Evidence, folder: Path) -> list[str]:
    (folder / f"bundles/{ev.b1}/files/network.wacz").unlink()
    rel = f"bundles/{ev.b1}/files/network.wacz"
    return [f"{rel} is missing (listed in SHA256SUMS line", f"- {rel} is missing\n"]


def changed_manifest(ev: Evidence, folder: Path) -> list[str]:
    path = folder / f"bundles/{ev.b3}/manifest.json"
    path.write_bytes(path.read_bytes().replace(b"/ad/3", b"/ad/9"))
    return [
        f"the SHA-256 of bundles/{ev.b3}/manifest.json is",
        "not the bundle id (the manifest was changed or the folder renamed)",
        f"bundles/{ev.b3}/manifest.json was changed",
        "not checked: the manifest is not the sealed one",
    ]


def renamed_folder(ev: Evidence, folder: Path) -> list[str]:
    (folder / f"bundles/{ev.b0}").rename(folder / f"bundles/{ev.b2}")  # another bundle's id
    return [
        f"the SHA-256 of bundles/{ev.b2}/manifest.json is {ev.b0}",
        f"ledger.jsonl line 1 (seq 2) seals a bundle {ev.b0}: the folder was renamed from it",
        f"bundles/{ev.b0}/manifest.json is missing (listed in SHA256SUMS",
        f"bundles/{ev.b2}/manifest.json is not listed in SHA256SUMS",
        f"bundles/{ev.b2}/timestamp.tsr is not the token noted in ledger.jsonl line 8 (seq 9)",
    ]


def edited_ledger_line(ev: Evidence, folder: Path) -> list[str]:
    lines = lines_of(folder / "ledger.jsonl")
    entry = json.loads(lines[1])
    lines[1] = lines[1].replace(entry["at"].encode(), b"2020-01-01T00:00:00.000000Z")  # backdated
    write_ledger(folder, lines)
    return [
        "ledger.jsonl line 2 (seq 3) was edited: its hash does not match its content",
        "ledger.jsonl was changed: its SHA-256 is",
        "ledger.jsonl line 2 (seq 3) seals it, but the chain up to its lines is broken",
    ]


def swapped_ledger_lines(ev: Evidence, folder: Path) -> list[str]:
    lines = lines_of(folder / "ledger.jsonl")
    lines[2], lines[3] = lines[3], lines[2]
    write_ledger(folder, lines)
    return [
        "ledger.jsonl line 3 (seq 5) follows seq 3: a line is missing, added or out of order",
        "ledger.jsonl line 3 (seq 5) does not link to line 2",
        "ledger.jsonl line 4 (seq 4) follows seq 5",
        "ledger.jsonl line 5 (seq 6) follows seq 4",
    ]


def removed_ledger_line(ev: Evidence, folder: Path) -> list[str]:
    lines = lines_of(folder / "ledger.jsonl")
    del lines[2]  # seq 4: the sealing of b2, a bundle not even exported
    write_ledger(folder, lines)
    return [
        "ledger.jsonl line 3 (seq 5) follows seq 3: a line is missing, added or out of order",
        "ledger.jsonl line 3 (seq 5) does not link to line 2 (its prev is not that line's hash",
    ]


def swapped_token(ev: Evidence, folder: Path) -> list[str]:
    shutil.copyfile(
        folder / f"bundles/{ev.b1}/timestamp.tsr", folder / f"bundles/{ev.b0}/timestamp.tsr"
    )
    rel = f"bundles/{ev.b0}/timestamp.tsr"
    return [
        f"{rel} is not the token noted in ledger.jsonl line 6 (seq 7)",
        f"{rel}: openssl ts -verify failed",
        "message imprint mismatch",
    ]


def foreign_tsa_token(ev: Evidence, folder: Path, rogue: TsaServer) -> list[str]:
    tsr = request_token(ev.b0, rogue.url).tsr  # a genuine token over b0, from another TSA
    (folder / f"bundles/{ev.b0}/timestamp.tsr").write_bytes(tsr)
    rel = f"bundles/{ev.b0}/timestamp.tsr"
    return [
        f"{rel} is not the token noted in ledger.jsonl line 6 (seq 7)",
        f"{rel}: openssl ts -verify failed",
        "certificate verify error",
    ]


def changed_readme(ev: Evidence, folder: Path) -> list[str]:
    with (folder / "README.txt").open("a", encoding="utf-8") as f:
        f.write("\n(ignore the ledger, it is fine)\n")
    return ["README.txt was changed: its SHA-256 is"]


def extra_file(ev: Evidence, folder: Path) -> list[str]:
    (folder / f"bundles/{ev.b3}/files/later.png").write_bytes(b"added")
    (folder / "notes.txt").write_text("hi")
    rel = f"bundles/{ev.b3}/files/later.png"
    return [
        f"{rel} is not listed in SHA256SUMS (added after the export)",
        f"{rel} is not in the manifest (an added file)",
        "notes.txt is not listed in SHA256SUMS",
    ]


def drop_sums(folder: Path, prefix: str) -> None:
    """Take the SHA256SUMS lines of files under ``prefix`` out, as a tamperer would."""
    sums = (folder / "SHA256SUMS").read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in sums if not line.split("  ", 1)[1].startswith(prefix)]
    (folder / "SHA256SUMS").write_text("".join(kept), encoding="utf-8")


def resum(folder: Path, rel: str) -> None:
    """Put ``rel``'s SHA256SUMS line right again after it was edited."""
    sums = (folder / "SHA256SUMS").read_text(encoding="utf-8").splitlines(keepends=True)
    digest = sha256((folder / rel).read_bytes())
    fixed = [f"{digest}  {rel}\n" if line.endswith(f"  {rel}\n") else line for line in sums]
    (folder / "SHA256SUMS").write_text("".join(fixed), encoding="utf-8")


def removed_bundle(ev: Evidence, folder: Path) -> list[str]:
    """A bundle folder and its SHA256SUMS lines removed: every file left checks,
    the ledger too (it keeps lines of bundles not exported); the list does not."""
    shutil.rmtree(folder / f"bundles/{ev.b1}")
    drop_sums(folder, f"bundles/{ev.b1}/")
    return [
        f"bundle {ev.b1} is listed in bundles.json but bundles/{ev.b1}/ is missing "
        "(removed from the package); ledger.jsonl line 2 (seq 3) still seals it",
    ]


def removed_first_bundle_and_its_listing(ev: Evidence, folder: Path) -> list[str]:
    """The first bundle removed with its lines in SHA256SUMS, bundles.json and
    README.txt: the ledger excerpt still begins with its sealing."""
    shutil.rmtree(folder / f"bundles/{ev.b0}")
    drop_sums(folder, f"bundles/{ev.b0}/")
    listing = json.loads((folder / "bundles.json").read_bytes())
    listing["bundles"] = [b for b in listing["bundles"] if b["id"] != ev.b0]
    listing["count"] = 2
    (folder / "bundles.json").write_text(json.dumps(listing), encoding="utf-8")
    readme = (folder / "README.txt").read_text(encoding="utf-8")
    (folder / "README.txt").write_text(readme.replace(f". {ev.b0}\n", ". \n"), encoding="utf-8")
    for rel in ("bundles.json", "README.txt"):
        resum(folder, rel)
    return [
        "ledger.jsonl line 1 (seq 2) is not the sealing of a bundle bundles.json lists",
    ]


def added_bundle(ev: Evidence, folder: Path) -> list[str]:
    """Another bundle's folder put in, with its SHA256SUMS lines."""
    other = export_bundles(ev.store, [ev.b2], folder.parent / "other", ev.ca).folder
    shutil.copytree(other / f"bundles/{ev.b2}", folder / f"bundles/{ev.b2}")
    sums = (other / "SHA256SUMS").read_text(encoding="utf-8").splitlines(keepends=True)
    with (folder / "SHA256SUMS").open("a", encoding="utf-8") as f:
        f.writelines(line for line in sums if f"  bundles/{ev.b2}/" in line)
    return [f"bundles/{ev.b2}/ is not in bundles.json (a bundle added to the package"]


def removed_listing(ev: Evidence, folder: Path) -> list[str]:
    (folder / "bundles.json").unlink()
    drop_sums(folder, "bundles.json")
    return [
        "bundles.json is missing: the package's own list of its bundles is gone",
        "the bundles README.txt lists are checked instead",
    ]


TAMPERING: list[Callable[..., list[str]]] = [
    changed_artifact,
    removed_artifact,
    changed_manifest,
    renamed_folder,
    edited_ledger_line,
    swapped_ledger_lines,
    removed_ledger_line,
    swapped_token,
    foreign_tsa_token,
    changed_readme,
    extra_file,
    removed_bundle,
    removed_first_bundle_and_its_listing,
    added_bundle,
    removed_listing,
]


@pytest.mark.parametrize("tamper", TAMPERING, ids=lambda f: f.__name__)
def test_tampering_fails_and_is_named(
    tamper: Callable[..., list[str]], evidence: Evidence, copy: Path, rogue: TsaServer
) -> None:
    args = (evidence, copy, rogue) if tamper is foreign_tsa_token else (evidence, copy)
    expected = tamper(*args)
    done = verify(copy)
    assert done.returncode == 1, done.stdout
    for words in expected:
        assert words in done.stdout, f"{words!r} not in:\n{done.stdout}"
    assert "Summary: FAILED." in done.stdout and "总结：失败" in done.stdout


def test_a_forged_first_line_of_the_whole_ledger_is_named(
    evidence: Evidence, tmp_path: Path
) -> None:
    out = export_bundles(evidence.store, [evidence.first], tmp_path / "p", evidence.ca).folder
    lines = lines_of(out / "ledger.jsonl")
    assert json.loads(lines[0])["seq"] == 1 and verify(out).returncode == 0
    forged = json.loads(lines[0]) | {"prev": "1" * 64}  # made consistent: its own hash redone
    del forged["hash"]
    forged["hash"] = sha256(canonical(forged))
    write_ledger(out, [canonical(forged) + b"\n", *lines[1:]])
    done = verify(out)
    assert done.returncode == 1
    assert (
        "ledger.jsonl line 1 (seq 1) is the ledger's first line, but its prev is not 64 zeros"
        in (done.stdout)
    )
    assert "ledger.jsonl line 2 (seq 2) does not link to line 1" in done.stdout


# --- other packages ----------------------------------------------------------------------


def test_an_unstamped_bundle_and_a_package_without_a_root(
    evidence: Evidence, tmp_path: Path
) -> None:
    out = export_bundles(evidence.store, [evidence.unstamped], tmp_path / "p", None).folder
    assert (
        not (out / "tsa").exists()
        and not (out / f"bundles/{evidence.unstamped}/timestamp.tsr").exists()
    )
    assert len(lines_of(out / "ledger.jsonl")) == 1  # its sealing line alone
    readme = (out / "README.txt").read_text(encoding="utf-8")
    assert "holds no root certificate" in readme and "不含时间戳机构的根证书" in readme
    assert "none (not yet time-stamped when exported)" in readme
    done = verify(out)
    assert done.returncode == 0, done.stdout
    assert "no time-stamp token: the bundle was not yet time-stamped" in done.stdout
    stamped = export_bundles(evidence.store, [evidence.b3], tmp_path / "q", None).folder
    done = verify(stamped)
    assert done.returncode == 0 and "no tsa/ca.pem in the package" in done.stdout
    done = verify(stamped, "--ca", str(evidence.ca))  # the root, obtained from the TSA itself
    assert done.returncode == 0 and "Summary: PASSED" in done.stdout


def test_export_refuses_unknown_ids_and_a_non_empty_folder(
    evidence: Evidence, tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match="not a sealed bundle"):
        export_bundles(evidence.store, [evidence.b0, "f" * 64], tmp_path / "a", None)
    with pytest.raises(ValueError, match="not a sealed bundle"):
        export_bundles(evidence.store, ["../../etc"], tmp_path / "a", None)
    full = tmp_path / "full"
    full.mkdir()
    (full / "keep.txt").write_text("mine")
    with pytest.raises(ValueError, match="not an empty folder"):
        export_bundles(evidence.store, [evidence.b0], full, None)
    assert [p.name for p in full.iterdir()] == ["keep.txt"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert export_bundles(evidence.store, [evidence.b0], empty, None).files > 0
    assert not (tmp_path / "a").exists()


@pytest.mark.parametrize("name", ["../evil.txt", "/etc/evil", "a\\..\\evil", "a/b/c.txt", "x/./y"])
def test_export_refuses_an_artifact_name_that_could_escape(name: str, tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path / "store")
    bundle = store.seal({name: store.put_blob(b"x", "text/plain")}, {"url": "http://x/"})
    with pytest.raises(ValueError, match="artifact name"):
        export_bundles(store, [bundle.id], tmp_path / "out", None)
    assert not (tmp_path / "out").exists() and sorted(p.name for p in tmp_path.iterdir()) == [
        "store"
    ]


def test_export_refuses_a_store_changed_since_sealing(evidence: Evidence, tmp_path: Path) -> None:
    store = EvidenceStore(Path(shutil.copytree(evidence.store.root, tmp_path / "store")))
    blob = store.blob_path(store.manifest(evidence.b0)["artifacts"]["dom.html"]["sha256"])
    flip_byte(blob)
    with pytest.raises(StoreError, match=r"'dom\.html' changed since it was sealed"):
        export_bundles(store, [evidence.b0], tmp_path / "out", evidence.ca, make_zip=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store"]  # no half package


def test_the_zip_holds_the_same_files_in_order(package: ExportResult) -> None:
    assert package.zip == package.folder.with_name("package.zip")
    with zipfile.ZipFile(package.zip) as zf:
        names = zf.namelist()
        assert names == sorted(names)
        inside = {name.removeprefix("package/"): zf.read(name) for name in names}
    assert all(name.startswith("package/") for name in names)
    assert inside == files_of(package.folder)


# --- the hand checks README.txt gives, run as written ------------------------------------------


def shell(command: str, folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, shell=True, cwd=folder, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="needs coreutils sha256sum")
def test_sha256sum_checks_the_package(package: ExportResult) -> None:
    done = shell("sha256sum -c SHA256SUMS", package.folder)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count(": OK") == package.files - 1
    for bundle_id in package.bundles:
        done = shell(f"sha256sum bundles/{bundle_id}/manifest.json", package.folder)
        assert done.stdout.split()[0] == bundle_id


def test_openssl_as_readme_writes_it_verifies_each_token(package: ExportResult) -> None:
    readme = (package.folder / "README.txt").read_text(encoding="utf-8")
    commands = list(
        dict.fromkeys(re.findall(r"^ +(openssl ts -verify -digest [0-9a-f]{64} .+)$", readme, re.M))
    )
    assert len(commands) == len(package.bundles)
    for command in commands:
        done = subprocess.run(
            shlex.split(command), cwd=package.folder, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0 and "Verification: OK" in done.stdout, command
    shown = shell("openssl x509 -noout -fingerprint -sha256 -in tsa/ca.pem", package.folder)
    fingerprint = shown.stdout.strip().split("=", 1)[1]
    assert len(fingerprint) == 95 and readme.count(fingerprint) == 2  # Chinese and English
    assert verify(package.folder).stdout.count(fingerprint) == 1


def test_the_ledger_line_hash_by_hand(package: ExportResult) -> None:
    readme = (package.folder / "README.txt").read_text(encoding="utf-8")
    pipeline = re.search(r"^ +(sed -n 'Np' ledger\.jsonl .+)$", readme, re.M)
    assert pipeline is not None
    for n, line in enumerate(lines_of(package.folder / "ledger.jsonl"), 1):
        done = shell(pipeline.group(1).replace("'Np'", f"'{n}p'"), package.folder)
        assert done.stdout.split()[0] == json.loads(line)["hash"], n


# --- the command -------------------------------------------------------------------------------


def test_adwatch_export_a_record(
    evidence: Evidence, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("ADWATCH_TSA_CA", "ADWATCH_CATALOGUE", "ADWATCH_EVIDENCE_DIR", "ADWATCH_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    data = evidence.data_dir
    with open_catalogue(f"sqlite://{data / 'catalogue.db'}") as cat:
        base = {"record_id": "rec1", "url": "http://x/1", "kind": "capture"}
        cat.add_capture(base | {"at": "2026-11-25T00:00:00Z", "outcome": "blocked"})
        cat.add_capture(
            base | {"at": "2026-11-25T01:00:00Z", "outcome": "page", "bundle_id": evidence.b0}
        )
        cat.add_capture(
            base | {"at": "2026-11-26T01:00:00Z", "outcome": "page", "bundle_id": evidence.b3}
        )
    out = tmp_path / "referral"
    runner = CliRunner()
    done = runner.invoke(
        cli, ["export", "--record", "rec1", "--out", str(out), "--zip", "--data-dir", str(data)]
    )
    assert done.exit_code == 0, done.output
    assert "exported 2 bundles" in done.output and f"to {out}" in done.output
    assert f"zip: {out}.zip" in done.output
    assert f"check it with: python3 {out / 'verify.py'}" in done.output
    assert sorted(p.name for p in (out / "bundles").iterdir()) == sorted([evidence.b0, evidence.b3])
    assert (out / "tsa/ca.pem").read_bytes() == evidence.ca.read_bytes()  # the demo TSA's root
    assert verify(out).returncode == 0
    everything = runner.invoke(
        cli, ["export", "--all", "--out", str(tmp_path / "all"), "--data-dir", str(data)]
    )
    assert everything.exit_code == 0 and "exported 6 bundles" in everything.output
    by_id = runner.invoke(
        cli, ["export", evidence.b1, "--out", str(tmp_path / "one"), "--data-dir", str(data)]
    )
    assert by_id.exit_code == 0 and "exported 1 bundle " in by_id.output


def test_adwatch_export_refuses_what_it_cannot_do(evidence: Evidence, tmp_path: Path) -> None:
    runner = CliRunner()
    data = ["--data-dir", str(evidence.data_dir)]
    neither = runner.invoke(cli, ["export", "--out", str(tmp_path / "x"), *data])
    assert (
        neither.exit_code == 2 and "give BUNDLE ids, --record RECORD_ID or --all" in neither.output
    )
    both = runner.invoke(cli, ["export", evidence.b0, "--all", "--out", str(tmp_path / "x"), *data])
    assert both.exit_code == 2
    unknown = runner.invoke(cli, ["export", "ab" * 32, "--out", str(tmp_path / "x"), *data])
    assert unknown.exit_code == 2 and "not a sealed bundle" in unknown.output
    nothing = runner.invoke(
        cli, ["export", "--record", "nope", "--out", str(tmp_path / "x"), *data]
    )
    assert (
        nothing.exit_code == 2
        and "record nope in the catalogue has no evidence bundle" in nothing.output
    )
    no_store = runner.invoke(
        cli, ["export", "--all", "--out", str(tmp_path / "x"), "--data-dir", str(tmp_path)]
    )
    assert no_store.exit_code == 2 and "no evidence store" in no_store.output
    assert not (tmp_path / "x").exists()
