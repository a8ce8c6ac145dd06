"""adwatch verify: every kind of tampering is caught and named, "not checked"
is never reported as passed, and a clean store passes (real TSA on loopback)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from evidence.store import EvidenceStore, canonical, sha256
from evidence.timestamp import stamp_pending
from evidence.tsa import TsaServer
from evidence.verify import format_report, verify
from tests.conftest import adwatch


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
        assert f"bundle {bundle.bundle_id}: artifact 'images/01.png' changed" in (
            bundle.checks["artifacts"].problems[0]
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
    done = adwatch("verify", "--all", data_dir=data)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 passed, 0 failed, 1 not checked" in done.stdout
    first = ids(store)[0]
    store.blob_path(store.manifest(first)["artifacts"]["dom.html"]["sha256"]).write_bytes(b"x")
    done = adwatch("verify", "--all", data_dir=data)
    assert done.returncode == 1
    assert f"bundle {first}: artifact 'dom.html' changed" in done.stdout
    assert "result: FAILED" in done.stdout
    done = adwatch("verify", ids(store)[1], "--json", data_dir=data)
    assert done.returncode == 0 and json.loads(done.stdout)["state"] == "passed"
    assert adwatch("verify", data_dir=data).returncode == 2  # neither ids nor --all


def test_missing_store_is_a_clear_error(tmp_path: Path) -> None:
    done = adwatch("verify", "--all", data_dir=tmp_path)
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
    done = adwatch("verify", "--all", "--ca", typo, data_dir=store.root.parent)
    assert done.returncode == 2 and "cannot be read" in done.stderr
