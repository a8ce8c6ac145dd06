"""Several time-stamp authorities: each bundle stamped by two different ones
when two are reachable (real TSAs on loopback, each with its own keys and
root, real openssl), checked by `adwatch verify` and by the exported verify.py."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from scrapy.settings import Settings

from crawler.config import AdwatchConfig, ConfigError
from crawler.running.evidence_run import EvidenceFigures, _Stamping
from evidence.export import export_bundles
from evidence.store import COPY_KEY, EvidenceStore, StoreError, canonical, sha256
from evidence.timestamp import stamp_copies, stamp_pending, tsa_list
from evidence.tsa import TsaServer
from evidence.verify import format_report, verify
from tests.conftest import adwatch_here, sealed


def dead_url() -> str:
    """A loopback URL nothing listens on (the port was free a moment ago)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


@pytest.fixture(scope="module")
def tsa_a(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TsaServer]:
    with TsaServer(tmp_path_factory.mktemp("tsa-a"), name="TSA A") as server:
        yield server


@pytest.fixture(scope="module")
def tsa_b(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TsaServer]:
    with TsaServer(tmp_path_factory.mktemp("tsa-b"), name="TSA B") as server:
        yield server


@pytest.fixture(scope="module")
def roots(tmp_path_factory: pytest.TempPathFactory, tsa_a: TsaServer, tsa_b: TsaServer) -> Path:
    """A trust folder: each TSA's root as its own *.pem."""
    folder = tmp_path_factory.mktemp("roots")
    shutil.copy(tsa_a.files.ca_pem, folder / "a.pem")
    shutil.copy(tsa_b.files.ca_pem, folder / "b.pem")
    return folder


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory, tsa_a: TsaServer, tsa_b: TsaServer) -> Path:
    """Three bundles, each stamped by both TSAs."""
    root = tmp_path_factory.mktemp("store") / "evidence"
    store = EvidenceStore(root)
    for n in range(3):
        sealed(store, n)
    run = stamp_pending(store, f"{tsa_a.url}, {tsa_b.url}")
    assert (run.stamped, run.tokens, run.remaining, run.failed) == (3, 6, 0, {})
    return root


@pytest.fixture
def store(pristine: Path, tmp_path: Path) -> EvidenceStore:
    copy = tmp_path / "evidence"
    shutil.copytree(pristine, copy)
    return EvidenceStore(copy)


def offline(folder: Path) -> subprocess.CompletedProcess[str]:
    """The package's verify.py as a recipient runs it (no site-packages)."""
    return subprocess.run(
        [sys.executable, "-I", "-S", str(folder / "verify.py")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def resum(folder: Path) -> None:
    """SHA256SUMS rewritten to the files present (a careful forger)."""
    lines = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        if rel != "SHA256SUMS":
            lines.append(f"{sha256(path.read_bytes())}  {rel}\n")
    (folder / "SHA256SUMS").write_text("".join(lines))


# --- stamping --------------------------------------------------------------------------


def test_two_tsas_stamp_each_bundle_once_each(
    store: EvidenceStore, tsa_a: TsaServer, tsa_b: TsaServer
) -> None:
    for bundle_id in store.bundle_ids():
        lines = store.tokens(bundle_id)
        assert [line["tsa"] for line in lines] == [tsa_a.url, tsa_b.url]
        first, second = lines
        assert "timestamp" in first and COPY_KEY not in first
        # an old reader looks for "timestamp": the second token's line has no such key
        assert second[COPY_KEY] == bundle_id and second["copy"] == 2 and "timestamp" not in second
        folder = store.bundle_path(bundle_id).parent
        assert sha256((folder / "timestamp.tsr").read_bytes()) == first["tsr_sha256"]
        assert sha256((folder / "timestamp-2.tsr").read_bytes()) == second["tsr_sha256"]
    assert store.unstamped() == [] and store.short_of(2) == []
    assert set(store.token_counts().values()) == {2}
    # nothing is left to do: a run asks no TSA
    again = stamp_pending(store, [tsa_a.url, tsa_b.url])
    assert (again.stamped, again.tokens, again.remaining) == (0, 0, 0)


def test_verify_checks_and_names_both_tokens(store: EvidenceStore, roots: Path) -> None:
    report = verify(EvidenceStore(store.root, readonly=True), None, roots, openssl=True)
    assert report.state == "passed", report.failures()
    assert all(b.tokens == ["CN=TSA A", "CN=TSA B"] for b in report.bundles)
    text = format_report(report, roots)
    assert "time-stamps: 3 bundles with 2+ tokens, 0 with 1, 0 with none" in text
    assert "3 × 2 tokens: CN=TSA A, CN=TSA B" in text
    assert json.loads(json.dumps(report.bundles[0].to_dict()))["tokens"] == [
        "CN=TSA A",
        "CN=TSA B",
    ]
    # a root missing: the second TSA's tokens do not chain, and verify says which
    only_a = verify(store, None, roots / "a.pem")
    assert only_a.state == "failed"
    assert all("time-stamp 2 (timestamp-2.tsr) (python)" in p for p in only_a.failures())


def test_one_tsa_down_keeps_one_token_and_the_next_run_adds_the_second(
    tmp_path: Path, tsa_a: TsaServer, tsa_b: TsaServer, roots: Path
) -> None:
    data = tmp_path / "var"
    store = EvidenceStore(data / "evidence")
    ids = [sealed(store, n) for n in range(3)]
    down = dead_url()
    run = stamp_pending(store, [tsa_a.url, down], timeout=5)
    assert (run.stamped, run.tokens, run.remaining) == (3, 3, 3)
    assert run.tsa_down and run.down == [down] and run.failed == {}
    assert store.unstamped() == [] and store.short_of(2) == ids
    assert not list((data / "evidence" / "bundles").glob("*/timestamp-2.tsr"))
    report = verify(store, None, roots)
    assert report.state == "passed" and all(b.tokens == ["CN=TSA A"] for b in report.bundles)
    assert "time-stamps:" not in format_report(report, roots)  # nobody has two yet
    # both up: `adwatch timestamp` adds each bundle's second token, from the other TSA
    done = adwatch_here("timestamp", "--tsa", f"{tsa_a.url} {tsa_b.url}", data_dir=data)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "tokens: 3 bundles with 2 tokens, 0 with 1, 0 with none" in done.stdout
    assert [[t["tsa"] for t in store.tokens(b)] for b in ids] == [[tsa_a.url, tsa_b.url]] * 3
    assert verify(store, None, roots, openssl=True).state == "passed"


def test_timestamp_command_waits_while_a_second_tsa_is_down(
    tmp_path: Path, tsa_a: TsaServer
) -> None:
    data = tmp_path / "var"
    store = EvidenceStore(data / "evidence")
    sealed(store, 1)
    sealed(store, 2)
    done = adwatch_here("timestamp", "--tsa", f"{tsa_a.url},{dead_url()}", data_dir=data)
    assert done.returncode == 1  # still waiting: for the second TSA
    assert "tokens: 0 bundles with 2 tokens, 2 with 1, 0 with none" in done.stdout
    assert "is not reachable; try again later" in done.stderr
    assert store.unstamped() == [] and len(store.short_of(2)) == 2


def test_the_same_tsa_listed_twice_never_stamps_a_bundle_twice(
    tmp_path: Path, tsa_a: TsaServer
) -> None:
    store = EvidenceStore(tmp_path / "evidence")
    first, second = sealed(store, 1), sealed(store, 2)
    twice = [tsa_a.url, tsa_a.url.rstrip("/"), tsa_a.url.upper().replace("HTTP://", "http://")]
    assert tsa_list(", ".join(twice)) == [tsa_a.url]
    run = stamp_pending(store, twice)
    assert (run.stamped, run.tokens, run.remaining) == (2, 2, 0)
    # asked for two copies from a list that names it twice: still one token
    added, problems = stamp_copies(store, first, twice, 2, set())
    assert (added, problems) == ([], [])
    assert len(store.tokens(first)) == 1
    # and the store itself refuses a second token from a TSA that gave one
    tsr = store.timestamp_path(second).read_bytes()
    with pytest.raises(StoreError, match="already time-stamped by"):
        store.add_token(second, tsr, tsa_a.url.rstrip("/"), "2026-01-01T00:00:00.000Z")
    assert not store.timestamp_path(second, 2).exists()


# --- tampering with the second token ----------------------------------------------------


def test_a_changed_second_token_is_named(store: EvidenceStore, roots: Path) -> None:
    bundle_id = store.bundle_ids()[1]
    path = store.timestamp_path(bundle_id, 2)
    path.write_bytes(store.timestamp_path(store.bundle_ids()[0], 2).read_bytes())
    report = verify(store, None, roots)
    assert report.state == "failed" and report.count("failed") == 1
    assert report.failures() == [
        f"bundle {bundle_id}: second time-stamp token (timestamp-2.tsr) changed since ledger "
        "line 7 noted it"
    ]


def test_a_removed_second_token_is_named(store: EvidenceStore, roots: Path) -> None:
    bundle_id = store.bundle_ids()[2]
    store.timestamp_path(bundle_id, 2).unlink()
    report = verify(store, None, roots)
    assert report.failures() == [
        f"bundle {bundle_id}: its second time-stamp token (timestamp-2.tsr) (ledger line 9) "
        "was removed"
    ]


def test_a_second_token_without_its_line_is_named(store: EvidenceStore, roots: Path) -> None:
    """The second token's ledger line cut and the chain re-hashed after it."""
    lines = [json.loads(raw) for raw in store.ledger_path.read_bytes().splitlines()]
    cut = [line for line in lines if line.get(COPY_KEY) != store.bundle_ids()[0]]
    prev = "0" * 64
    for seq, line in enumerate(cut, 1):
        line.pop("hash")
        line.update(seq=seq, prev=prev)
        line["hash"] = prev = sha256(canonical(line))
    store.ledger_path.write_bytes(b"".join(canonical(line) + b"\n" for line in cut))
    report = verify(EvidenceStore(store.root, readonly=True), None, roots)
    bundle_id = store.bundle_ids()[0]
    assert (
        f"bundle {bundle_id}: a second time-stamp token (timestamp-2.tsr) is on disk but in no "
        "ledger line"
    ) in report.failures()


def test_an_edited_second_token_line_breaks_the_chain(store: EvidenceStore, roots: Path) -> None:
    raw = store.ledger_path.read_bytes().splitlines()
    n = next(i for i, line in enumerate(raw) if COPY_KEY.encode() in line)
    line = json.loads(raw[n])
    line["tsa"] = "http://someone-else.example/"
    raw[n] = canonical(line)
    store.ledger_path.write_bytes(b"\n".join(raw) + b"\n")
    report = verify(EvidenceStore(store.root, readonly=True), None, roots)
    assert f"ledger line {n + 1} was edited (its hash does not match its content)" in (
        report.failures()
    )


# --- the exported package -----------------------------------------------------------------


def test_export_carries_both_tokens_and_verify_py_names_both(
    store: EvidenceStore, roots: Path, tmp_path: Path
) -> None:
    ids = store.bundle_ids()
    out = tmp_path / "package"
    export_bundles(store, ids, out, roots)
    for bundle_id in ids:
        for copy in (1, 2):
            kept = store.timestamp_path(bundle_id, copy)
            exported = out / "bundles" / bundle_id / kept.name
            assert exported.read_bytes() == kept.read_bytes()
    listing = json.loads((out / "bundles.json").read_text())
    assert {b["tokens"] for b in listing["bundles"]} == {2}
    readme = (out / "README.txt").read_text()
    assert readme.count("timestamp-2.tsr -CAfile tsa/ca.pem -attime") == 3
    done = offline(out)
    assert done.returncode == 0, done.stdout
    assert "Summary: PASSED" in done.stdout
    assert done.stdout.count("2 tokens, each the one its line noted") == 3
    assert done.stdout.count("token signature, timestamp-2.tsr") == 3
    assert done.stdout.count("TSA: DirName:/CN=TSA A") == 3
    assert done.stdout.count("TSA: DirName:/CN=TSA B") == 3
    # by hand, as README.txt says: openssl on the second token alone
    bundle_id = ids[0]
    check = subprocess.run(
        ["openssl", "ts", "-verify", "-digest", bundle_id, "-in",
         f"bundles/{bundle_id}/timestamp-2.tsr", "-CAfile", "tsa/ca.pem"],
        cwd=out, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert "Verification: OK" in check.stdout, check.stderr


def test_verify_py_names_a_tampered_or_removed_second_token(
    store: EvidenceStore, roots: Path, tmp_path: Path
) -> None:
    ids = store.bundle_ids()
    out = tmp_path / "package"
    export_bundles(store, ids, out, roots)
    changed = out / "bundles" / ids[0] / "timestamp-2.tsr"
    changed.write_bytes((out / "bundles" / ids[1] / "timestamp-2.tsr").read_bytes())
    (out / "bundles" / ids[2] / "timestamp-2.tsr").unlink()
    resum(out)  # SHA256SUMS made to match: only the ledger lines can tell
    done = offline(out)
    assert done.returncode == 1 and "Summary: FAILED" in done.stdout
    assert f"bundles/{ids[0]}/timestamp-2.tsr is not the token noted in ledger.jsonl line" in (
        done.stdout
    )
    assert f"bundles/{ids[0]}/timestamp-2.tsr: openssl ts -verify failed" in done.stdout
    assert f"bundles/{ids[2]}/timestamp-2.tsr, noted in ledger.jsonl line" in done.stdout
    assert "is missing (removed?)" in done.stdout
    # an edited "timestamp_copy" line breaks the chain, named by its line
    ledger = (out / "ledger.jsonl").read_bytes().splitlines()
    n = next(i for i, raw in enumerate(ledger) if COPY_KEY.encode() in raw)
    ledger[n] = ledger[n].replace(b'"copy":2', b'"copy":3')
    (out / "ledger.jsonl").write_bytes(b"\n".join(ledger) + b"\n")
    resum(out)
    done = offline(out)
    assert f"ledger.jsonl line {n + 1} (seq" in done.stdout and "was edited" in done.stdout


# --- one TSA, as before; settings; the run's summary ---------------------------------------


def test_one_tsa_behaves_as_before(tmp_path: Path, tsa_a: TsaServer) -> None:
    store = EvidenceStore(tmp_path / "evidence")
    ids = [sealed(store, n) for n in range(2)]
    run = stamp_pending(store, tsa_a.url)
    assert (run.stamped, run.tokens, run.remaining) == (2, 2, 0)
    assert [len(store.tokens(b)) for b in ids] == [1, 1]
    assert not list((tmp_path / "evidence" / "bundles").glob("*/timestamp-*.tsr"))
    report = verify(store, None, tsa_a.files.ca_pem)
    assert report.state == "passed"
    assert "time-stamps:" not in format_report(report, tsa_a.files.ca_pem)
    stamping = _Stamping(tsa_a.url, 1)
    bundle_id = sealed(store, 5)
    assert stamping.stamp(store, bundle_id) and len(store.tokens(bundle_id)) == 1


def test_settings_list_several_tsas() -> None:
    config = AdwatchConfig.from_settings(
        Settings(
            {"ADWATCH_TSA_URL": "http://a.example/tsa, https://b.example/ http://a.example/tsa/"}
        )
    )
    assert config.tsa_urls == ("http://a.example/tsa", "https://b.example/")
    assert config.tsa_url == "http://a.example/tsa" and config.tsa_copies == 2
    assert config.tokens_wanted == 2
    one = AdwatchConfig.from_settings(Settings({"ADWATCH_TSA_URL": "http://a.example/tsa"}))
    assert one.tsa_urls == ("http://a.example/tsa",) and one.tokens_wanted == 1
    assert AdwatchConfig.from_settings(Settings({"ADWATCH_TSA_URL": ""})).tsa_urls == ()
    with pytest.raises(ConfigError, match=r"ftp://c\.example"):
        AdwatchConfig.from_settings(
            Settings({"ADWATCH_TSA_URL": "http://a.example,ftp://c.example"})
        )
    with pytest.raises(ConfigError, match="ADWATCH_TSA_COPIES"):
        AdwatchConfig.from_settings(Settings({"ADWATCH_TSA_COPIES": "0"}))


def test_a_capture_run_stamps_with_two_and_says_so(
    tmp_path: Path, tsa_a: TsaServer, tsa_b: TsaServer
) -> None:
    """The capture run's stamping (what `_keep` calls per sealed bundle) and its summary."""
    store = EvidenceStore(tmp_path / "evidence")
    down = dead_url()
    stamping = _Stamping((tsa_a.url, down, tsa_b.url), 2)
    stamping.down("not reachable", down)  # as the run's clock check found it
    both = sealed(store, 1)
    assert stamping.stamp(store, both)
    assert [t["tsa"] for t in store.tokens(both)] == [tsa_a.url, tsa_b.url]
    stamping.down("TSA B went away", tsa_b.url)
    one = sealed(store, 2)
    assert stamping.stamp(store, one) and len(store.tokens(one)) == 1
    figures = EvidenceFigures(kind="capture", targets=2, sealed=2, stamped=2, tokens_wanted=2)
    figures.by_tokens, figures.short, figures.tsa_problem = (1, 1, 0), 1, stamping.problem
    text = figures.summary()
    assert "  tokens:   1 bundles with 2 tokens, 1 with 1, 0 with none" in text
    assert "  waiting:  1 bundles with fewer than 2 tokens wait for another TSA" in text
    single = EvidenceFigures(kind="capture", targets=1, sealed=1, stamped=1).summary()
    assert "tokens:" not in single and "another TSA" not in single


def test_two_tsas_whose_roots_share_a_name_both_verify(tmp_path: Path) -> None:
    """Two demo TSAs made with the default name: roots of one name, other keys.
    Each token is judged against the root that signed its TSA, not the first
    root of that name (python and openssl alike)."""
    with (
        TsaServer(tmp_path / "one") as one,
        TsaServer(tmp_path / "two") as two,
    ):
        store = EvidenceStore(tmp_path / "evidence")
        sealed(store, 1)
        assert stamp_pending(store, [one.url, two.url]).tokens == 2
    both = tmp_path / "roots.pem"
    both.write_bytes(one.files.ca_pem.read_bytes() + two.files.ca_pem.read_bytes())
    report = verify(store, None, both, openssl=True)
    assert report.state == "passed", report.failures()
    assert report.bundles[0].tokens == ["CN=adwatch demo TSA"] * 2


def test_the_demo_starts_two_tsas_and_their_roots_are_trusted(tmp_path: Path) -> None:
    """`adwatch crawl --demo`'s authorities: two processes, two roots in
    <data dir>/tsa/roots.pem, which verify then finds by default."""
    from crawler.running.lifecycle import demo_authority
    from crawler.running.run import project_settings

    settings = project_settings({"ADWATCH_DATA_DIR": str(tmp_path), "ADWATCH_CAPTURE": True})
    said: list[str] = []
    with demo_authority(settings, said.append):
        config = AdwatchConfig.from_settings(settings)
        assert len(config.tsa_urls) == 2 and config.tokens_wanted == 2
        store = EvidenceStore(config.evidence_dir)
        sealed(store, 1)
        assert stamp_pending(store, config.tsa_urls).tokens == 2
    assert said == [f"time-stamp authorities {', '.join(config.tsa_urls)}"]
    later = AdwatchConfig.from_settings(project_settings({"ADWATCH_DATA_DIR": str(tmp_path)}))
    assert later.tsa_ca == tmp_path / "tsa" / "roots.pem"
    report = verify(store, None, later.tsa_ca, openssl=True)
    assert report.state == "passed", report.failures()
    assert report.bundles[0].tokens == ["CN=adwatch demo TSA", "CN=adwatch demo TSA 2"]


def test_a_second_token_cut_short_is_interrupted_not_tampering(
    tmp_path: Path, tsa_a: TsaServer, tsa_b: TsaServer, roots: Path
) -> None:
    """A process killed after writing timestamp-2.tsr, before its ledger line:
    verify reports it as interrupted, and the next writer sets it aside; the
    bundle keeps its first token and waits for the second again."""
    from evidence.store import JOURNAL
    from evidence.timestamp import request_token

    store = EvidenceStore(tmp_path / "evidence")
    bundle_id = sealed(store, 1)
    stamp_pending(store, tsa_a.url)
    tsr = request_token(bundle_id, tsa_b.url).tsr
    made = f"bundles/{bundle_id}/timestamp-2.tsr"
    entry = {COPY_KEY: bundle_id, "copy": 2, "tsr_sha256": sha256(tsr), "tsa": tsa_b.url}
    (store.root / JOURNAL).write_bytes(canonical({"entry": entry, "made": made}))
    (store.root / made).write_bytes(tsr)
    report = verify(EvidenceStore(store.root, readonly=True), None, roots)
    assert report.state == "passed", report.failures()
    assert len(report.interrupted) == 1 and "timestamp-2.tsr" in report.interrupted[0]
    EvidenceStore(store.root)  # the next writer
    assert not (store.root / made).exists()
    assert list((store.root / "interrupted").iterdir())
    assert store.short_of(2) == [bundle_id]
    assert stamp_pending(store, [tsa_a.url, tsa_b.url]).tokens == 1
    assert verify(store, None, roots).state == "passed"
