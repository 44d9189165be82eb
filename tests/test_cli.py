"The chiral-em command: help texts, and reproduce on a tiny chapter selection."
import os, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXE = Path(sys.executable).parent/"chiral-em"


def run(*args, env=None, timeout=300):
    return subprocess.run([str(EXE), *args], capture_output=True, text=True, cwd=ROOT, timeout=timeout, env={**os.environ, **(env or {})})


def test_help():
    r = run("--help")
    assert r.returncode == 0 and "reproduce" in r.stdout and "commands:" in r.stdout, r.stderr
    r = subprocess.run([sys.executable, "-m", "chiral_em", "--help"], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0 and "reproduce" in r.stdout


def test_reproduce_help_and_list():
    r = run("reproduce", "--help")
    assert r.returncode == 0 and "--profile {smoke,cpu,paper}" in r.stdout and "--chapters" in r.stdout
    assert "--summary-only" in r.stdout and "--pdb" not in r.stdout
    r = run("reproduce", "--list")
    assert r.returncode == 0 and "00_core" in r.stdout.split()
    assert "00d_cli" not in r.stdout.split()   # library notebooks (no parameters cell) are not chapters


def test_unknown_command_and_chapter_fail_clearly(tmp_path):
    r = run("frobnicate")
    assert r.returncode == 2 and "invalid choice" in r.stderr
    r = run("reproduce", "--chapters", "77", "--out", str(tmp_path))
    assert r.returncode == 2 and "no chapter '77'" in r.stderr


def test_every_listed_command_has_help():
    from chiral_em.cli import available_commands
    for cmd in available_commands():
        r = run(cmd, "--help", timeout=120)
        assert r.returncode == 0 and "usage: chiral-em" in r.stdout, (cmd, r.stdout[-500:], r.stderr[-2000:])


def test_reproduce_tiny_selection(tmp_path):
    env = {"CHIRAL_EM_RESULTS": str(tmp_path/"results"), "CHIRAL_EM_FIGURES": str(tmp_path/"figures")}
    r = run("reproduce", "--profile", "smoke", "--chapters", "00a", "--out", str(tmp_path/"runs"), env=env)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert (tmp_path/"runs"/"smoke"/"00a_emio.ipynb").exists()
    summary = (tmp_path/"results"/"smoke"/"summary.md").read_text()
    assert "| 00a_emio | ok |" in summary and "not run now" in summary


def test_summary_names_earlier_runs(tmp_path, monkeypatch):
    from chiral_em.cli import summary_markdown
    from chiral_em.core import write_json
    monkeypatch.setenv("CHIRAL_EM_RESULTS", str(tmp_path))
    write_json(tmp_path / "cpu" / "04_superellipse.json", dict(chapter="04_superellipse", wall_s=120.0, written="2026-01-02T03:04:05+0000",
                                                               metrics=dict(rate=5.0)))
    rows = [dict(chapter=c, status="not run now", minutes="", error=None) for c in ("04_superellipse", "05_hrtem")]
    md = str(summary_markdown(rows, "cpu"))
    assert "| 04_superellipse | earlier run (2026-01-02) | 2.0 | rate=5 |" in md, md
    assert "| 05_hrtem | not run now |" in md
    from chiral_em.cli import reproduce
    assert reproduce(profile="cpu", summary_only=True, verbose=False) == []          # runs nothing, rewrites the summary
    assert "| 04_superellipse | earlier run (2026-01-02) |" in (tmp_path / "cpu" / "summary.md").read_text()
