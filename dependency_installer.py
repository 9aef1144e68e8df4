"""Install the plugin's Python packages into a folder of its own with pip, keeping QGIS's numpy.

    python dependency_installer.py --target FOLDER [--keep numpy==1.24.2] REQUIREMENT...

Run by the plugin's Install button with the Python of the running QGIS (and shown to users who
prefer a terminal). Standard library only. Three pip steps, each announced as "[k/3]":

1. what to install: `pip install --dry-run --report` resolves the requirements against what this
   Python already has (its site-packages, the user's, and FOLDER), with the --keep versions as
   constraints, so numpy is never chosen: QGIS and GDAL are compiled against the one installed.
2. download those wheels, and say how much was downloaded;
3. install them into FOLDER with `pip install --target --no-deps` from the downloaded wheels.

Only wheels (`--only-binary :all:`): nothing is compiled on the user's machine. pip's own
`--target` is not enough alone: with it pip ignores what is installed and would put a second numpy
in FOLDER. A pip older than 22.2 (no --report; Ubuntu 22.04 has 22.0) is first replaced, for this
run only, by a current pip in a temporary folder.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Optional, Sequence

STEPS = 3
OLDEST_PIP = (22, 2)  # pip install --report


def say(message: str) -> None:
    print(message, flush=True)


def pip_version(env: dict) -> Optional[tuple[int, ...]]:
    done = subprocess.run([sys.executable, "-m", "pip", "--version"], capture_output=True, text=True, env=env)
    match = re.match(r"pip (\d+)\.(\d+)", done.stdout)
    return tuple(int(g) for g in match.groups()) if done.returncode == 0 and match else None


def pip(args: Sequence[str], env: dict) -> None:
    """Run pip with this Python; its output goes straight to ours (the installer dialog's log)."""
    command = [sys.executable, "-m", "pip", *args, "--disable-pip-version-check", "--progress-bar", "off"]
    say("$ " + " ".join(command))
    done = subprocess.run(command, env=env)
    if done.returncode != 0:
        raise SystemExit(f"pip failed (exit code {done.returncode}): see its messages above")


def name_of(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 1e5 else f"{size / 1e3:.0f} kB"


def install(target: Path, requirements: list[str], keep: list[str], work: Path) -> list[str]:
    """The three steps; returns the 'name version' pairs installed."""
    env = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1", PYTHONUNBUFFERED="1")
    # what FOLDER already holds counts as installed
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(target), os.environ.get("PYTHONPATH", "")) if p)
    version = pip_version(env)
    if version is None:
        raise SystemExit(f"{sys.executable} has no pip: install pip for it (Debian/Ubuntu: sudo apt install "
                         f"python3-pip; elsewhere: {sys.executable} -m ensurepip), then try again")
    if version < OLDEST_PIP:
        say(f"pip {'.'.join(map(str, version))} is too old to report what it would install: using a current "
            "pip for this run only")
        pip(["install", "--target", str(work / "pip"), "--only-binary", ":all:", "pip>=23.1"], env)
        env["PYTHONPATH"] = os.pathsep.join((str(work / "pip"), env["PYTHONPATH"]))

    constraints = work / "constraints.txt"
    constraints.write_text("".join(f"{k}\n" for k in keep), encoding="utf-8")
    report = work / "report.json"
    say(f"[1/{STEPS}] what to install for: {' '.join(requirements)}"
        + (f" (keeping {', '.join(keep)})" if keep else ""))
    pip(["install", "--dry-run", "--quiet", "--report", str(report), "--only-binary", ":all:",
         "--constraint", str(constraints), *requirements], env)
    items = json.loads(report.read_text(encoding="utf-8")).get("install", [])
    kept = {name_of(k) for k in keep}
    pins = []
    for item in items:
        name, ver = item["metadata"]["name"], item["metadata"]["version"]
        if name_of(name) in kept:  # pip would replace a kept package: never
            raise SystemExit(f"the requirements need another {name} than the one QGIS uses ({ver} asked); "
                             "nothing was installed")
        pins.append(f"{name}=={ver}")
    if not pins:
        say("everything needed is already installed")
        return []
    say("to install: " + ", ".join(pins))

    wheels = work / "wheels"
    say(f"[2/{STEPS}] download")
    pip(["download", "--no-deps", "--only-binary", ":all:", "--dest", str(wheels), *pins], env)
    files = sorted(wheels.glob("*.whl"))
    for f in files:
        say(f"  {f.name}: {mb(f.stat().st_size)}")
    say(f"downloaded {len(files)} wheel{'s' if len(files) != 1 else ''}, "
        f"{mb(sum(f.stat().st_size for f in files))} in all")

    say(f"[3/{STEPS}] install into {target}")
    target.mkdir(parents=True, exist_ok=True)
    pip(["install", "--no-deps", "--no-index", "--find-links", str(wheels), "--target", str(target),
         "--upgrade", "--quiet", *pins], env)
    return [p.replace("==", " ") for p in pins]


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", type=Path, required=True, help="the folder to install into")
    parser.add_argument("--keep", action="append", default=[], metavar="NAME==VERSION",
                        help="a package that must stay as it is (QGIS's numpy); repeatable")
    parser.add_argument("requirements", nargs="+", help="what to install, e.g. 'onnxruntime>=1.19.2,<=1.32.0'")
    args = parser.parse_args(argv)
    say(f"Python {sys.version.split()[0]} at {sys.executable}")
    with tempfile.TemporaryDirectory(prefix="sar_colorizer_install_") as work:
        done = install(args.target.resolve(), args.requirements, args.keep, Path(work))
    say(f"done: {', '.join(done) if done else 'nothing new'} in {args.target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
