"""The JavaScript the workbench serves from ``static/vendor/``, pinned in
``static/vendor/VENDOR.json``: htmx, ECharts and ReplayWeb.page, each copied
unmodified out of its npm tarball with its licence.

Nothing is fetched when adwatch is installed or run: the files are in the
repository.  This developer script is how they got there and how anyone can
check them again:

    python -m crawler.interfaces.web.vendor --check   # offline: files on disk as pinned
    python -m crawler.interfaces.web.vendor           # fetch the pinned tarballs, compare
    python -m crawler.interfaces.web.vendor --write   # fetch them and write the files
    python -m crawler.interfaces.web.vendor --pin echarts@6.1.1 --write   # move a pin

Tarballs come through the ordinary npm client (``npm pack``, ``npm view``),
so whatever registry or mirror npm is configured with serves them; the
sha512 integrity pinned here (npm's own, from the registry's metadata) makes
the bytes the same wherever they come from.  The manifest keeps each
tarball's path on the registry, not a host.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

VENDOR = Path(__file__).resolve().parent / "static" / "vendor"
MANIFEST = "VENDOR.json"

# name@version -> (the tarball's bytes, the registry's dist metadata: tarball, integrity)
Fetch = Callable[[str], tuple[bytes, dict[str, Any]]]


def load(folder: Path = VENDOR) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    return manifest


def save(manifest: dict[str, Any], folder: Path = VENDOR) -> None:
    text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    (folder / MANIFEST).write_text(text, encoding="utf-8")


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def integrity(data: bytes) -> str:
    """npm's Subresource-Integrity form of a tarball's digest."""
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode("ascii")


def check(folder: Path = VENDOR) -> list[str]:
    """Offline: what is wrong with the files on disk (missing, changed, or not
    in the manifest at all).  An empty list means every file is the pinned one."""
    problems: list[str] = []
    listed = {folder / MANIFEST}
    for package in load(folder)["packages"]:
        for entry in package["files"]:
            path = folder / package["folder"] / entry["path"]
            listed.add(path)
            if not path.is_file():
                problems.append(f"missing: {path.relative_to(folder)}")
            elif sha256_file(path) != entry["sha256"]:
                problems.append(f"changed: {path.relative_to(folder)} (not the sha256 pinned)")
    for path in sorted(folder.rglob("*")):
        if path not in listed and not path.is_dir():
            problems.append(f"not in {MANIFEST}: {path.relative_to(folder)}")
    return problems


def npm_fetch(spec: str) -> tuple[bytes, dict[str, Any]]:
    """The tarball of ``name@version`` and its dist metadata, through npm."""
    view = subprocess.run(
        ["npm", "view", "--json", spec, "dist"], capture_output=True, text=True, check=True
    )
    dist: dict[str, Any] = json.loads(view.stdout)
    with tempfile.TemporaryDirectory(prefix="adwatch-vendor-") as tmp:
        pack = subprocess.run(
            ["npm", "pack", "--json", "--pack-destination", tmp, spec],
            capture_output=True,
            text=True,
            check=True,
        )
        (packed,) = json.loads(pack.stdout)
        data = (Path(tmp) / packed["filename"]).read_bytes()
    return data, dist


def registry_path(tarball_url: str, name: str) -> str:
    """The tarball's path on its registry (``htmx.org/-/htmx.org-2.0.11.tgz``),
    the same on the registry and on any mirror of it."""
    at = tarball_url.find(f"/{name}/-/")
    if at < 0:
        raise ValueError(f"not an npm tarball URL of {name}: {tarball_url}")
    return tarball_url[at + 1 :]


def members(tarball: bytes) -> dict[str, bytes]:
    """The regular files of an npm tarball, by path inside the package (its
    top folder, usually ``package/``, dropped)."""
    files: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as tar:
        for member in tar.getmembers():
            if not member.isfile() or "/" not in member.name:
                continue
            extracted = tar.extractfile(member)
            if extracted is not None:
                files[member.name.split("/", 1)[1]] = extracted.read()
    return files


def refetch(
    folder: Path = VENDOR,
    write: bool = False,
    pins: Iterable[str] = (),
    fetch: Fetch = npm_fetch,
) -> list[str]:
    """Fetch each pinned tarball, check its integrity against the manifest and
    the registry's metadata, and compare each kept file with its pinned sha256
    (``write``: write the files too).  ``pins`` (``name@version``) move pins
    first: the manifest takes the new version's tarball, integrity and hashes,
    and is saved when ``write``.  Returns the problems found."""
    manifest = load(folder)
    packages = {p["name"]: p for p in manifest["packages"]}
    moved: dict[str, str] = {}
    for spec in pins:
        name, _, version = spec.rpartition("@")
        if name not in packages or not version:
            raise ValueError(f"not a vendored package@version: {spec}")
        moved[name] = version
    problems: list[str] = []
    for name, package in packages.items():
        version = moved.get(name, package["version"])
        tarball, dist = fetch(f"{name}@{version}")
        got = integrity(tarball)
        if got != dist.get("integrity"):
            problems.append(f"{name}@{version}: tarball does not match the registry's integrity")
            continue
        if name in moved:
            package["version"] = version
            package["integrity"] = got
            package["tarball"] = registry_path(str(dist["tarball"]), name)
        elif got != package["integrity"] or not str(dist.get("tarball", "")).endswith(
            "/" + package["tarball"]
        ):
            problems.append(f"{name}@{version}: tarball is not the one pinned in {MANIFEST}")
            continue
        problems += _compare(folder, package, members(tarball), write, repin=name in moved)
    if write:
        save(manifest, folder)
        problems += check(folder)
    return problems


def _compare(
    folder: Path, package: dict[str, Any], inside: dict[str, bytes], write: bool, repin: bool
) -> list[str]:
    problems: list[str] = []
    for entry in package["files"]:
        label = f"{package['name']}: {entry['from']}"
        data = inside.get(entry["from"])
        if data is None:
            problems.append(f"{label}: not in the tarball")
            continue
        digest = hashlib.sha256(data).hexdigest()
        if repin:
            entry["sha256"], entry["bytes"] = digest, len(data)
        elif digest != entry["sha256"]:
            problems.append(f"{label}: sha256 in the tarball differs from {MANIFEST}")
            continue
        path = folder / package["folder"] / entry["path"]
        if write:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        elif not path.is_file() or sha256_file(path) != digest:
            problems.append(f"{label}: the file on disk is not the tarball's")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m crawler.interfaces.web.vendor", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--check", action="store_true", help="offline: hash the files on disk")
    parser.add_argument("--write", action="store_true", help="write the files from the tarballs")
    parser.add_argument(
        "--pin", action="append", default=[], metavar="NAME@VERSION", help="move a pin"
    )
    args = parser.parse_args(argv)
    if args.check and (args.write or args.pin):
        parser.error("--check reads only the disk: no --write or --pin with it")
    if args.pin and not args.write:
        parser.error("--pin changes VENDOR.json: add --write")
    problems = check() if args.check else refetch(write=args.write, pins=args.pin)
    for line in problems:
        print(line, file=sys.stderr)
    if not problems:
        count = sum(len(p["files"]) for p in load()["packages"])
        print(f"{count} vendored files match {MANIFEST}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
