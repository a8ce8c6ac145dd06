"""The vendored JavaScript is exactly what VENDOR.json pins: every file listed
is on disk with its sha256, nothing unlisted sits beside them, and the
re-fetch checks a tarball's integrity before it trusts a byte of it (shown
with tarballs made here: the suite reaches no registry)."""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import tarfile
from pathlib import Path
from typing import Any

import pytest

from crawler.interfaces.web.vendor import VENDOR, check, integrity, load, refetch


def test_every_vendored_file_is_the_pinned_one() -> None:
    assert check() == []
    manifest = load()
    on_disk = {p.relative_to(VENDOR).as_posix() for p in VENDOR.rglob("*") if p.is_file()}
    listed = {f"{p['folder']}/{f['path']}" for p in manifest["packages"] for f in p["files"]} | {
        "VENDOR.json"
    }
    assert on_disk == listed


def test_the_pins() -> None:
    packages = {p["name"]: p for p in load()["packages"]}
    assert set(packages) == {"htmx.org", "echarts", "replaywebpage"}
    assert packages["htmx.org"]["version"].startswith("2.0.")  # the line the docs describe
    assert packages["echarts"]["version"].startswith("6.")
    assert packages["replaywebpage"]["version"].startswith("2.")
    for name, p in packages.items():
        assert p["tarball"] == f"{name}/-/{name}-{p['version']}.tgz"
        assert re.fullmatch(r"sha512-[A-Za-z0-9+/]{86}==", p["integrity"])
        paths = [f["path"] for f in p["files"]]
        assert "LICENSE" in paths, name
        for f in p["files"]:
            assert (VENDOR / p["folder"] / f["path"]).stat().st_size == f["bytes"]
    # ReplayWeb.page: the embed script, its service worker (also its web worker)
    assert {"ui.js", "sw.js"} <= {f["path"] for f in packages["replaywebpage"]["files"]}


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    folder = tmp_path / "vendor"
    shutil.copytree(VENDOR, folder)
    return folder


def test_check_finds_a_changed_a_missing_and_a_stray_file(copy: Path) -> None:
    assert check(copy) == []
    htmx = copy / "htmx.org" / "htmx.min.js"
    htmx.write_bytes(htmx.read_bytes().replace(b"htmx", b"htmX", 1))
    (copy / "echarts" / "NOTICE").unlink()
    (copy / "replaywebpage" / "extra.js").write_text("alert(1)")
    assert check(copy) == [
        "changed: htmx.org/htmx.min.js (not the sha256 pinned)",
        "missing: echarts/NOTICE",
        "not in VENDOR.json: replaywebpage/extra.js",
    ]


def _tarball(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for path, data in files.items():
            info = tarfile.TarInfo(f"package/{path}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def _small_vendor(folder: Path, tarball: bytes, files: dict[str, bytes]) -> None:
    """A one-package vendor folder pinned to ``tarball``, its files written."""
    entries = [
        {"path": p, "from": p, "bytes": len(d), "sha256": hashlib.sha256(d).hexdigest()}
        for p, d in files.items()
    ]
    manifest: dict[str, Any] = {
        "packages": [
            {
                "name": "tiny",
                "version": "1.0.0",
                "license": "0BSD",
                "folder": "tiny",
                "tarball": "tiny/-/tiny-1.0.0.tgz",
                "integrity": integrity(tarball),
                "files": entries,
            }
        ]
    }
    (folder / "tiny").mkdir(parents=True)
    for p, d in files.items():
        (folder / "tiny" / p).write_bytes(d)
    (folder / "VENDOR.json").write_text(json.dumps(manifest))


def test_refetch_trusts_only_the_pinned_tarball(tmp_path: Path) -> None:
    files = {"tiny.js": b"window.tiny = 1;\n", "LICENSE": b"0BSD\n"}
    good = _tarball(files)
    _small_vendor(tmp_path, good, files)
    url = "https://registry.example/tiny/-/tiny-1.0.0.tgz"

    def serves(tarball: bytes, said: str) -> Any:
        return lambda spec: (tarball, {"tarball": url, "integrity": said})

    assert refetch(tmp_path, fetch=serves(good, integrity(good))) == []
    # the registry's bytes are not what its metadata says
    assert refetch(tmp_path, fetch=serves(good, integrity(b"other"))) == [
        "tiny@1.0.0: tarball does not match the registry's integrity"
    ]
    # a tarball republished under the same version: not the one pinned
    evil = _tarball({**files, "tiny.js": b"fetch('//x')\n"})
    assert refetch(tmp_path, fetch=serves(evil, integrity(evil))) == [
        "tiny@1.0.0: tarball is not the one pinned in VENDOR.json"
    ]
    # a file edited on disk is found, and --write puts the tarball's back
    (tmp_path / "tiny" / "tiny.js").write_bytes(b"edited")
    assert refetch(tmp_path, fetch=serves(good, integrity(good))) == [
        "tiny: tiny.js: the file on disk is not the tarball's"
    ]
    assert refetch(tmp_path, write=True, fetch=serves(good, integrity(good))) == []
    assert (tmp_path / "tiny" / "tiny.js").read_bytes() == files["tiny.js"]


def test_moving_a_pin_takes_the_new_version_whole(tmp_path: Path) -> None:
    files = {"tiny.js": b"window.tiny = 1;\n", "LICENSE": b"0BSD\n"}
    _small_vendor(tmp_path, _tarball(files), files)
    newer = _tarball({"tiny.js": b"window.tiny = 2;\n", "LICENSE": b"0BSD\n"})
    seen: list[str] = []

    def fetch(spec: str) -> tuple[bytes, dict[str, Any]]:
        seen.append(spec)
        url = "https://mirror.example/npm/tiny/-/tiny-1.1.0.tgz"
        return newer, {"tarball": url, "integrity": integrity(newer)}

    assert refetch(tmp_path, write=True, pins=["tiny@1.1.0"], fetch=fetch) == []
    assert seen == ["tiny@1.1.0"]
    (pinned,) = load(tmp_path)["packages"]
    assert pinned["version"] == "1.1.0" and pinned["integrity"] == integrity(newer)
    assert pinned["tarball"] == "tiny/-/tiny-1.1.0.tgz"  # the path, not the mirror's host
    assert (tmp_path / "tiny" / "tiny.js").read_bytes() == b"window.tiny = 2;\n"
    assert check(tmp_path) == []
    with pytest.raises(ValueError, match="not a vendored"):
        refetch(tmp_path, pins=["left-pad@1.3.0"], fetch=fetch)
