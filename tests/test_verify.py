"""adwatch verify: every kind of tampering is caught and named, "not checked"
is never reported as passed, and a clean store passes (real TSA on loopback)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from evidence.store import GENESIS, JOURNAL, EvidenceStore, canonical, sha256
from evidence.timestamp import stamp_pending
from evidence.tsa import TsaServer
from evidence.verify import format_report, structure_problems, verify
from tests.conftest import adwatch, adwatch_here


@pytest.fixture(scope="module")
def tsa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TsaServer]:
    with TsaServer(tmp_path_factory.mktemp("tsa")) as server:
        yield server


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory, tsa: TsaServer) -> Path:
    """Four bundles sharing one picture; the first three time-stamped."""
    root = tmp_path_factory.mktemp("store") / "evidence"
    store = EvidenceStore(root)
    shared = store.put_blob(b"\x89PNG shared picture", "image/png")
    for n in range(4):
        shot = store.put_blob(f"screenshot {n}".encode(), "image/png")
        dom = store.put_blob(f"<html>ad {n}</html>".encode(), "text/html")
        store.seal(
            {"screenshot.png": shot, "dom.html": dom, "images/01.png": shared},
            {"record": f"r{n}", "url": f"http://127.0.0.1/ad/{n}"},
        )
        if n == 2:
            assert stamp_pending(store, tsa.url).stamped == 3
    return root


@pytest.fixture
def store(pristine: Path, tmp_path: Path) -> EvidenceStore:
    copy = tmp_path / "evidence"
    shutil.copytree(pristine, copy)
    return EvidenceStore(copy)


def ids(store: EvidenceStore) -> list[str]:
    return store.bundle_ids()


def ledger_lines(store: EvidenceStore) -> list[bytes]:
    return store.ledger_path.read_bytes().splitlines()


def write_ledger(store: EvidenceStore, lines: list[bytes]) -> None:
    store.ledger_path.write_bytes(b"\n".join(lines) + b"\n")


def problems(store: EvidenceStore, tsa: TsaServer) -> list[str]:
    """What failed (a queued token, "not checked", is not a problem)."""
    return verify(store, trust=tsa.files.ca_pem).failures()


def test_a_clean_store_passes_and_the_queued_bundle_is_not_checked(
    store: EvidenceStore, tsa: TsaServer
) -> None:
    report = verify(store, trust=tsa.files.ca_pem, openssl=True)
    states = [b.state for b in report.bundles]
    assert states == ["passed", "passed", "passed", "not_checked"]
    assert report.state == "not_checked"  # not "passed": one token is still queued
    last = report.bundles[-1]
    assert last.checks["timestamp"].state == "not_checked"
    assert all(last.checks[c].state == "passed" for c in ("manifest", "artifacts", "ledger"))
    assert all(b.gen_time.endswith("Z") for b in report.bundles[:3])
    text = format_report(report, tsa.files.ca_pem)
    assert "3 passed, 0 failed, 1 not checked" in text and "no time-stamp token yet" in text


def test_without_a_trust_root_tokens_are_not_checked(store: EvidenceStore) -> None:
    report = verify(store, trust=None)
    assert {b.checks["timestamp"].state for b in report.bundles} == {"not_checked"}
    assert report.state == "not_checked"


def test_a_changed_blob_is_named_in_every_bundle_that_holds_it(
    store: EvidenceStore, tsa: TsaServer
) -> None:
    shared = store.manifest(ids(store)[0])["artifacts"]["images/01.png"]["sha256"]
    store.blob_path(shared).write_bytes(b"another picture")
    report = verify(store, trust=tsa.files.ca_pem)
    assert report.state == "failed"
    for bundle in report.bundles:
        assert bundle.checks["artifacts"].state == "failed"
        assert (
            f"bundle {bundle.bundle_id}: artifact 'images/01.png' changed"
            in (bundle.checks["artifacts"].problems[0])
        )
        assert bundle.checks["manifest"].state == "passed"


def test_a_missing_blob(store: EvidenceStore, tsa: TsaServer) -> None:
    first = ids(store)[0]
    store.blob_path(store.manifest(first)["artifacts"]["dom.html"]["sha256"]).unlink()
    assert problems(store, tsa) == [f"bundle {first}: artifact 'dom.html' is missing"]


def test_a_removed_bundle(store: EvidenceStore, tsa: TsaServer) -> None:
    second = ids(store)[1]
    shutil.rmtree(store.bundle_path(second).parent)
    found = problems(store, tsa)
    assert f"bundle {second} was removed (its manifest is missing)" in found
    assert f"bundle {second}: its time-stamp token (ledger line 5) was removed" in found


def test_a_changed_manifest(store: EvidenceStore, tsa: TsaServer) -> None:
    first = ids(store)[0]
    manifest = store.manifest(first)
    manifest["about"]["url"] = "http://127.0.0.1/somewhere-else"
    store.bundle_path(first).write_bytes(canonical(manifest))
    found = problems(store, tsa)
    assert f"bundle {first}: manifest changed (its SHA-256 is not its id)" in found


def test_an_edited_ledger_line(store: EvidenceStore, tsa: TsaServer) -> None:
    lines = ledger_lines(store)
    line = json.loads(lines[1])
    line["at"] = "2020-01-01T00:00:00.000000Z"  # backdated, hash left as it was
    lines[1] = canonical(line)
    write_ledger(store, lines)
    found = problems(store, tsa)
    assert "ledger line 2 was edited (its hash does not match its content)" in found
    report = verify(store, trust=tsa.files.ca_pem)
    assert [b.checks["ledger"].state for b in report.bundles] == [
        "passed",  # line 1 is before the edit
        "failed",
        "failed",
        "failed",
    ]


def test_an_edited_ledger_line_with_its_hash_recomputed_breaks_the_chain(
    store: EvidenceStore, tsa: TsaServer
) -> None:
    lines = ledger_lines(store)
    line = json.loads(lines[1])
    line.pop("hash")
    line["at"] = "2020-01-01T00:00:00.000000Z"
    line["hash"] = sha256(canonical(line))
    lines[1] = canonical(line)
    write_ledger(store, lines)
    assert (
        "ledger line 3 does not follow line 2 (a line was removed, inserted or moved before it)"
        in problems(store, tsa)
    )


def test_reordered_and_removed_ledger_lines(store: EvidenceStore, tsa: TsaServer) -> None:
    lines = ledger_lines(store)
    write_ledger(store, [lines[1], lines[0], *lines[2:]])
    found = problems(store, tsa)
    assert "ledger line 1 carries sequence number 2" in found
    assert any(p.startswith("ledger line 2 does not follow line 1") for p in found)
    write_ledger(store, [lines[0], *lines[2:]])
    found = problems(store, tsa)
    assert any(p.startswith("ledger line 2 does not follow line 1") for p in found)
    second = ids(store)  # the removed line listed bundle 2, now "in no ledger line"
    assert len(second) == 3


def test_a_bundle_on_disk_but_in_no_ledger_line(store: EvidenceStore, tsa: TsaServer) -> None:
    lines = ledger_lines(store)
    orphan = json.loads(lines[-1])["bundle"]
    write_ledger(store, lines[:-1])
    report = verify(store, trust=tsa.files.ca_pem)
    assert report.unlisted == [orphan] and report.state == "failed"
    assert f"bundle {orphan} is on disk but in no ledger line" in report.ledger.problems


def test_a_token_swapped_for_another_bundles(store: EvidenceStore, tsa: TsaServer) -> None:
    first, second = ids(store)[:2]
    shutil.copy(store.timestamp_path(second), store.timestamp_path(first))
    assert problems(store, tsa) == [
        f"bundle {first}: time-stamp token changed since ledger line 4 noted it"
    ]


def test_a_swapped_token_with_the_ledger_rewritten_is_still_a_mismatch(
    store: EvidenceStore, tsa: TsaServer
) -> None:
    """A forger who also rewrites the whole ledger chain: the token itself is
    over another bundle's hash, which the token check catches."""
    first, second = ids(store)[:2]
    token = store.timestamp_path(second).read_bytes()
    store.timestamp_path(first).write_bytes(token)
    _rewrite_chain(store, {first: sha256(token)})
    report = verify(store, trust=tsa.files.ca_pem, openssl=True)
    check = report.bundles[0].checks["timestamp"]
    assert report.ledger.problems == [] and check.state == "failed"
    assert any("(python)" in p and "imprint" in p for p in check.problems)
    assert any("(openssl)" in p for p in check.problems)


def test_a_token_from_another_tsa_is_forged(
    store: EvidenceStore, tsa: TsaServer, tmp_path: Path
) -> None:
    first = ids(store)[0]
    with TsaServer(tmp_path / "rogue") as rogue:
        from evidence.timestamp import request_token

        forged = request_token(first, rogue.url).tsr
    store.timestamp_path(first).write_bytes(forged)
    _rewrite_chain(store, {first: sha256(forged)})
    check = verify(store, trust=tsa.files.ca_pem).bundles[0].checks["timestamp"]
    assert check.state == "failed"
    assert any("signature does not verify" in p or "trusted" in p for p in check.problems)


def _rewrite_chain(store: EvidenceStore, token_hashes: dict[str, str]) -> None:
    """Re-hash the whole ledger after changing token hashes (what a forger with
    write access could do; only the tokens themselves can then give it away)."""
    out = []
    prev = "0" * 64
    for raw in ledger_lines(store):
        line = json.loads(raw)
        line.pop("hash")
        if line.get("timestamp") in token_hashes:
            line["tsr_sha256"] = token_hashes[line["timestamp"]]
        line["prev"] = prev
        line["hash"] = prev = sha256(canonical(line))
        out.append(canonical(line))
    write_ledger(store, out)


def test_the_command_exits_non_zero_on_failure_and_names_it(
    store: EvidenceStore, tsa: TsaServer, tmp_path: Path
) -> None:
    data = store.root.parent
    (data / "tsa").mkdir(exist_ok=True)
    shutil.copy(tsa.files.ca_pem, data / "tsa" / "ca.pem")
    done = adwatch("verify", "--all", data_dir=data)  # the installed command, in its own process
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 passed, 0 failed, 1 not checked" in done.stdout
    first = ids(store)[0]
    store.blob_path(store.manifest(first)["artifacts"]["dom.html"]["sha256"]).write_bytes(b"x")
    done = adwatch_here("verify", "--all", data_dir=data)
    assert done.returncode == 1
    assert f"bundle {first}: artifact 'dom.html' changed" in done.stdout
    assert "result: FAILED" in done.stdout
    done = adwatch_here("verify", ids(store)[1], "--json", data_dir=data)
    assert done.returncode == 0 and json.loads(done.stdout)["state"] == "passed"
    assert adwatch_here("verify", data_dir=data).returncode == 2  # neither ids nor --all


def test_missing_store_is_a_clear_error(tmp_path: Path) -> None:
    done = adwatch_here("verify", "--all", data_dir=tmp_path)
    assert done.returncode == 2 and "no evidence store" in done.stderr


def test_a_time_stamped_ledger_head_catches_lines_removed_before_it(
    store: EvidenceStore, tsa: TsaServer
) -> None:
    from evidence.bundle import stamp_head

    assert stamp_head(store, tsa.url) == ("stamped", "")
    assert stamp_head(store, tsa.url)[0] == "unchanged"  # nothing new since
    report = verify(store, trust=tsa.files.ca_pem)
    assert report.head["seq"] == 7 and report.ledger.problems == []
    assert "ledger: lines 1-7 sealed by a time-stamp" in format_report(report, tsa.files.ca_pem)
    # the newest bundle removed with its line, and the chain re-hashed after it
    last = ids(store)[-1]
    lines = [ln for ln in ledger_lines(store) if json.loads(ln).get("bundle") != last]
    write_ledger(store, lines)
    shutil.rmtree(store.bundle_path(last).parent)
    _rewrite_chain(store, {})
    found = problems(store, tsa)
    assert any(
        p.startswith("ledger head time-stamp on line 7 (over line 7): line 7 is not the line")
        for p in found
    ), found


def test_verify_changes_nothing_and_escapes_what_it_prints(
    store: EvidenceStore, tsa: TsaServer
) -> None:
    hostile = store.root / "bundles" / "evil\x1b[2J\u202ename"
    hostile.mkdir()
    before = sorted(p.name for p in store.root.rglob("*"))
    report = verify(EvidenceStore(store.root, readonly=True), trust=tsa.files.ca_pem)
    text = format_report(report, tsa.files.ca_pem)
    assert "\x1b" not in text and "\u202e" not in text and "\\x1b[2J\\u202ename" in text
    assert sorted(p.name for p in store.root.rglob("*")) == before


def test_a_missing_trust_file_is_an_error(store: EvidenceStore, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="cannot be read"):
        verify(store, trust=tmp_path / "typo-ca.pem")
    typo = str(tmp_path / "typo.pem")
    done = adwatch_here("verify", "--all", "--ca", typo, data_dir=store.root.parent)
    assert done.returncode == 2 and "cannot be read" in done.stderr


# --- what is on disk, held against the ledger (heads/ and bundles/) ------------------------


def stamped_with_head(store: EvidenceStore, tsa: TsaServer) -> bytes:
    """Every bundle stamped and the ledger's head time-stamped, as a capture run
    leaves the store; returns the head line (the ledger's last)."""
    from evidence.bundle import stamp_head

    assert stamp_pending(store, tsa.url).stamped == 1
    assert stamp_head(store, tsa.url) == ("stamped", "")
    report = verify(store, trust=tsa.files.ca_pem)
    assert report.state == "passed" and report.head["seq"] == 8, report.failures()
    return ledger_lines(store)[-1]


def test_a_head_token_whose_ledger_line_was_cut_is_named(
    store: EvidenceStore, tsa: TsaServer
) -> None:
    """Cutting the head line leaves a chain that holds; heads/ still has the token."""
    stamped_with_head(store, tsa)
    write_ledger(store, ledger_lines(store)[:-1])
    report = verify(store, trust=tsa.files.ca_pem)
    token = "heads/000000000008.tsr"
    assert report.state == "failed"
    (problem,) = report.ledger.problems
    assert problem.startswith(f"{token} (a ledger head time-stamp at 20")
    assert problem.endswith(
        ", over line 8) is on disk but in no ledger line: its head line was removed"
    )
    text = format_report(report, tsa.files.ca_pem)
    assert "no time-stamped head yet" not in text and "heads/ holds 1 token(s)" in text
    assert "result: FAILED" in text


def test_a_middle_bundle_removed_and_the_chain_rehashed_after_the_head_line_was_cut(
    store: EvidenceStore, tsa: TsaServer
) -> None:
    """The head line cut, then a middle bundle's two lines removed, the chain
    re-hashed and its folder deleted: every line checks, but the head token on
    disk stamped a ledger hash no line has any more, and `adwatch verify --all`
    names it."""
    stamped_with_head(store, tsa)
    second = ids(store)[1]
    kept = [
        ln
        for ln in ledger_lines(store)[:-1]
        if second not in (json.loads(ln).get("bundle"), json.loads(ln).get("timestamp"))
    ]
    seq_fixed = []
    for n, raw in enumerate(kept, 1):
        line = json.loads(raw)
        line["seq"] = n
        seq_fixed.append(canonical(line))
    write_ledger(store, seq_fixed)
    _rewrite_chain(store, {})
    shutil.rmtree(store.bundle_path(second).parent)
    data = store.root.parent
    (data / "tsa").mkdir(exist_ok=True)
    shutil.copy(tsa.files.ca_pem, data / "tsa" / "ca.pem")
    done = adwatch_here("verify", "--all", data_dir=data)
    assert done.returncode == 1, done.stdout
    assert "3 passed, 0 failed, 0 not checked" in done.stdout  # each bundle left holds
    assert "heads/000000000008.tsr (a ledger head time-stamp at " in done.stdout
    assert (
        "which is now the hash of no line of the ledger: lines up to line 8 were removed "
        "or rewritten and the chain re-hashed" in done.stdout
    )
    assert "result: FAILED" in done.stdout


def test_a_head_line_rewritten_with_the_chain_is_caught_without_checking_signatures(
    store: EvidenceStore, tsa: TsaServer
) -> None:
    """A forger who re-hashes the chain and points the head line at the new
    hash: the token itself still names the old one (store.check reads it too)."""
    stamped_with_head(store, tsa)
    lines = [json.loads(ln) for ln in ledger_lines(store)]
    lines[1]["at"] = "2020-01-01T00:00:00.000000Z"
    prev = GENESIS
    for line in lines:
        line.pop("hash")
        line["prev"] = prev
        if "head" in line:
            line["head"] = prev  # the re-hashed line 8
        line["hash"] = prev = sha256(canonical(line))
    write_ledger(store, [canonical(line) for line in lines])
    (problem,) = structure_problems(store)
    assert problem.startswith("heads/000000000008.tsr (a ledger head time-stamp at 20")
    assert "which is now the hash of no line of the ledger" in problem


def test_a_write_cut_short_is_interrupted_not_tampering(
    store: EvidenceStore, tsa: TsaServer
) -> None:
    """kill -9 between a head token and its ledger line leaves the token and the
    journal naming it (test_faults.py makes it with a real kill): verify lists
    it as interrupted, not failed, until the next writer sets it aside.  The
    same token without the journal, or not the one the journal names, fails."""
    head = json.loads(stamped_with_head(store, tsa))
    write_ledger(store, ledger_lines(store)[:-1])
    token = store.head_path(head["head_seq"])
    entry = {k: v for k, v in head.items() if k not in ("seq", "prev", "hash")}
    journal = store.root / JOURNAL
    journal.write_bytes(canonical({"entry": entry, "made": "heads/000000000008.tsr"}))
    report = verify(EvidenceStore(store.root, readonly=True), trust=tsa.files.ca_pem)
    assert report.state == "passed" and report.ledger.problems == [], report.failures()
    (note,) = report.interrupted
    assert note.startswith("heads/000000000008.tsr (a ledger head time-stamp at ")
    assert "its ledger line not yet written" in note
    assert "interrupted (not yet in the ledger" in format_report(report, tsa.files.ca_pem)
    # the journal names the token, but the token is another one: tampering
    good = token.read_bytes()
    shutil.copy(store.timestamp_path(ids(store)[0]), token)
    assert any(p.startswith("heads/000000000008.tsr") for p in problems(store, tsa))
    token.write_bytes(good)
    # a bundle folder half sealed (its manifest not even renamed into place)
    orphan = "ab" * 32
    (store.root / "bundles" / orphan).mkdir()
    (store.root / "bundles" / orphan / ".manifest.json.1.2.tmp").write_bytes(b"{")
    journal.write_bytes(
        canonical({"entry": {"bundle": orphan, "at": "x"}, "made": f"bundles/{orphan}"})
    )
    report = verify(store, trust=tsa.files.ca_pem)
    assert report.unlisted == [] and report.interrupted[0].startswith(f"bundle {orphan}: sealed")
    assert [p for p in report.failures() if "heads/" in p]  # no longer the journal's step
    # the next writer sets both aside, and the store verifies clean
    journal.write_bytes(canonical({"entry": entry, "made": "heads/000000000008.tsr"}))
    EvidenceStore(store.root)
    assert not token.exists() and not journal.exists()
    shutil.rmtree(store.root / "bundles" / orphan)
    report = verify(store, trust=tsa.files.ca_pem)
    assert report.state == "passed" and report.interrupted == [], report.failures()


def test_a_file_in_heads_that_is_no_head_token_is_named(
    store: EvidenceStore, tsa: TsaServer
) -> None:
    stamped_with_head(store, tsa)
    (store.root / "heads" / "notes.txt").write_text("hi")
    (store.root / "heads" / "000000000003.tsr").write_bytes(b"not a token")
    (store.root / "heads" / ".000000000010.tsr.4242.17.tmp").write_bytes(b"half")  # a killed write
    found = problems(store, tsa)
    assert "heads/notes.txt is not a ledger head token (unknown file)" in found
    assert any(
        p.startswith("heads/000000000003.tsr is not a readable time-stamp token") for p in found
    )
    assert len(found) == 2, found
