#!/usr/bin/env python3
"""Gives a generated runbook site a git history, for benchmarking what reading it costs.

    python3 ../shared/bench/gen_corpus.py --pages 10000 --flavor plain --out /tmp/rb
    python3 bench/git_history.py /tmp/rb --commits 20000
    OPSBOOK_TIMINGS=1 target/release/opsbook build /tmp/rb --out /tmp/out   # the "history" lap

The repository is written with `git fast-import` (seconds, where 20,000 `git commit`s take
minutes): one commit adding every file, then COMMITS - 1 commits half an hour apart from 2025-01-01,
each changing one runbook: most edit a line of its text, one in ten only re-flows whitespace,
one in twenty only touches the front matter, one in fifty renames it, one in a hundred carries a
`Runbook-reviewed:` trailer. Deterministic for a given --seed. The work tree ends as the last
commit left it, and the objects repacked as a clone would receive them (~15 s).

A build keeps what it read of the history in .git/opsbook/: remove it to time the first build.
"""
import argparse
import os
import random
import subprocess
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("site")
    ap.add_argument("--commits", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--fast-import-pack", action="store_true",
                    help="keep fast-import's pack as it wrote it (slower to read than any clone's)")
    args = ap.parse_args()
    root = os.path.abspath(args.site)
    if os.path.exists(os.path.join(root, ".git")):
        sys.exit(f"{root} is a git repository already")
    files = {}
    for d, _, names in os.walk(root):
        for n in names:
            if n.endswith(".md"):
                p = os.path.join(d, n)
                files[os.path.relpath(p, root)] = open(p, encoding="utf-8").read()
    paths = sorted(files)
    originals = list(paths)
    rng = random.Random(args.seed)
    subprocess.run(["git", "init", "-q", "-b", "main", root], check=True)
    fi = subprocess.Popen(["git", "-C", root, "fast-import", "--quiet"], stdin=subprocess.PIPE)
    out = fi.stdin
    start = 1735689600  # 2025-01-01T00:00:00Z

    def data(text):
        b = text.encode()
        out.write(b"data %d\n" % len(b) + b + b"\n")

    def commit(n, message, changes):
        who = f"Dev {n % 37}"
        out.write(f"commit refs/heads/main\ncommitter {who} <dev{n % 37}@example.com> {start + n * 1800} +0000\n".encode())
        data(message)
        for c in changes:
            out.write(c.encode() if isinstance(c, str) else c)

    def modify(path, text):
        b = text.encode()
        return b"M 100644 inline " + path.encode() + b"\n" + b"data %d\n" % len(b) + b + b"\n"

    commit(0, "Add the runbooks", [modify(p, files[p]) for p in paths])
    for n in range(1, args.commits):
        i = rng.randrange(len(paths))
        path = paths[i]
        text = files[path]
        kind = rng.random()
        message = f"Change {n}"
        if kind < 0.02:
            new = path[:-3] + f"-{n}.md"
            commit(n, f"Rename {path}", [f"R \"{path}\" \"{new}\"\n"])
            files[new] = files.pop(path)
            paths[i] = new
            continue
        if kind < 0.12:
            text = text.replace("\n\n", "\n\n\n", 1) if "\n\n\n" not in text else text.replace("\n\n\n", "\n\n", 1)
        elif kind < 0.17 and text.startswith("---\n"):
            text = text.replace("---\n", f"---\nx_touched: {n}\n", 1) if "x_touched:" not in text else text.replace("x_touched:", "x_touched: 1 #", 1)
        else:
            lines = text.split("\n")
            at = rng.randrange(len(lines))
            lines.insert(at + 1, f"Step noted in change {n}.")
            text = "\n".join(lines)
        if kind > 0.99:
            message += "\n\nRunbook-reviewed: Dev 1 <dev1@example.com>"
        files[path] = text
        commit(n, message, [modify(path, text)])
    out.close()
    if fi.wait() != 0:
        sys.exit("git fast-import failed")
    # The work tree as the last commit left it (renamed files gone from their old names).
    for p in originals:
        os.remove(os.path.join(root, p))
    subprocess.run(["git", "-C", root, "reset", "-q", "--hard", "main"], check=True)
    # fast-import's pack is "suboptimal" (its documentation says to repack after it): every blob
    # a delta of the one written before it, in chains 50 deep. A clone receives a pack made by
    # pack-objects, as `repack -f` makes it, and that is what a build reads in CI.
    if not args.fast_import_pack:
        subprocess.run(["git", "-C", root, "repack", "-q", "-a", "-d", "-f"], check=True)
    print(f"{root}: {len(paths)} runbooks, {args.commits} commits")


if __name__ == "__main__":
    main()
