#!/usr/bin/env python3
"""Seeds fuzz/seeds/<target>/ from the test fixtures (and a few inputs built here).

Run from anywhere: `python3 fuzz/seed-corpus.py`. Existing seeds are replaced. The seeds are
committed; the working corpus libFuzzer grows (fuzz/corpus/) is not.
"""
import gzip, io, shutil, sqlite3, tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fuzz" / "seeds"
CAT = ROOT / "crates/drydock-catalog/tests/fixtures"
SBOM = ROOT / "crates/drydock-sbom/tests/fixtures/decode"
FEEDS = ROOT / "crates/drydock-vulndb/tests/fixtures/vulndata"
MAX = 64 * 1024

seeds = {}


def add(target, name, data):
    if len(data) <= MAX:
        seeds.setdefault(target, {})[name] = data


def add_files(target, paths):
    for p in paths:
        if p.is_file():
            add(target, p.relative_to(ROOT).as_posix().replace("/", "_"), p.read_bytes())


STATUS = b"""Package: libc6
Status: install ok installed
Architecture: amd64
Source: glibc (2.36-9+deb12u4)
Version: 2.36-9+deb12u4
Depends: libgcc-s1, libc-bin (= 2.36-9+deb12u4) | libc-dev
Provides: libc6-x
Description: GNU C Library
 continuation
 .

Package: removed
Status: deinstall ok config-files
Version: 1
"""
APK = b"""C:Q1abc=
P:musl
V:1.2.4-r2
A:x86_64
o:musl
L:MIT
T:the musl c library
F:lib
R:ld-musl-x86_64.so.1
Z:Q1def=

P:busybox
V:1.36.1-r5
D:so:libc.musl-x86_64.so.1
"""


def tar_bytes(entries, whiteout=True):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as t:
        for name, data in entries:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("usr/lib/libc.so")
        link.type = tarfile.SYMTYPE
        link.linkname = "../../lib/libc.so.6"
        t.addfile(link)
        if whiteout:
            w = tarfile.TarInfo("etc/.wh.old.conf")
            t.addfile(w)
            o = tarfile.TarInfo("opt/.wh..wh..opq")
            t.addfile(o)
    return buf.getvalue()


layer = tar_bytes([
    ("var/lib/dpkg/status", STATUS),
    ("lib/apk/db/installed", APK),
    ("etc/os-release", b'ID=debian\nVERSION_ID="12"\n'),
    ("app/node_modules/a/package.json", b'{"name":"a","version":"1.0.0"}'),
])
add("layer", "plain.tar", layer)
add("layer", "layer.tar.gz", gzip.compress(layer))

add("dpkg", "status", STATUS)
add_files("dpkg", [CAT / "binary/var/lib/dpkg/status"])
add("apk", "installed", APK)

add_files("rpm_bdb", [CAT / "rpm/Packages", CAT / "rpm/Packages.be512"])
add_files("rpm_ndb", [CAT / "rpm/Packages.db"])
db = sqlite3.connect(CAT / "rpm/rpmdb.sqlite")
for i, (blob,) in enumerate(db.execute("SELECT blob FROM Packages LIMIT 3")):
    add("rpm_header", f"header-{i}", bytes(blob))
db.close()
# rpmdb.sqlite is larger than a seed should be; a minimal database with one header stands in.
small = ROOT / "fuzz" / ".rpmdb-seed.sqlite"
small.unlink(missing_ok=True)
s = sqlite3.connect(small)
s.execute("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)")
if "rpm_header" in seeds:
    s.execute("INSERT INTO Packages (blob) VALUES (?)", (seeds["rpm_header"]["header-0"],))
s.commit()
s.close()
add("rpm_sqlite", "rpmdb.sqlite", small.read_bytes())
small.unlink()

js = sorted((CAT / "javascript").rglob("package.json"))
add_files("package_json", js)
add_files("lockfiles", js[:4] + sorted((CAT / "javascript").rglob("*.lock")) + sorted((CAT / "javascript").rglob("pnpm-lock.yaml"))[:2])
add_files("lockfiles", sorted((CAT / "python").rglob("*"))[:8])
add_files("jar", sorted((CAT / "java").rglob("*"))[:8])
add_files("binaries", sorted((CAT / "binary").rglob("*"))[:8] + sorted((CAT / "rust").rglob("*"))[:4])

add_files("sbom_cyclonedx", [SBOM / "cyclonedx-1.5.json"])
add_files("sbom_spdx", [SBOM / "spdx-2.2.json", SBOM / "spdx-2.3.json"])
add_files("sbom_syft", [SBOM / "syft.json"])
add_files("sbom_any", sorted(SBOM.glob("*.json")))

for i, pair in enumerate([
    b"1:2.36-9+deb12u4\x002.36-9",
    b"1.2.3-rc.1+build\x001.2.3",
    b"2.0.0.post1.dev3\x002.0.0a1",
    b"1.0-SNAPSHOT\x001.0.0.RELEASE",
    b"v1.21.3+incompatible\x00go1.21rc2",
    b"3.0.15-r0\x003.0.15_rc1-r1",
    b"1.0.0-beta.2\x001.0.0-Beta.10",
    b"~1.2.3\x00^1.2",
]):
    add("versions", f"pair-{i}", pair)

add_files("feeds", sorted(FEEDS.rglob("*.json"))[:10] + sorted(FEEDS.rglob("*.md"))[:2] + sorted(FEEDS.rglob("*.csv")))

for target, files in seeds.items():
    d = CORPUS / target
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)
    for name, data in files.items():
        (d / name).write_bytes(data)
    print(f"{target}: {len(files)} seeds")
