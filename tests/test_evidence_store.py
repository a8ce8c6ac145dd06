"""The evidence store: blobs by hash, sealed bundles, a ledger no one can
quietly edit, reorder or trim, and what a crash can and cannot leave behind."""

from __future__ import annotations

import json
from itertools import pairwise
from pathlib import Path

import pytest

from evidence.store import GENESIS, EvidenceStore, StoreError, canonical, sha256


def sealed(store: EvidenceStore, n: int) -> str:
    shot = store.put_blob(f"png bytes {n}".encode(), "image/png")
    html = store.put_blob(f"<html>ad {n}</html>".encode(), "text/html")
    bundle = store.seal(
        {"screenshot": shot, "dom": html},
        {"record": f"r{n}", "url": f"http://127.0.0.1/ad/{n}"},
        captured_at=f"2026-11-25T00:00:0{n}.000000Z",
    )
    return bundle.id


@pytest.fixture
def store(tmp_path: Path) -> EvidenceStore:
    s = EvidenceStore(tmp_path / "evidence")
    for n in range(3):
        sealed(s, n)
    return s


def test_a_sealed_store_checks_clean_and_ids_are_manifest_hashes(store: EvidenceStore) -> None:
    assert store.check() == []
    lines = list(store.ledger())
    assert [line["seq"] for line in lines] == [1, 2, 3]
    assert lines[0]["prev"] == GENESIS
    assert all(b["prev"] == a["hash"] for a, b in pairwise(lines))
    for line in lines:
        body = store.bundle_path(line["bundle"]).read_bytes()
        assert sha256(body) == line["bundle"]
        assert body == canonical(json.loads(body))  # stored in canonical form
        assert set(json.loads(body)["artifacts"]) == {"screenshot", "dom"}


def test_blobs_are_kept_once(tmp_path: Path) -> None:
    s = EvidenceStore(tmp_path)
    a = s.put_blob(b"same", "text/plain")
    b = s.put_blob(b"same", "text/plain")
    assert a == b and len(list((tmp_path / "blobs").rglob("*"))) == 3  # ab/, ab/cd/, the blob


def test_sealing_an_unknown_artifact_is_refused(tmp_path: Path) -> None:
    s = EvidenceStore(tmp_path)
    fake = s.put_blob(b"x", "text/plain")
    s.blob_path(fake.sha256).unlink()
    with pytest.raises(StoreError, match="not in the store"):
        s.seal({"x": fake}, {"record": "r"})
    assert list(s.ledger()) == []


def test_a_changed_blob_is_named(store: EvidenceStore) -> None:
    first = next(store.ledger())["bundle"]
    art = store.manifest(first)["artifacts"]["dom"]
    store.blob_path(art["sha256"]).write_bytes(b"<html>edited</html>")
    (problem,) = store.check()
    assert problem.startswith(f"bundle {first}: artifact 'dom' changed")


def test_a_changed_manifest_is_named(store: EvidenceStore) -> None:
    first = next(store.ledger())["bundle"]
    path = store.bundle_path(first)
    path.write_bytes(path.read_bytes().replace(b"/ad/0", b"/ad/9"))
    assert store.check() == [f"bundle {first}: manifest changed (its SHA-256 is not its id)"]


def test_a_removed_bundle_is_named(store: EvidenceStore) -> None:
    second = list(store.ledger())[1]["bundle"]
    store.bundle_path(second).unlink()
    assert store.check() == [f"bundle {second} was removed (its manifest is missing)"]


def test_an_edited_ledger_line_is_named(store: EvidenceStore) -> None:
    lines = store.ledger_path.read_text().splitlines()
    entry = json.loads(lines[1])
    entry["at"] = "2020-01-01T00:00:00.000000Z"  # backdated
    lines[1] = json.dumps(entry)
    store.ledger_path.write_text("\n".join(lines) + "\n")
    problems = store.check()
    assert problems[0] == "ledger line 2 was edited (its hash does not match its content)"


def test_a_removed_or_reordered_ledger_line_breaks_the_chain(store: EvidenceStore) -> None:
    lines = store.ledger_path.read_text().splitlines()
    store.ledger_path.write_text("\n".join([lines[0], lines[2]]) + "\n")
    problems = store.check()
    assert any(p.startswith("ledger line 2 does not follow line 1") for p in problems)
    assert any("is on disk but in no ledger line" in p for p in problems)
    store.ledger_path.write_text("\n".join([lines[1], lines[0], lines[2]]) + "\n")
    assert any("does not follow" in p for p in store.check())


def test_a_torn_last_line_is_cut_and_the_chain_goes_on(store: EvidenceStore) -> None:
    with store.ledger_path.open("ab") as f:
        f.write(b'{"bundle":"abc","se')  # the crash hit in the middle of an append
    reopened = EvidenceStore(store.root)
    assert reopened.check() == []
    sealed(reopened, 4)
    assert reopened.check() == [] and [x["seq"] for x in reopened.ledger()] == [1, 2, 3, 4]


def test_a_bundle_written_but_not_listed_is_reported_not_trusted(store: EvidenceStore) -> None:
    # a crash between writing the manifest and appending its ledger line
    art = store.put_blob(b"orphan", "text/plain")
    body = canonical({"version": 1, "artifacts": {"x": art.to_dict()}})
    path = store.bundle_path(sha256(body))
    path.parent.mkdir(parents=True)
    path.write_bytes(body)
    assert store.check() == [f"bundle {sha256(body)} is on disk but in no ledger line"]


def test_unstamped_bundles_are_read_off_the_ledger_and_tokens_are_checked(
    store: EvidenceStore,
) -> None:
    ids = store.bundle_ids()
    assert store.unstamped() == ids  # nothing stamped yet: all are queued
    store.add_timestamp(ids[1], b"token bytes", "http://127.0.0.1:1/tsa", "2026-11-25T00:00:01Z")
    assert store.unstamped() == [ids[0], ids[2]]
    assert store.stamps()[ids[1]]["tsr_sha256"] == sha256(b"token bytes")
    assert store.check() == []
    with pytest.raises(StoreError, match="already time-stamped"):
        store.add_timestamp(ids[1], b"another", "x", "y")
    store.timestamp_path(ids[1]).write_bytes(b"forged token")
    assert store.check() == [
        f"bundle {ids[1]}: time-stamp token changed since ledger line 4 noted it"
    ]
    store.timestamp_path(ids[1]).unlink()
    assert store.check() == [f"bundle {ids[1]}: its time-stamp token (ledger line 4) was removed"]
