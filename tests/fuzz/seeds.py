#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# seeds.py SRCDIR TARGET OUTDIR DICT - writes the seed corpus of one fuzz target (scenario, sweep,
# rtapp, perfsched) into OUTDIR and a libFuzzer dictionary (the seeds' keys, names and words) into
# DICT. Never writes under SRCDIR.
# Seeds: scenario - scenarios/*.json, tests/data/{bad,runs}/*.json, the inline `base` of sweeps;
#        sweep - sweeps/*.json, tests/data/{sweeps,bad}/*.json, and sweeps made here (inline base, zip,
#        a files axis, labels, point_name); rtapp - scenarios/rt-app/*.json, the inline rt-app
#        tasks of every scenario, the descriptions in tests/unit/wl/test_rtapp.c; perfsched -
#        tests/data/traces/*.txt cut into slices of 80 lines, tests/data/bad/*.txt, the traces in
#        tests/unit/wl/test_perfsched.c.
# The scenario and sweep targets read their input from $HVSIM_FUZZ_DIR (scripts/fuzz: a copy's
# scenarios/ and sweeps/): relative file paths in the seeds are rewritten to resolve from there.
import glob
import hashlib
import json
import os
import re
import sys

FILE_KEYS = ("file", "base", "files")
INPUT_DIR = {"scenario": "scenarios", "sweep": "sweeps"}


def rebase(value, src_dir, to_dir):
    """A relative path written in a file of src_dir, made relative to to_dir."""
    if not isinstance(value, str) or os.path.isabs(value):
        return value
    return os.path.relpath(os.path.join(src_dir, value), to_dir)


def rewrite(node, src_dir, to_dir):
    """Rewrites every relative `file`, `base` (a string) and `files` path of a JSON tree."""
    if isinstance(node, list):
        return [rewrite(v, src_dir, to_dir) for v in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for k, v in node.items():
        if k in FILE_KEYS and isinstance(v, list):
            out[k] = [rebase(p, src_dir, to_dir) for p in v]
        elif k in FILE_KEYS and isinstance(v, str):
            out[k] = rebase(v, src_dir, to_dir)
        else:
            out[k] = rewrite(v, src_dir, to_dir)
    return out


def load_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (ValueError, UnicodeDecodeError):
        return None


def c_string_blocks(path):
    """The string constants of a C file: adjacent literals joined, escapes decoded."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    blocks, cur, last_end = [], [], None
    for m in re.finditer(r'"((?:[^"\\\n]|\\.)*)"', text):
        if last_end is not None and text[last_end:m.start()].strip():
            blocks.append("".join(cur))
            cur = []
        cur.append(m.group(1).encode().decode("unicode_escape"))
        last_end = m.end()
    if cur:
        blocks.append("".join(cur))
    return blocks


def json_seeds(src, patterns, to_dir):
    """(name, text) of every JSON file matched, its relative paths rewritten; malformed ones as they are."""
    for pat in patterns:
        for path in sorted(glob.glob(os.path.join(src, pat))):
            rel_dir = os.path.relpath(os.path.dirname(path), src)
            doc = load_json(path)
            if doc is None:
                with open(path, "rb") as f:
                    yield path, f.read()
                continue
            yield path, json.dumps(rewrite(doc, rel_dir, to_dir), indent=1).encode()


def rtapp_inline(node):
    """Every inline rt-app description ({"tasks", "global"}) in a scenario tree."""
    if isinstance(node, list):
        for v in node:
            yield from rtapp_inline(v)
    elif isinstance(node, dict):
        if node.get("kind") == "rt-app" and "tasks" in node:
            yield {k: node[k] for k in ("tasks", "global") if k in node}
        for v in node.values():
            yield from rtapp_inline(v)


def seeds_scenario(src):
    yield from json_seeds(src, ["scenarios/*.json", "tests/data/bad/*.json", "tests/data/runs/*.json"], "scenarios")
    for path, text in seeds_sweep(src):
        doc = load_json_bytes(text)
        if "/bad/" in path:
            continue
        if isinstance(doc, dict) and isinstance(doc.get("base"), dict):
            yield path + "#base", json.dumps(doc["base"], indent=1).encode()


def load_json_bytes(text):
    try:
        return json.loads(text)
    except ValueError:
        return None


def seeds_sweep(src):
    yield from json_seeds(src, ["sweeps/*.json", "tests/data/sweeps/*.json", "tests/data/bad/*.json"], "sweeps")
    quick = load_json(os.path.join(src, "scenarios/quickstart.json"))
    quick["run"] = {"duration": "10ms", "warmup": 0}
    made = {
        "inline": {"base": quick, "axes": [{"path": "/vms/0/vcpus", "values": [1, 2]}]},
        "zip": {"base": "../scenarios/wl-cpu.json", "combine": "zip", "point_name": "v{vcpus}-s{seed}",
                "set": {"/run/duration": "10ms"},
                "axes": [{"path": ["/vms/0/vcpus"], "values": [1, 2], "labels": ["one", "two"]},
                         {"name": "seed", "path": "/run/seed", "values": [1, 2]}]},
        "files": {"replications": 2, "axes": [{"files": ["../scenarios/wl-cpu.json", "../scenarios/quickstart.json"]},
                                              {"path": "/run/seed", "values": [3, 4.5, "x", None, {"a": 1}]}]},
    }
    for name, doc in made.items():
        yield "made:" + name, json.dumps(doc, indent=1).encode()


def seeds_rtapp(src):
    for path in sorted(glob.glob(os.path.join(src, "scenarios/rt-app/*.json"))):
        with open(path, "rb") as f:
            yield path, f.read()
    for path in sorted(glob.glob(os.path.join(src, "scenarios/*.json")) + glob.glob(os.path.join(src, "tests/data/*/*.json"))):
        for i, desc in enumerate(rtapp_inline(load_json(path))):
            yield "%s#%d" % (path, i), json.dumps(desc, indent=1).encode()
    for i, block in enumerate(c_string_blocks(os.path.join(src, "tests/unit/wl/test_rtapp.c"))):
        if '"tasks"' in block and load_json_bytes(block) is not None:
            yield "test_rtapp.c#%d" % i, block.encode()


def seeds_perfsched(src):
    for path in sorted(glob.glob(os.path.join(src, "tests/data/traces/*.txt"))):
        with open(path, "rb") as f:
            lines = f.read().splitlines(keepends=True)
        head = [l for l in lines[:4] if l.startswith(b"#")]
        for start in range(0, len(lines), max(80, len(lines) // 12)):
            yield "%s@%d" % (path, start), b"".join(head + lines[start:start + 80])
    for path in sorted(glob.glob(os.path.join(src, "tests/data/bad/*.txt"))):
        with open(path, "rb") as f:
            yield path, f.read()
    for i, block in enumerate(c_string_blocks(os.path.join(src, "tests/unit/wl/test_perfsched.c"))):
        if "sched:" in block or "==>" in block:
            yield "test_perfsched.c#%d" % i, block.encode()


def json_words(node, out):
    if isinstance(node, dict):
        for k, v in node.items():
            out.add('"%s"' % k)
            json_words(v, out)
    elif isinstance(node, list):
        for v in node:
            json_words(v, out)
    elif isinstance(node, str) and len(node) < 40:
        out.add('"%s"' % node)


def dictionary(target, texts):
    words = set()
    for text in texts:
        if target == "perfsched":
            for tok in re.findall(rb"[A-Za-z_]+[=:]|==>|\[[0-9]+\]|\[ns\]", text):
                words.add(tok.decode())
        else:
            json_words(load_json_bytes(text), words)
    escaped = (w.replace("\\", "\\\\").replace('"', '\\"') for w in words if w.isprintable())
    return "".join('kw%d="%s"\n' % (i, w) for i, w in enumerate(sorted(escaped)))


def main():
    src, target, outdir, dict_path = sys.argv[1:5]
    gen = {"scenario": seeds_scenario, "sweep": seeds_sweep, "rtapp": seeds_rtapp, "perfsched": seeds_perfsched}[target]
    os.makedirs(outdir, exist_ok=True)
    texts = []
    for _, text in gen(src):
        texts.append(text)
        with open(os.path.join(outdir, hashlib.sha1(text).hexdigest()), "wb") as f:
            f.write(text)
    with open(dict_path, "w", encoding="utf-8") as f:
        f.write(dictionary(target, texts))
    print(len(set(texts)))


if __name__ == "__main__":
    main()
