#!/usr/bin/env python3
"""Validate CycloneDX or SPDX JSON documents written by drydock.

The test suite runs it (crates/drydock-sbom/tests/it/formats.rs on SBOM samples,
crates/drydock/tests/it/sarif.rs on a scan's CycloneDX with vulnerabilities); under CI=true a
missing package fails those tests instead of skipping the check.

CycloneDX documents are checked against the official JSON schema of their specVersion, as
shipped by cyclonedx-python-lib (bom-1.x.schema.json with spdx.schema.json and
jsf-0.82.schema.json beside it).

SPDX 2.x documents are parsed and validated by spdx-tools (the SPDX project's own library:
structure, SPDX ids, license expressions, references, relationships) and, when a copy of the
official SPDX 2.3 JSON schema is given with --spdx-schema (or SPDX_SCHEMA), also against it
(no PyPI package ships that schema; spdx-spec's schemas/spdx-schema.json at tag v2.3 is it).

Setup:   python3 -m pip install cyclonedx-python-lib jsonschema spdx-tools
Usage:   scripts/validate-sbom.py [--spdx-schema spdx-schema.json] FILE...
Samples: DRYDOCK_SBOM_DUMP_DIR=/tmp/sboms cargo test -p drydock-sbom --test it formats::
         scripts/validate-sbom.py /tmp/sboms/*.json
Exit status: 0 when every file is valid, 1 otherwise, 2 on a usage or setup error.
"""

import argparse
import glob
import json
import os
import sys
from urllib.parse import urljoin


def fail_setup(msg):
    print(f"error: {msg}", file=sys.stderr)
    sys.exit(2)


def cyclonedx_schema_dir():
    try:
        import cyclonedx.schema._res as res
    except ImportError:
        fail_setup("cyclonedx-python-lib is not installed (pip install cyclonedx-python-lib)")
    return os.path.dirname(res.__file__)


def validate_cyclonedx(doc):
    try:
        import jsonschema
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT7
    except ImportError:
        fail_setup("jsonschema is not installed (pip install jsonschema)")
    version = doc.get("specVersion", "")
    res_dir = cyclonedx_schema_dir()
    candidates = [f"bom-{version}.schema.json", f"bom-{version}.SNAPSHOT.schema.json"]
    path = next((os.path.join(res_dir, c) for c in candidates if os.path.exists(os.path.join(res_dir, c))), None)
    if path is None:
        return [f"no CycloneDX schema for specVersion {version!r} in {res_dir}"]
    with open(path, encoding="utf-8") as f:
        schema = json.load(f)
    base = schema.get("$id", "http://cyclonedx.org/schema/")
    # Make the schema's relative $refs (spdx.schema.json, jsf-0.82.schema.json) resolvable.
    registry = Registry()
    for other in glob.glob(os.path.join(res_dir, "*.schema.json")):
        with open(other, encoding="utf-8") as f:
            contents = json.load(f)
        resource = Resource.from_contents(contents, default_specification=DRAFT7)
        name = os.path.basename(other)
        registry = registry.with_resource(urljoin(base, name), resource)
        registry = registry.with_resource(urljoin(base, name.replace(".SNAPSHOT", "")), resource)
        if "$id" in contents:
            registry = registry.with_resource(contents["$id"], resource)
    cls = jsonschema.validators.validator_for(schema)
    validator = cls(schema, registry=registry, format_checker=cls.FORMAT_CHECKER)
    print(f"  schema: {path}")
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in validator.iter_errors(doc)]


def validate_spdx(doc, path, schema_path):
    errors = []
    if schema_path:
        try:
            import jsonschema
        except ImportError:
            fail_setup("jsonschema is not installed (pip install jsonschema)")
        with open(schema_path, encoding="utf-8") as f:
            schema = json.load(f)
        cls = jsonschema.validators.validator_for(schema)
        print(f"  schema: {schema_path}")
        errors += [
            f"schema: {'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
            for e in cls(schema, format_checker=cls.FORMAT_CHECKER).iter_errors(doc)
        ]
    else:
        print("  schema: skipped (no --spdx-schema given)")
    try:
        from spdx_tools.spdx.parser.parse_anything import parse_file
        from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document
    except ImportError:
        fail_setup("spdx-tools is not installed (pip install spdx-tools)")
    try:
        document = parse_file(path)
    except Exception as e:  # the parser raises its own SPDXParsingError with a message list
        messages = getattr(e, "messages", None) or [str(e)]
        return errors + [f"spdx-tools parse: {m}" for m in messages]
    version = doc.get("spdxVersion", "SPDX-2.3")
    print(f"  spdx-tools: validate_full_spdx_document({version})")
    errors += [f"spdx-tools: {m.validation_message}" for m in validate_full_spdx_document(document, version)]
    return errors


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("files", nargs="+", help="CycloneDX or SPDX JSON documents")
    ap.add_argument("--spdx-schema", default=os.environ.get("SPDX_SCHEMA"), help="path to the SPDX 2.3 JSON schema")
    args = ap.parse_args()

    bad = 0
    for path in args.files:
        try:
            with open(path, encoding="utf-8") as f:
                doc = json.load(f)
        except (OSError, ValueError) as e:
            print(f"{path}: INVALID (not readable JSON: {e})")
            bad += 1
            continue
        if doc.get("bomFormat") == "CycloneDX":
            kind = f"CycloneDX {doc.get('specVersion')}"
            print(f"{path}: {kind}")
            errors = validate_cyclonedx(doc)
        elif str(doc.get("spdxVersion", "")).startswith("SPDX-2"):
            kind = doc["spdxVersion"]
            print(f"{path}: {kind}")
            errors = validate_spdx(doc, path, args.spdx_schema)
        else:
            print(f"{path}: INVALID (neither CycloneDX nor SPDX 2.x JSON)")
            bad += 1
            continue
        for e in errors:
            print(f"  - {e}")
        print(f"  {'INVALID' if errors else 'valid'}: {kind}")
        bad += bool(errors)
    print(f"{len(args.files) - bad} valid, {bad} invalid")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
