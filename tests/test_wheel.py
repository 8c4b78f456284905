"""The wheel as a user gets it (issue 13): built from this checkout, installed with its
dependencies into a new venv outside the checkout, and run there in a clean environment.

It must install one package, `kracht`, holding its data files (mail and report templates, the
programme TOML, the Alembic migrations), and nothing at the top level of site-packages that only
makes sense in the checkout (`cli`, `workflow`, `storage`, ...). Where pip cannot reach a package
index, the test skips with the reason; under CI=true it fails instead.

One test, not several sharing a fixture: under pytest-xdist each worker would build its own venv.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import tomllib
import zipfile
from contextlib import closing
from pathlib import Path
from typing import NoReturn

import pytest

ROOT = Path(__file__).resolve().parent.parent

# The checkout's layers and folders: inside the wheel they live under kracht/, never beside it.
NOT_TOP_LEVEL = (
    "cli.py",
    "cli",
    "workflow",
    "states",
    "storage",
    "notifications",
    "commands",
    "web",
    "basics",
    "distribution",
    "tests",
    "bench",
)
# Data files the installed package reads at run time: (folder in the checkout, glob).
DATA_FILES = (
    ("notifications/templates", "**/*.j2"),
    ("web/templates", "*.j2"),
    ("web/static", "*"),
    ("workflow/reports/templates", "*.j2"),
    ("states/programmes", "*.toml"),
    ("storage/migrations", "*.py"),
    ("storage/migrations", "*.mako"),
    ("storage/migrations/versions", "*.py"),
)
# Signs in pip's output that no index answered (rather than that the project or a pin is broken).
UNREACHABLE = re.compile(
    r"NewConnectionError|Failed to establish a new connection|Temporary failure in name resolution"
    r"|Name or service not known|Network is unreachable|No route to host|Connection refused"
    r"|ConnectTimeoutError|ReadTimeoutError|ProxyError|Max retries exceeded"
)
CHECK_IMPORTS = """
import importlib.util, json, sys, sysconfig
import kracht, kracht.cli, kracht.storage.audit, kracht.workflow.engine
names = sys.argv[1:]
print(json.dumps({
    "kracht": kracht.__file__,
    "cli": kracht.cli.__file__,
    "audit": kracht.storage.audit.__file__,
    "engine": kracht.workflow.engine.__file__,
    "version": kracht.__version__,
    "purelib": sysconfig.get_paths()["purelib"],
    "path": sys.path,
    "strays": [n for n in names if importlib.util.find_spec(n) is not None],
}))
"""


def _version() -> str:
    with (ROOT / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)["project"]["version"]


def _without_checkout_settings() -> dict[str, str]:
    """This process's environment without what would point Python or kracht at the checkout."""
    drop = {"PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONUSERBASE", "VIRTUAL_ENV"}
    env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("KRACHT_")}
    env["PIP_NO_INPUT"] = "1"
    return env


def _pip(python: Path, args: list[str], what: str) -> None:
    """Run pip; skip (fail under CI) where no package index answers, fail on anything else."""
    command = [str(python), "-m", "pip", *args, "--disable-pip-version-check", "--retries", "2"]
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            cwd=python.parent,
            env=_without_checkout_settings(),
            timeout=900,
            check=False,
        )
    except subprocess.TimeoutExpired:
        _unreachable(f"{what}: pip did not finish within 900 s")
    if done.returncode == 0:
        return
    output = done.stdout + done.stderr
    if UNREACHABLE.search(output):
        _unreachable(f"{what}: no package index reachable ({UNREACHABLE.search(output)[0]})")
    pytest.fail(f"{what} failed (exit {done.returncode}):\n{output[-4000:]}")


def _unreachable(reason: str) -> NoReturn:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; under CI the wheel must be built and installed, not skipped")
    pytest.skip(reason)


def _run(program: Path, args: list[str], cwd: Path, home: Path) -> str:
    """Run a program from the new venv in a clean environment; its stdout, once it exits 0."""
    env = {"PATH": f"{program.parent}{os.pathsep}/usr/bin{os.pathsep}/bin", "HOME": str(home)}
    env["LANG"] = "C.UTF-8"
    done = subprocess.run(
        [str(program), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
        check=False,
    )
    failed = f"{program.name} {args} exited {done.returncode}:\n{done.stderr[-4000:]}"
    assert done.returncode == 0, failed
    return done.stdout


def _files(folder: Path, pattern: str) -> set[str]:
    return {
        p.relative_to(folder).as_posix()
        for p in folder.glob(pattern)
        if p.is_file() and "__pycache__" not in p.parts
    }


def _migration_head() -> str:
    """The newest revision in the checkout: the one no other migration builds on."""
    revisions, bases = set(), set()
    for script in (ROOT / "storage/migrations/versions").glob("*.py"):
        text = script.read_text(encoding="utf-8")
        revisions |= set(re.findall(r'^revision[^=]*= "([^"]+)"', text, re.M))
        bases |= set(re.findall(r'^down_revision[^=]*= "([^"]+)"', text, re.M))
    (head,) = revisions - bases
    return head


def _build_and_install(tmp_path: Path) -> tuple[Path, Path]:
    """The wheel built from the checkout, and the new venv it is installed in (with its
    dependencies, from the index pip is configured with): (wheel, venv)."""
    wheels = tmp_path / "wheels"
    _pip(Path(sys.executable), ["wheel", "--no-deps", "-w", str(wheels), str(ROOT)], "pip wheel")
    (wheel,) = wheels.glob("kracht-*.whl")
    venv = tmp_path / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", str(venv)],
        check=True,
        env=_without_checkout_settings(),
        timeout=300,
    )
    _pip(venv / "bin/python", ["install", str(wheel)], "pip install of the wheel")
    return wheel, venv


def _check_wheel_contents(wheel: Path) -> None:
    """Only kracht/ and its .dist-info, without compiled or checkout-only files."""
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    tops = {name.split("/")[0] for name in names}
    assert tops == {"kracht", f"kracht-{_version()}.dist-info"}, tops
    assert not [n for n in names if n.endswith(".pyc") or "__pycache__" in n]


def _check_site_packages(site: Path) -> None:
    """Nothing of the checkout at the top level; the package whole, with its data files."""
    top = {entry.name for entry in site.iterdir()}
    assert not top & set(NOT_TOP_LEVEL), sorted(top & set(NOT_TOP_LEVEL))
    record = (site / f"kracht-{_version()}.dist-info" / "RECORD").read_text(encoding="utf-8")
    installed = {line.split(",")[0].split("/")[0] for line in record.splitlines() if line}
    assert installed - {".."} == {"kracht", f"kracht-{_version()}.dist-info"}, installed

    package = site / "kracht"
    for name in ("py.typed", "__init__.py", "__main__.py", "cli.py"):
        assert (package / name).is_file(), name
    init = (ROOT / "distribution/__init__.py").read_bytes()
    assert (package / "__init__.py").read_bytes() == init
    assert not (package / "distribution").exists()
    for folder, pattern in DATA_FILES:
        shipped = _files(ROOT / folder, pattern)
        assert shipped, f"no {pattern} in {folder} of the checkout"
        assert _files(package / folder, pattern) == shipped, f"{folder}/{pattern}"


def _check_imports(venv: Path, site: Path, cwd: Path, home: Path) -> None:
    """kracht and its layers import from the new venv's site-packages, not the checkout, and the
    checkout's layer names do not import at all."""
    names = [n.removesuffix(".py") for n in NOT_TOP_LEVEL if n != "cli.py"]
    found = json.loads(_run(venv / "bin/python", ["-c", CHECK_IMPORTS, *names], cwd, home))
    assert Path(found["purelib"]).resolve() == site.resolve()
    for module in ("kracht", "cli", "audit", "engine"):
        where = Path(found[module]).resolve()
        assert where.is_relative_to(site.resolve()), (module, where)
        assert not where.is_relative_to(ROOT), (module, where)
    assert found["version"] == _version()
    assert found["strays"] == []
    inside = [p for p in found["path"] if p and Path(p).resolve().is_relative_to(ROOT)]
    assert inside == [], inside


@pytest.mark.slow
def test_the_wheel_installs_one_kracht_package_that_runs_outside_the_checkout(tmp_path: Path):
    wheel, venv = _build_and_install(tmp_path)
    (site,) = (venv / "lib").glob("python*/site-packages")
    _check_wheel_contents(wheel)
    _check_site_packages(site)

    elsewhere, home = tmp_path / "elsewhere", tmp_path / "home"
    elsewhere.mkdir()
    home.mkdir()
    _check_imports(venv, site, elsewhere, home)

    shown = _run(venv / "bin/python", ["-m", "kracht", "--version"], elsewhere, home)
    assert shown.strip() == f"kracht, version {_version()}"

    database = elsewhere / "demo.db"
    output = _run(venv / "bin/kracht", ["--db", str(database), "demo"], elsewhere, home)
    assert "Audit trail: intact" in output
    with closing(sqlite3.connect(database)) as db:
        (revision,) = db.execute("SELECT version_num FROM alembic_version").fetchone()
        (applications,) = db.execute("SELECT count(*) FROM application").fetchone()
    assert revision == _migration_head()
    assert applications > 0
    assert list((elsewhere / "demo-reports").glob("*.html")), "the demo wrote no project monitor"
