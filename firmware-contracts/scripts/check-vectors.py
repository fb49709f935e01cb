#!/usr/bin/python3
"""Checks firmware-contracts/vectors/ with an implementation independent of the TypeScript one.

COBS and the frame header are decoded here, the CRC is computed with zlib.crc32
(CRC-32/ISO-HDLC), and every CBOR body and payload is decoded with cbor2 and compared to
the vector's JSON, strictly: a JSON integer must come back as a CBOR integer, a JSON float
as a CBOR float, and {"$float": "NaN" | "Infinity" | "-Infinity"} as that float.

With --schemas DIR it also validates every decoded body and payload against the exported
JSON Schema (DIR/frame-<type>.json, DIR/payload-<kind>.json) with python3-jsonschema, and
checks that the vectors marked as schema errors fail that validation.

Usage: /usr/bin/python3 check-vectors.py VECTORS_DIR [--schemas SCHEMA_DIR]
(Debian: apt-get install python3-cbor2 python3-jsonschema)
Prints a JSON summary; exits 1 if any vector disagrees.
"""
import json
import math
import os
import sys
import zlib

import cbor2

FRAME_VERSION = 1
TYPE_CODES = {"readings": 1, "hello": 2, "event": 3, "command": 4, "ack": 5}
MAX_FRAME_BYTES = 4096
MIN_FRAME_BYTES = 9


def cobs_decode(data):
    out = bytearray()
    i = 0
    while i < len(data):
        code = data[i]
        if code == 0 or i + code > len(data):
            raise ValueError("bad COBS")
        out += data[i + 1 : i + code]
        i += code
        if code != 0xFF and i < len(data):
            out.append(0)
    return bytes(out)


def untag(v):
    if isinstance(v, dict):
        if len(v) == 1 and isinstance(v.get("$float"), str):
            return float(v["$float"].replace("Infinity", "inf"))
        return {k: untag(x) for k, x in v.items()}
    if isinstance(v, list):
        return [untag(x) for x in v]
    return v


def same(got, want, path="$"):
    """Returns None if equal, else a description of the first difference."""
    if isinstance(want, float) and math.isnan(want):
        return None if isinstance(got, float) and math.isnan(got) else f"{path}: want NaN, got {got!r}"
    if type(got) is not type(want):
        return f"{path}: want {type(want).__name__} {want!r}, got {type(got).__name__} {got!r}"
    if isinstance(want, dict):
        if set(got) != set(want):
            return f"{path}: keys {sorted(got)} != {sorted(want)}"
        for k in want:
            d = same(got[k], want[k], f"{path}.{k}")
            if d:
                return d
        return None
    if isinstance(want, list):
        if len(got) != len(want):
            return f"{path}: length {len(got)} != {len(want)}"
        for i, (g, w) in enumerate(zip(got, want)):
            d = same(g, w, f"{path}[{i}]")
            if d:
                return d
        return None
    return None if got == want else f"{path}: want {want!r}, got {got!r}"


def classify_frame(wire):
    """Decodes one wire frame like the TypeScript decoder; returns (reason or None, header, body)."""
    if wire[-1] != 0 or 0 in wire[:-1]:
        raise AssertionError("a vector holds exactly one frame and its delimiter")
    enc = wire[:-1]
    if len(enc) > MAX_FRAME_BYTES + math.ceil(MAX_FRAME_BYTES / 254):
        return "oversize", None, None
    try:
        raw = cobs_decode(enc)
    except ValueError:
        return "cobs", None, None
    if len(raw) > MAX_FRAME_BYTES:
        return "oversize", None, None
    if len(raw) < MIN_FRAME_BYTES:
        return "crc", None, None
    if zlib.crc32(raw[:-4]) != int.from_bytes(raw[-4:], "big"):
        return "crc", None, None
    header = (raw[0], raw[1], int.from_bytes(raw[2:4], "big"))
    if raw[0] != FRAME_VERSION:
        return "version", header, None
    if raw[1] not in TYPE_CODES.values():
        return "type", header, None
    try:
        body = cbor2.loads(raw[4:-4])
    except Exception:
        return "cbor", header, None
    return None, header, body


SCHEMAS = {}


def schema_problem(name, value, must_fail=False):
    """Validates value against schema file `name` when --schemas was given."""
    if not SCHEMAS:
        return None
    errors = list(SCHEMAS["validator"](SCHEMAS["dir"], name).iter_errors(value))
    if must_fail:
        return None if errors else f"{name} accepted a value the vector says is a schema error"
    return f"{name}: {errors[0].message}" if errors else None


def check_frame(v):
    wire = bytes.fromhex(v["wire"])
    reason, header, body = classify_frame(wire)
    if v.get("error") == "schema" and reason is None:
        type_name = {c: n for n, c in TYPE_CODES.items()}[header[1]]
        return schema_problem(f"frame-{type_name}.json", body, must_fail=True)
    if "error" in v:
        # Schema errors need the zod schemas; here the CBOR must at least decode.
        want = None if v["error"] == "schema" else v["error"]
        return None if reason == want else f"want error {v['error']!r}, got {reason!r}"
    if reason:
        return f"valid vector failed here: {reason}"
    raw = cobs_decode(wire[:-1])
    if raw.hex() != v["frame"] or raw[4:-4].hex() != v["body"] or raw[-4:].hex() != v["crc"]:
        return "frame/body/crc hex fields disagree with wire"
    d = v["decoded"]
    if header != (d["version"], TYPE_CODES[d["type"]], d["seq"]):
        return f"header {header} != {(d['version'], d['type'], d['seq'])}"
    return same(body, untag(d["body"]), "$.body") or schema_problem(f"frame-{d['type']}.json", body)


def check_payload(v):
    data = bytes.fromhex(v["cbor"])
    try:
        got = cbor2.loads(data)
    except Exception as e:
        return None if v.get("error") == "cbor" else f"cbor2 failed: {e}"
    if v.get("error") == "schema":
        return schema_problem(f"payload-{v['kind']}.json", got, must_fail=True)
    if "error" in v:
        return "cbor2 decoded a vector that must fail as CBOR" if v["error"] == "cbor" else None
    return same(got, untag(v["decoded"])) or schema_problem(f"payload-{v['kind']}.json", got)


def cbor2_version():
    try:
        from importlib.metadata import version

        return version("cbor2")
    except Exception:
        return "unknown"


def load_schemas(schema_dir):
    import jsonschema

    cache = {}

    def validator(d, name):
        if name not in cache:
            with open(os.path.join(d, name)) as f:
                schema = json.load(f)
            jsonschema.Draft7Validator.check_schema(schema)
            cache[name] = jsonschema.Draft7Validator(schema)
        return cache[name]

    SCHEMAS.update(dir=schema_dir, validator=validator)


def main():
    args = sys.argv[1:]
    if "--schemas" in args:
        i = args.index("--schemas")
        load_schemas(args[i + 1])
        del args[i : i + 2]
    root = args[0]
    checked, failures = 0, []
    for sub, check in (("frames", check_frame), ("payloads", check_payload)):
        for name in sorted(os.listdir(os.path.join(root, sub))):
            if not name.endswith(".json"):
                continue
            with open(os.path.join(root, sub, name)) as f:
                vector = json.load(f)
            checked += 1
            problem = check(vector)
            if problem:
                failures.append({"vector": f"{sub}/{name}", "problem": problem})
    summary = {"checked": checked, "failures": failures, "cbor2": cbor2_version(), "schemas": bool(SCHEMAS)}
    print(json.dumps(summary))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
