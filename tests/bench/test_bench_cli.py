"""CLI weight, side by side with the peer: our ``cdevops-chaos`` against Chaos Toolkit's ``chaos``.

Measures the wall time a user waits for ``--help`` and for validating the same lab experiment
(median of several runs, the two tools interleaved so both see the same machine load), and the
import profile of ``python -X importtime -m cdevops_chaos --help``. No budget is stated for these
in the issues, so nothing is asserted beyond the commands succeeding: the ratios are reported.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.bench.benchlib import (
    BIN,
    REPO,
    fake_aws_env,
    fmt_ratio,
    fmt_s,
    print_table,
    summary,
    time_command,
    write_result,
)

pytestmark = pytest.mark.bench

RUNS = int(os.environ.get("BENCH_CLI_RUNS", "7"))
EXPERIMENT = REPO / "experiments" / "lab" / "az-loss.yaml"
HEAVY = ("boto3", "botocore", "chaoslib", "matplotlib", "moto", "yaml")


def _pairs(tmp: Path) -> list[tuple[str, list[str], list[str]]]:
    peer_log = ["--log-file", str(tmp / "chaostoolkit.log")]  # keep the peer's log out of the repo
    return [
        ("--help", [str(BIN / "cdevops-chaos"), "--help"], [str(BIN / "chaos"), "--help"]),
        (
            "validate az-loss.yaml",
            [str(BIN / "cdevops-chaos"), "validate", str(EXPERIMENT)],
            [str(BIN / "chaos"), "--no-version-check", *peer_log, "validate", str(EXPERIMENT)],
        ),
    ]


def test_cli_wall_time_vs_chaostoolkit(tmp_path: Path) -> None:
    env = fake_aws_env()
    results = []
    rows = []
    for label, ours_cmd, peer_cmd in _pairs(tmp_path):
        # One discarded run each warms the page cache and the bytecode caches.
        for cmd in (ours_cmd, peer_cmd):
            _, proc = time_command(cmd, env=env, cwd=tmp_path)
            assert proc.returncode == 0, f"{cmd} failed:\n{proc.stdout}\n{proc.stderr}"
        ours: list[float] = []
        peer: list[float] = []
        for _ in range(RUNS):
            for cmd, sink in ((ours_cmd, ours), (peer_cmd, peer)):
                elapsed, proc = time_command(cmd, env=env, cwd=tmp_path)
                assert proc.returncode == 0, f"{cmd} failed:\n{proc.stdout}\n{proc.stderr}"
                sink.append(elapsed)
        o, p = summary(ours), summary(peer)
        ratio = o["median"] / p["median"]
        results.append(
            {
                "command": label,
                "ours": {"cmd": ours_cmd, **o, "samples": ours},
                "peer": {"cmd": peer_cmd, **p, "samples": peer},
                "ratio_ours_over_peer": ratio,
            }
        )
        rows.append(
            [
                label,
                fmt_s(o["median"]),
                f"{fmt_s(o['min'])}..{fmt_s(o['max'])}",
                fmt_s(p["median"]),
                f"{fmt_s(p['min'])}..{fmt_s(p['max'])}",
                fmt_ratio(ratio),
            ]
        )
    print_table(
        f"CLI wall time, median of {RUNS} runs (ours = cdevops-chaos, peer = chaos)",
        ["command", "ours", "ours range", "peer", "peer range", "ours/peer"],
        rows,
    )
    write_result("cli-wall-time", {"runs": RUNS, "results": results})


def _parse_importtime(stderr: str) -> list[tuple[int, str, int, int]]:
    """(level, module, self_us, cumulative_us) for each line of ``-X importtime`` output."""
    out = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "imported package" in line:
            continue
        parts = line.removeprefix("import time:").split("|")
        if len(parts) != 3:
            continue
        name_field = parts[2][1:]
        level = (len(name_field) - len(name_field.lstrip(" "))) // 2
        out.append((level, name_field.strip(), int(parts[0]), int(parts[1])))
    return out


@pytest.mark.parametrize(
    ("label", "args"),
    [("help", ["--help"]), ("validate", ["validate", str(EXPERIMENT)])],
)
def test_import_profile(label: str, args: list[str]) -> None:
    env = fake_aws_env()
    cmd = [str(BIN / "python"), "-X", "importtime", "-m", "cdevops_chaos", *args]
    time_command(cmd, env=env, cwd=REPO)  # warm the caches
    runs = []
    for _ in range(3):
        _, proc = time_command(cmd, env=env, cwd=REPO)
        assert proc.returncode == 0, proc.stderr
        runs.append(_parse_importtime(proc.stderr))
    assert runs[0], "python -X importtime printed nothing to parse"
    # The run with the median total is the one reported (import times are noisy).
    totals = [sum(c for lvl, _, _, c in r if lvl == 0) for r in runs]
    chosen = runs[sorted(range(len(runs)), key=lambda i: totals[i])[len(runs) // 2]]
    top = sorted((e for e in chosen if e[0] == 0), key=lambda e: e[3], reverse=True)
    total_us = sum(e[3] for e in top)
    modules = {name for _, name, _, _ in chosen}
    heavy_loaded = sorted(
        h for h in HEAVY if h in modules or any(m.startswith(h + ".") for m in modules)
    )
    rows = [
        [name, f"{cum / 1000:.1f} ms", f"{cum / total_us * 100:.0f} %"]
        for _, name, _, cum in top[:10]
    ]
    rows.append(["(all top-level imports)", f"{total_us / 1000:.1f} ms", "100 %"])
    shown = " ".join(a if a.startswith("-") else Path(a).name for a in args)
    print_table(
        f"python -X importtime -m cdevops_chaos {shown}: top-level imports by cumulative time",
        ["module", "cumulative", "share"],
        rows,
    )
    print(f"modules imported: {len(modules)}; heavy ones loaded: {heavy_loaded or 'none'}")
    write_result(
        "cli-import-time" if label == "help" else f"cli-import-time-{label}",
        {
            "command": cmd[1:],
            "total_top_level_ms": total_us / 1000,
            "totals_ms_per_run": [t / 1000 for t in totals],
            "modules_imported": len(modules),
            "heavy_modules_loaded": heavy_loaded,
            "top": [
                {"module": n, "cumulative_ms": c / 1000, "self_ms": s / 1000}
                for _, n, s, c in top[:15]
            ],
        },
    )
