"""The evidence store: blobs by hash, sealed bundles, a ledger no one can
quietly edit, reorder or trim, and what a crash can and cannot leave behind."""

from __future__ import annotations

import json
from itertools import pairwise
from pathlib import Path

import pytest

from evidence.store import GENESIS, EvidenceStore, StoreError, canonical, sha256
from evidence.verify import structure_problems
from tests.conftest import sealed


@pytest.fixture
def store(tmp_path: Path) -> EvidenceStore:
    s = EvidenceStore(tmp_path / "evidence")
    for n in range(3):
        sealed(s, n)
    return s


def test_a_sealed_store_checks_clean_and_ids_are_manifest_hashes(store: EvidenceStore) -> None:
    assert structure_problems(store) == []
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
    (problem,) = structure_problems(store)
    assert problem.startswith(f"bundle {first}: artifact 'dom' changed")


def test_a_changed_manifest_is_named(store: EvidenceStore) -> None:
    first = next(store.ledger())["bundle"]
    path = store.bundle_path(first)
    path.write_bytes(path.read_bytes().replace(b"/ad/0", b"/ad/9"))
    assert structure_problems(store) == [
        f"bundle {first}: manifest changed (its SHA-256 is not its id)"
    ]


def test_a_removed_bundle_is_named(store: EvidenceStore) -> None:
    second = list(store.ledger())[1]["bundle"]
    store.bundle_path(second).unlink()
    assert structure_problems(store) == [f"bundle {second} was removed (its manifest is missing)"]


def test_an_edited_ledger_line_is_named(store: EvidenceStore) -> None:
    lines = store.ledger_path.read_text().splitlines()
    entry = json.loads(lines[1])
    entry["at"] = "2020-01-01T00:00:00.000000Z"  # backdated
    lines[1] = json.dumps(entry)
    store.ledger_path.write_text("\n".join(lines) + "\n")
    problems = structure_problems(store)
    assert problems[0] == "ledger line 2 was edited (its hash does not match its content)"


def test_a_removed_or_reordered_ledger_line_breaks_the_chain(store: EvidenceStore) -> None:
    lines = store.ledger_path.read_text().splitlines()
    store.ledger_path.write_text("\n".join([lines[0], lines[2]]) + "\n")
    problems = structure_problems(store)
    assert any(p.startswith("ledger line 2 does not follow line 1") for p in problems)
    assert any("is on disk but in no ledger line" in p for p in problems)
    store.ledger_path.write_text("\n".join([lines[1], lines[0], lines[2]]) + "\n")
    assert any("does not follow" in p for p in structure_problems(store))


def test_a_torn_last_line_is_cut_and_the_chain_goes_on(store: EvidenceStore) -> None:
    with store.ledger_path.open("ab") as f:
        f.write(b'{"bundle":"abc","se')  # the crash hit in the middle of an append
    reopened = EvidenceStore(store.root)
    assert structure_problems(reopened) == []
    sealed(reopened, 4)
    assert structure_problems(reopened) == [] and [x["seq"] for x in reopened.ledger()] == [
        1,
        2,
        3,
        4,
    ]


def test_a_bundle_written_but_not_listed_is_reported_not_trusted(store: EvidenceStore) -> None:
    # a crash between writing the manifest and appending its ledger line
    art = store.put_blob(b"orphan", "text/plain")
    body = canonical({"version": 1, "artifacts": {"x": art.to_dict()}})
    path = store.bundle_path(sha256(body))
    path.parent.mkdir(parents=True)
    path.write_bytes(body)
    assert structure_problems(store) == [f"bundle {sha256(body)} is on disk but in no ledger line"]


def test_unstamped_bundles_are_read_off_the_ledger_and_tokens_are_checked(
    store: EvidenceStore,
) -> None:
    ids = store.bundle_ids()
    assert store.unstamped() == ids  # nothing stamped yet: all are queued
    store.add_timestamp(ids[1], b"token bytes", "http://127.0.0.1:1/tsa", "2026-11-25T00:00:01Z")
    assert store.unstamped() == [ids[0], ids[2]]
    assert store.stamps()[ids[1]]["tsr_sha256"] == sha256(b"token bytes")
    assert structure_problems(store) == []
    with pytest.raises(StoreError, match="already time-stamped"):
        store.add_timestamp(ids[1], b"another", "x", "y")
    store.timestamp_path(ids[1]).write_bytes(b"forged token")
    assert structure_problems(store) == [
        f"bundle {ids[1]}: time-stamp token changed since ledger line 4 noted it"
    ]
    store.timestamp_path(ids[1]).unlink()
    assert structure_problems(store) == [
        f"bundle {ids[1]}: its time-stamp token (ledger line 4) was removed"
    ]


def test_a_complete_last_line_without_its_newline_is_kept(store: EvidenceStore) -> None:
    data = store.ledger_path.read_bytes()
    store.ledger_path.write_bytes(data.rstrip(b"\n"))  # an editor dropped the newline
    reopened = EvidenceStore(store.root)
    assert reopened.ledger_path.read_bytes() == data and structure_problems(reopened) == []


def test_a_torn_line_is_moved_aside_not_dropped(store: EvidenceStore) -> None:
    with store.ledger_path.open("ab") as f:
        f.write(b'{"bundle":"abc","se')
    EvidenceStore(store.root)
    (side,) = store.root.glob("ledger.torn-*")
    assert side.read_bytes() == b'{"bundle":"abc","se'


def test_a_read_only_store_changes_nothing(store: EvidenceStore) -> None:
    with store.ledger_path.open("ab") as f:
        f.write(b'{"bundle":"abc","se')
    before = store.ledger_path.read_bytes()
    readonly = EvidenceStore(store.root, readonly=True)
    assert structure_problems(readonly)  # the torn line is reported...
    assert store.ledger_path.read_bytes() == before  # ...and left as it is
    assert not list(store.root.glob("ledger.torn-*"))
    with pytest.raises(StoreError, match="read-only"):
        readonly._append({"bundle": "x"})


FULL_DISK = r"""
import resource, signal, sys
from evidence.store import EvidenceStore, StoreError
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
store = EvidenceStore(sys.argv[1])
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[2]), int(sys.argv[2])))
n = 0
try:
    while True:
        blob = store.put_blob(b"x" * 600 + str(n).encode(), "text/plain")
        store.seal({"a": blob}, {"n": n})
        n += 1
except StoreError as exc:
    print("stopped:", n, exc)
"""


def test_a_full_disk_stops_sealing_cleanly_and_loses_nothing_sealed(tmp_path: Path) -> None:
    """The ledger may not grow past its limit: the write that fails is cut back,
    the error is a StoreError naming the file, and every bundle sealed before
    it still checks clean."""
    import subprocess
    import sys

    root = tmp_path / "evidence"
    EvidenceStore(root)
    done = subprocess.run(
        [sys.executable, "-c", FULL_DISK, str(root), "4000"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert "stopped:" in done.stdout, done.stderr
    assert "could not append to" in done.stdout and "ledger.jsonl" in done.stdout
    sealed = int(done.stdout.split()[1])
    assert sealed >= 5
    store = EvidenceStore(root, readonly=True)
    assert store.ledger_path.read_bytes().endswith(b"\n")  # no half line
    assert len(store.bundle_ids()) == sealed
    problems = structure_problems(store)
    # at most the bundle whose ledger line could not be written is left unlisted
    assert all("is on disk but in no ledger line" in p for p in problems), problems


def test_a_note_joins_the_chain_and_is_no_bundle(store: EvidenceStore) -> None:
    before = store.bundle_ids()
    seq = store.note({"review": "r1", "decision": "confirmed", "note": "\u202e<b>好</b>"})
    assert seq == 4
    line = list(store.ledger())[-1]
    assert line["review"] == "r1" and line["note"] == "\u202e<b>好</b>"
    assert line["at"].endswith("Z") and line["prev"] == list(store.ledger())[-2]["hash"]
    body = {k: v for k, v in line.items() if k != "hash"}
    assert sha256(canonical(body)) == line["hash"]
    assert store.note({"referral": "case-1", "at": "2026-11-25T00:00:00Z"}) == 5
    assert list(store.ledger())[-1]["at"] == "2026-11-25T00:00:00Z"  # kept when given
    after = sealed(store, 3)  # the chain goes on after notes
    assert store.bundle_ids() == [*before, after] and store.unstamped() == [*before, after]
    assert structure_problems(store) == []


@pytest.mark.parametrize("key", ["bundle", "timestamp", "head", "seq", "prev", "hash"])
def test_a_note_may_not_pass_for_a_bundle_a_token_or_the_chain(
    store: EvidenceStore, key: str
) -> None:
    size = store.ledger_path.stat().st_size
    with pytest.raises(StoreError, match=key):
        store.note({"review": "r1", key: "f" * 64})
    with pytest.raises(StoreError, match="JSON"):
        store.note({"review": object()})
    assert store.ledger_path.stat().st_size == size
    with pytest.raises(StoreError, match="read-only"):
        EvidenceStore(store.root, readonly=True).note({"review": "r1"})
