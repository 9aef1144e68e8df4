"""Install the plugin's Python packages into a folder of its own with pip, keeping QGIS's numpy.

    python dependency_installer.py --target FOLDER [--keep numpy==1.24.2] [--check MODULE] REQUIREMENT...

Run by the plugin's Install button with the Python of the running QGIS (and shown to users who
prefer a terminal). Standard library only. Four steps, each announced as "[k/4]":

1. what to install: `pip install --dry-run --report` resolves the requirements against what this
   Python already has (its site-packages, the user's, and FOLDER), with the --keep versions as
   constraints, so numpy is never chosen: QGIS and GDAL are compiled against the one installed.
2. download those wheels, and say how much was downloaded;
3. install them with `pip install --target --no-deps` from the downloaded wheels, into a staging
   folder;
4. check: each --check module is imported by a fresh Python with the staging folder at the end of
   its path (as the plugin puts FOLDER); only then are the packages moved into FOLDER. A failed
   check leaves FOLDER as it was.

Only wheels (`--only-binary :all:`): nothing is compiled on the user's machine. pip's own
`--target` is not enough alone: with it pip ignores what is installed and would put a second numpy
in FOLDER. Where no release accepts the kept numpy (Ubuntu 22.04's numpy 1.21.5, while every
onnxruntime wheel for its Python 3.10 asks for 1.21.6 or newer), the newest release is taken
without its numpy, and step 4 tells whether it works with QGIS's. A pip older than 22.2 (no
--report; Ubuntu 22.04 has 22.0) is first replaced, for this run only, by a current pip in a
temporary folder.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Optional, Sequence

STEPS = 4
OLDEST_PIP = (22, 2)  # pip install --report
# the check imports onnxruntime: its telemetry off, as in the plugin (core/backends.py)
CHECK_ENV = {"ORT_DISABLE_TELEMETRY": "1"}


class PipFailed(SystemExit):
    pass


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
        raise PipFailed(f"pip failed (exit code {done.returncode}): see its messages above; nothing was installed")


def name_of(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def size_text(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 1e5 else f"{size / 1e3:.0f} kB"


def resolve(requirements: list[str], keep: list[str], env: dict, work: Path) -> list[str]:
    """Step 1: 'name==version' of each package to install, none of them a kept one."""
    constraints = work / "constraints.txt"
    constraints.write_text("".join(f"{k}\n" for k in keep), encoding="utf-8")
    report = work / "report.json"
    say(f"[1/{STEPS}] what to install for: {' '.join(requirements)}"
        + (f" (keeping {', '.join(keep)})" if keep else ""))
    dry_run = ["install", "--dry-run", "--quiet", "--report", str(report), "--only-binary", ":all:"]
    try:
        pip([*dry_run, "--constraint", str(constraints), *requirements], env)
    except PipFailed:
        if not keep:
            raise
        say(f"no release fits {', '.join(keep)} as its requirements state: taking the newest without "
            f"{', '.join(name_of(k) for k in keep)}, which stays as it is; step {STEPS} checks that it works with it")
        pip([*dry_run, *requirements], env)
    kept = {name_of(k) for k in keep}
    pins = []
    for item in json.loads(report.read_text(encoding="utf-8")).get("install", []):
        name, version = item["metadata"]["name"], item["metadata"]["version"]
        if name_of(name) in kept:
            say(f"not installing {name} {version}: the one QGIS has is kept")
        else:
            pins.append(f"{name}=={version}")
    return pins


def download(pins: list[str], env: dict, work: Path) -> Path:
    """Step 2; says what it downloaded."""
    wheels = work / "wheels"
    say(f"[2/{STEPS}] download")
    pip(["download", "--no-deps", "--only-binary", ":all:", "--dest", str(wheels), *pins], env)
    files = sorted(wheels.glob("*.whl"))
    for f in files:
        say(f"  {f.name}: {size_text(f.stat().st_size)}")
    say(f"downloaded {len(files)} wheel{'s' if len(files) != 1 else ''}, "
        f"{size_text(sum(f.stat().st_size for f in files))} in all")
    return wheels


def check(modules: list[str], folder: Path) -> None:
    """Step 4: import each module in a fresh Python with `folder` last on its path."""
    if not modules:
        return
    code = ("import importlib, sys; sys.path.append(sys.argv[1])\n"
            "for name in sys.argv[2:]:\n"
            "    m = importlib.import_module(name)\n"
            "    print('  import', name, getattr(m, '__version__', ''), 'from', m.__file__)\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(CHECK_ENV)
    done = subprocess.run([sys.executable, "-c", code, str(folder), *modules], capture_output=True, text=True, env=env)
    sys.stdout.write(done.stdout + done.stderr)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["?"])[-1]
        raise SystemExit(f"the installed packages do not work in this Python ({last}); nothing was installed")


def move_into(staging: Path, target: Path) -> None:
    """What pip --target does at its end: each top-level entry replaces the one of the same name."""
    target.mkdir(parents=True, exist_ok=True)
    for entry in sorted(staging.iterdir()):
        old = target / entry.name
        if old.is_dir() and not old.is_symlink():
            shutil.rmtree(old)
        elif old.exists() or old.is_symlink():
            old.unlink()
        shutil.move(str(entry), str(old))


def install(target: Path, requirements: list[str], keep: list[str], modules: list[str], work: Path) -> list[str]:
    """The four steps; returns the 'name version' pairs installed."""
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

    pins = resolve(requirements, keep, env, work)
    if not pins:
        say("everything needed is already installed")
        return []
    say("to install: " + ", ".join(pins))
    wheels = download(pins, env, work)
    staging = work / "staging"
    say(f"[3/{STEPS}] install")
    pip(["install", "--no-deps", "--no-index", "--find-links", str(wheels), "--target", str(staging),
         "--quiet", *pins], env)
    say(f"[4/{STEPS}] check")
    check(modules, staging)
    move_into(staging, target)
    return [p.replace("==", " ") for p in pins]


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", type=Path, required=True, help="the folder to install into")
    parser.add_argument("--keep", action="append", default=[], metavar="NAME==VERSION",
                        help="a package that must stay as it is (QGIS's numpy); repeatable")
    parser.add_argument("--check", action="append", default=[], metavar="MODULE",
                        help="a module that must import once installed; repeatable")
    parser.add_argument("requirements", nargs="+", help="what to install, e.g. 'onnxruntime>=1.19.2,<=1.32.0'")
    args = parser.parse_args(argv)
    say(f"Python {sys.version.split()[0]} at {sys.executable}")
    with tempfile.TemporaryDirectory(prefix="sar_colorizer_install_") as work:
        done = install(args.target.resolve(), args.requirements, args.keep, args.check, Path(work))
    say(f"done: {', '.join(done)} in {args.target}" if done else f"done: nothing new in {args.target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
