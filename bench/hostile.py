#!/usr/bin/env python3
"""Check and build time on hostile runbooks, at three sizes: every shape must grow linearly.

    python3 bench/hostile.py [--opsbook target/release/opsbook] [--size 2000] [--only NAME]

Each shape is one runbook that once made a step quadratic (or is shaped to, if one ever does):
many findings on one long line, CR-only line ends, repeated heading ids, placeholders, code
spans, raw HTML, anchors, title references... It is written at n, 2n and 4n repetitions; the
script runs `opsbook check` and `opsbook build` on each (best of three) and prints seconds,
peak memory and the growth from n to 4n. Linear work grows about 4x; quadratic work grows 16x.
A shape whose time grows more than 6x from n to 4n (and takes over 0.2 s at 4n) is flagged
`NOT LINEAR` and the script exits 1. A benchmark, run by hand: not a timed test.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

HEAD = "---\ntitle: Hostile\nowner: ops\ncadence: monthly\nlast_reviewed: 2026-11-01\n---\n\n"
TAIL = "\n\n## Acceptance checks\n\n- Done.\n"


def shapes():
    """name -> function of n giving the body of the runbook."""
    return {
        "links-one-line": lambda n: " ".join(f"[x](nope{i}.md)" for i in range(n)),
        "links-one-line-unicode": lambda n: " ".join(f"[é日](nope{i}.md)" for i in range(n)),
        "links-cr-only": lambda n: "\r".join(f"[x](nope{i}.md)" for i in range(n)),
        "heading-ids": lambda n: "".join(f"## a-{i}\n\nx\n\n" for i in range(1, n + 1))
        + "".join("## a\n\nx\n\n" for _ in range(n)),
        "placeholders": lambda n: "\n".join("TODO" for _ in range(n)),
        "placeholders-and-code": lambda n: "\n".join(f"`c{i}` TODO [Insert x] <your team>" for i in range(n)),
        "same-page-anchors": lambda n: "".join(f"## h{i}\n\n[x](#h{n - i})\n\n" for i in range(n)),
        "broken-anchors": lambda n: "".join(f"## h{i}\n\n[x](#zz{i})\n\n" for i in range(n)),
        "suppressions": lambda n: "\n\n".join(f"<!-- opsbook-disable-next-line placeholder -->\nTODO {i}" for i in range(n)),
        "related-own-title": lambda n: "## Related operations\n\n" + "\n".join("- Hostile" for _ in range(n)),
        "raw-html": lambda n: "\n".join(
            f'<details><summary>s{i}</summary><kbd>k</kbd> <a href="x{i}" title="&#1;t">a</a> <img src=x onerror=alert(1)> <unknown{i}>'
            for i in range(n)
        ),
        "unclosed-html": lambda n: "<div>" * n + "x" + "</span>" * n,
        "related-titles": lambda n: "## Related operations\n\n" + "\n".join(f"- Hostile step {i} and more words" for i in range(n)),
        "secrets-lookalike": lambda n: "\n".join(f"AKIAXXXXXXXXXXXXXX{i:02d} https://u:p{i}@h/ $SECRET_{i}" for i in range(n)),
        "long-word": lambda n: "a" * (n * 50) + " " + "é" * (n * 20),
        "nested-lists": lambda n: "\n".join("  " * (i % 40) + f"- item {i}" for i in range(n)),
        "block-quotes": lambda n: "\n".join(">" * (i % 30 + 1) + f" q {i}" for i in range(n)),
        "tables": lambda n: "| a | b |\n|---|---|\n" + "\n".join(f"| `{i}` | [l](#x) |" for i in range(n)),
        "emphasis": lambda n: "*a **b " * n + "c",
        "fences-unclosed": lambda n: "\n".join(f"- ```\n  code {i}" for i in range(n)),
        "entities": lambda n: "&#1;&#x2;&#3;&amp;&lt;&#0;" * n,
    }


def best_of(runs, argv, cwd):
    best = None
    for _ in range(runs):
        start = time.perf_counter()
        out = subprocess.run(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        elapsed = time.perf_counter() - start
        if out.returncode not in (0, 1):
            sys.exit(f"{' '.join(argv)} failed ({out.returncode}):\n{out.stderr.decode()[-2000:]}")
        best = elapsed if best is None else min(best, elapsed)
    return best


def peak_kib(argv, cwd):
    out = subprocess.run(["/usr/bin/time", "-f", "%M"] + argv, cwd=cwd,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        return int(out.stderr.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--opsbook", default="target/release/opsbook")
    ap.add_argument("--size", type=int, default=2000)
    ap.add_argument("--only")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    opsbook = os.path.abspath(args.opsbook)
    bad = []
    print(f"{'shape':26} {'cmd':5} {'KB at n':>8} " + " ".join(f"{'n=' + str(args.size * k):>10}" for k in (1, 2, 4))
          + f" {'MiB 4n':>7} {'growth':>7}")
    for name, body in shapes().items():
        if args.only and args.only != name:
            continue
        for cmd in ("check", "build"):
            times, size_kb, mem = [], 0, 0
            for k in (1, 2, 4):
                with tempfile.TemporaryDirectory() as tmp:
                    os.makedirs(os.path.join(tmp, "content"))
                    text = HEAD + body(args.size * k) + TAIL
                    with open(os.path.join(tmp, "content", "hostile.md"), "w", newline="") as f:
                        f.write(text)
                    if k == 1:
                        size_kb = len(text.encode()) // 1024
                    argv = [opsbook, cmd, "--today", "2026-11-23"]
                    if cmd == "check":
                        argv += ["--format", "json"]
                    times.append(best_of(args.runs, argv, tmp))
                    if k == 4:
                        mem = peak_kib(argv, tmp) // 1024
                    shutil.rmtree(os.path.join(tmp, "public"), ignore_errors=True)
            growth = times[2] / max(times[0], 1e-3)
            flag = growth > 6 and times[2] > 0.2
            if flag:
                bad.append(f"{name} ({cmd})")
            print(f"{name:26} {cmd:5} {size_kb:8} " + " ".join(f"{t:10.3f}" for t in times)
                  + f" {mem:7} {growth:6.1f}x" + ("  NOT LINEAR" if flag else ""))
    if bad:
        print("not linear: " + ", ".join(bad))
        sys.exit(1)


if __name__ == "__main__":
    main()
