"""Data files a user hands kracht (stage data, scores, a programme configuration) that are
malformed: too deeply nested, of the wrong shape or with unknown keys. Each is one line naming
the file and the key, exit 1, no traceback, and nothing written."""

from __future__ import annotations

import pytest

from kracht.cli import main
from tests import factories as f
from tests.factories import make_application

DEEP = 100_000  # far past Python's recursion limit

CRITERION = '[[criteria]]\nkey = "impact"\nname = "Impact"\nquestion = "Impact?"\nweight = 10\n'


@pytest.fixture
def kracht(world, monkeypatch, capsys):
    """Run `kracht ARGS` in-process against the seeded database; returns (exit, stdout, stderr)."""
    monkeypatch.setenv("KRACHT_DB", world.url.removeprefix("sqlite:///"))
    monkeypatch.setenv("KRACHT_USER", f.LEADER)

    def run(*args: str, user: str | None = None) -> tuple[int, str, str]:
        monkeypatch.setenv("KRACHT_USER", user or f.LEADER)
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def _counts(world) -> dict[str, int]:
    """Rows per table, but the audit trail (a refusal may be audited): nothing else may move."""
    import sqlalchemy as sa
    from sqlmodel import SQLModel

    import kracht.storage.tables  # noqa: F401 - every table registered
    from kracht.storage.database import session

    with session(world.url) as db:
        return {
            name: db.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            for name, table in SQLModel.metadata.tables.items()
            if "audit" not in name
        }


def _refused(kracht, world, args: tuple[str, ...], user: str = f.LEADER) -> str:
    """Run a command that must be refused: exit 1, one stderr line, nothing written."""
    before = _counts(world)
    code, out, err = kracht(*args, user=user)
    assert (code, out) == (1, "")
    assert err.count("\n") == 1
    assert err.startswith("kracht: ")
    assert "Traceback" not in err
    assert _counts(world) == before
    return err


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("deep.json", "[" * DEEP + "]" * DEEP),
        ("deep.toml", "a = " + "[" * DEEP + "]" * DEEP + "\n"),
    ],
)
def test_a_deeply_nested_stage_data_file_is_refused(kracht, world, tmp_path, name, content):
    app_id = make_application(world, stage="idea")
    (tmp_path / name).write_text(content)

    err = _refused(kracht, world, ("app", "record", str(app_id), "idea", "--file",
                                   str(tmp_path / name)))  # fmt: skip

    assert err == f"kracht: {name}: its arrays or objects are nested too deeply\n"


def test_a_deeply_nested_configuration_is_refused(kracht, world, tmp_path):
    (tmp_path / "deep.toml").write_text("a = " + "[" * DEEP + "]" * DEEP + "\n")

    err = _refused(kracht, world, ("programme", "configure", f.AVT_2018, "--file",
                                   str(tmp_path / "deep.toml")))  # fmt: skip

    assert err == "kracht: deep.toml: its arrays or tables are nested too deeply\n"


def test_a_deeply_nested_score_file_is_refused(kracht, world, tmp_path):
    app_id = make_application(world, stage="kracht_scoring")
    kracht("committee", "declare", str(app_id), "--none", user=f.MEMBER)
    (tmp_path / "deep.toml").write_text("a = " + "[" * DEEP + "]" * DEEP + "\n")

    err = _refused(kracht, world, ("score", "set", str(app_id), "--file",
                                   str(tmp_path / "deep.toml")), user=f.MEMBER)  # fmt: skip

    assert err == "kracht: deep.toml: its arrays or tables are nested too deeply\n"


def test_an_unknown_key_in_a_score_file_is_refused(kracht, world, tmp_path):
    app_id = make_application(world, stage="kracht_scoring")
    kracht("committee", "declare", str(app_id), "--none", user=f.MEMBER)
    sheet = tmp_path / "scores.toml"
    sheet.write_text('[innovation]\nscore = 4\nmotivaton = "a typo: the motivation is lost"\n')

    err = _refused(kracht, world, ("score", "set", str(app_id), "--file", str(sheet)),
                   user=f.MEMBER)  # fmt: skip

    assert err == (
        "kracht: scores.toml: [innovation] has an unknown key 'motivaton'; "
        "a criterion's table holds only score and motivation\n"
    )


NESTED = "a = " + "[" * 10 + "]" * 10  # nested, but within what the parser handles


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('committee = "x"\n' + CRITERION, "[committee] must be a table, not 'x'"),
        ("scale = 5\n" + CRITERION, "[scale] must be a table, not 5"),
        ('criteria = "abc"\n', "criteria must be an array of tables ([[criteria]]), not 'abc'"),
        ("criteria = [1, 2]\n", "criteria must be an array of tables ([[criteria]]), not [1, 2]"),
        ("monitoring = [1]\n" + CRITERION, "[monitoring] must be a table, not [1]"),
        ('[monitoring]\nunits = ["a"]\n' + CRITERION,
         "monitoring.units must be a table of unit lists, not ['a']"),
        ('[monitoring.units]\ncount = "people"\n' + CRITERION,
         "monitoring.units.count must be a list of texts, not 'people'"),
        ('[scale]\nmeanings = "abcde"\n' + CRITERION,
         "scale.meanings must be a list of texts, not 'abcde'"),
        ("label = 5\n" + CRITERION, "label must be a text, not 5"),
        ('[[criteria]]\nkey = 5\nname = "Impact"\nquestion = "Impact?"\n',
         "criteria[0].key must be a text, not 5"),
        (CRITERION + '[[criteria]]\nkey = "reach"\nname = "Re\\u202Ech"\nquestion = "Reach?"\n',
         "criteria[1].name holds the control character U+202E at character 3; remove it"),
        ('[[criteria]]\nkey = "im\\npact"\nname = "Impact"\nquestion = "Impact?"\n',
         "criteria[0].key must be one line: it holds a line break or tab at character 3"),
        ('[[criteria]]\nkey = "impact"\nname = "Impact"\nquestion = "Why\\u0007?"\n',
         "criteria[0].question holds the control character U+0007 at character 4; remove it"),
        ("[committee]\nquorom = 2\n" + CRITERION, "unknown key committee.quorom; the known "
         "keys are: minimum_members, quorum, disagreement_spread"),
        ("lable = 'x'\n" + CRITERION, "unknown key lable; the known keys are: label, "
         "committee, scale, monitoring, money, criteria, tracks, periods"),
        (CRITERION + "wieght = 3\n", "unknown key criteria[0].wieght; the known keys are: "
         "key, name, question, weight, minimum"),
        ("[money]\ncap = 10\n" + CRITERION, "unknown key money.cap; the known keys are: "
         "development_cap_percent, second_approval_above"),
        ("[scale]\nmean = []\n" + CRITERION, "unknown key scale.mean; the known keys are: "
         "min, max, meanings"),
        ("[monitoring]\nevery = 3\n" + CRITERION, "unknown key monitoring.every; the known keys "
         "are: report_every_months, due_months_after, units"),
        ("[committee]\ndisagreement_spread = -1\n" + CRITERION,
         "committee.disagreement_spread must be from 1 to 4, not -1"),
        ("[committee]\nminimum_members = 2\nquorum = 3\n" + CRITERION,
         "committee.quorum must be from 1 to committee.minimum_members (2), not 3"),
        ("[committee]\nquorum = 0\n" + CRITERION,
         "committee.quorum must be from 1 to committee.minimum_members (3), not 0"),
        ("[committee]\nminimum_members = 99999999999999999999\n" + CRITERION,
         "committee.minimum_members must be from 1 to 100, not 99999999999999999999"),
        (CRITERION.replace("weight = 10", "weight = 9223372036854775807"),
         "criteria[0].weight must be from 1 to 100, not 9223372036854775807"),
        ("[scale]\nmax = 1000000\n" + CRITERION, "scale.max must be from -100 to 100, "
         "not 1000000"),
        (NESTED + "\n" + CRITERION, "unknown key a; the known keys are: label, committee, scale, "
         "monitoring, money, criteria, tracks, periods"),
    ],
)  # fmt: skip
def test_a_configuration_of_the_wrong_shape_is_refused_naming_the_key(
    kracht, world, tmp_path, content, message
):
    config = tmp_path / "rules.toml"
    config.write_text(content, encoding="utf-8")

    err = _refused(kracht, world, ("programme", "configure", f.AVT_2018, "--file", str(config)))

    assert err == f"kracht: rules.toml: {message}\n"
