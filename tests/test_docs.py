"""The README tells the truth: its diagram, its commands and its tour are checked here."""

import re
import shlex
from pathlib import Path

import click
import pytest

from kracht.cli import cli, main
from kracht.workflow import diagram
from kracht.workflow.demo.build import run

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _leaf_commands(group: click.Group, prefix: str = "kracht") -> list[str]:
    names = []
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            names += _leaf_commands(command, f"{prefix} {name}")
        else:
            names.append(f"{prefix} {name}")
    return names


def test_readme_diagram_is_the_one_generated_from_the_declaration():
    block = re.search(r"```mermaid\n(.*?)```", README, re.S)

    assert block is not None
    assert block.group(1) == diagram.mermaid()


@pytest.mark.parametrize("command", _leaf_commands(cli))
def test_every_command_has_help_and_appears_in_the_readme(command):
    words = command.split()[1:]
    ctx_command: click.Command = cli
    for word in words:
        assert isinstance(ctx_command, click.Group)
        ctx_command = ctx_command.commands[word]

    assert ctx_command.help
    listed = command in README or (
        command.startswith("kracht workflow ")
        and "kracht workflow show` / `diagram` / `fields`" in README
    )
    assert listed, f"{command} is missing from README.md"


def test_the_two_setup_commands_and_ci_agree():
    ci = (ROOT / ".ci" / "run").read_text()

    assert "./dev demo" in README
    assert "./dev test" in README
    assert ci.strip().splitlines()[-1] == "./dev test"


def test_the_readme_tour_runs_on_the_demo_database(tmp_path, monkeypatch, capsys):
    tour = re.search(r"```console\n(.*?)```", README, re.S)
    assert tour is not None
    monkeypatch.chdir(tmp_path)
    run("kracht-demo.db", echo=lambda _: None)
    env: dict[str, str] = {}

    for line in tour.group(1).splitlines():
        command, _, comment = line.removeprefix("$ ").partition("#")
        words = shlex.split(command)
        if words[0] == "export":
            env.update(w.split("=", 1) for w in words[1:])
            continue
        local = dict(env)
        while "=" in words[0]:
            name, value = words.pop(0).split("=", 1)
            local[name] = value
        assert words[0] == "kracht"
        expected = int(comment.split("exit")[1]) if "exit" in comment else 0

        with monkeypatch.context() as scoped:
            for name, value in local.items():
                scoped.setenv(name, value)
            code = main(words[1:])

        output = capsys.readouterr()
        assert code == expected, f"`{line}` exited {code}: {output.err}"
        assert "Traceback" not in output.err
