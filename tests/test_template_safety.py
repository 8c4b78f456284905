"""Programme templates cannot escape their folder or execute: strict codes, confined lookup,
the sandbox, and one line for every refusal with nothing written."""

import json
from pathlib import Path

import pytest
from sqlmodel import select

from kracht.basics.codes import shown
from kracht.basics.errors import InvalidInput
from kracht.cli import main
from kracht.notifications.render import render
from kracht.storage.database import session
from kracht.storage.tables import Programme
from kracht.workflow import engine
from tests import factories as f
from tests.factories import make_application, run

SUBMITTED = "nl/application_submitted.txt.j2"
CODE_RULE = (
    "1 to 32 lowercase letters a-z, digits and hyphens, starting with a letter or digit "
    "(e.g. avt-2018)"
)


@pytest.fixture
def kracht(world, monkeypatch, capsys, tmp_path):
    """Run `kracht ARGS` in-process against the seeded database, with a templates folder
    configured at tmp_path/templates; returns (exit, stdout, stderr)."""
    (tmp_path / "templates").mkdir()
    settings = tmp_path / "kracht.toml"
    settings.write_text(
        '[templates]\nfolder = "templates"\n[mail]\ntransport = "file"\ndirectory = "mail"\n'
    )
    monkeypatch.setenv("KRACHT_CONFIG", str(settings))
    monkeypatch.setenv("KRACHT_DB", world.url.removeprefix("sqlite:///"))
    monkeypatch.setenv("KRACHT_USER", f.LEADER)

    def run(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _create(kracht, programme: str = f.AVT_2018, title: str = "Evil") -> tuple[int, str, str]:
    return kracht("app", "create", "--title", title, "--programme", programme,
                  "--applicant", f.TALENTIT, "--line", "talent")  # fmt: skip


def _nothing_written(kracht, title: str = "Evil", evil: str = "EVIL") -> None:
    """No application of that title, and no message in the outbox carries the evil output."""
    _, apps, _ = kracht("app", "list", "--json")
    assert title not in [a["title"] for a in json.loads(apps)]
    _, messages, _ = kracht("outbox", "list", "--json")
    assert evil not in messages
    assert "<class" not in messages


# -- programme codes are strict slugs ----------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    ["../evil", "/abs", "AVT 2018", "avt_2018", "Avt-2018", "-avt", "avt/2018", "café", "a" * 33],
)
def test_programme_add_refuses_a_code_that_is_no_slug(kracht, code):
    _, before, _ = kracht("programme", "list", "--json")

    result = kracht("programme", "add", "--code", code, "--name", "Evil programme")

    assert result == (
        1,
        "",
        f"kracht: programme code {shown(code)} is not allowed: use {CODE_RULE}\n",
    )
    assert kracht("programme", "list", "--json")[1] == before


def test_a_code_of_32_characters_is_accepted_and_of_33_refused(kracht):
    assert kracht("programme", "add", "--code", "a" * 33, "--name", "Too long")[0] == 1
    assert kracht("programme", "add", "--code", "a" * 32, "--name", "Long enough")[0] == 0

    _, listed, _ = kracht("programme", "list", "--json")
    assert sorted(p["code"] for p in json.loads(listed)) == ["a" * 32, f.AVT_2018, f.AVT_2023]


# -- lookup stays inside the templates folder ----------------------------------------------------


def _old_code(world, code: str) -> None:
    """What an old database may hold: a programme whose code was never checked."""
    with session(world.url, write=True) as db:
        programme = db.exec(select(Programme).where(Programme.code == f.AVT_2023)).one()
        programme.code = code
        db.add(programme)


@pytest.mark.parametrize("how", ["relative", "absolute"])
def test_an_old_code_that_climbs_out_does_not_reach_a_sibling_folder(kracht, world, tmp_path, how):
    outside = tmp_path / "outside"
    _write(outside / SUBMITTED, "Subject: EVIL\nfrom beside the templates folder\n")
    code = "../outside" if how == "relative" else str(outside)
    _old_code(world, code)

    result = _create(kracht, programme=code)

    assert result == (
        1,
        "",
        f"kracht: programme code {shown(code)} cannot name a templates folder; a programme code is "
        f"{CODE_RULE}\n",
    )
    _nothing_written(kracht)


def test_a_linked_template_pointing_outside_is_not_followed(kracht, tmp_path):
    target = _write(tmp_path / "outside" / "evil.txt.j2", "Subject: EVIL\nlinked in\n")
    link = tmp_path / "templates" / f.AVT_2018 / SUBMITTED
    link.parent.mkdir(parents=True)
    link.symlink_to(target)

    result = _create(kracht)

    assert result == (
        1,
        "",
        f"kracht: template {link} leads to {target}, outside the templates folder "
        f"{tmp_path / 'templates'}: copy the template into the folder instead of linking to it\n",
    )
    _nothing_written(kracht)


def test_a_linked_programme_folder_pointing_outside_is_not_followed(kracht, tmp_path):
    outside = tmp_path / "outside"
    _write(outside / SUBMITTED, "Subject: EVIL\nlinked folder\n")
    link = tmp_path / "templates" / f.AVT_2018
    link.symlink_to(outside, target_is_directory=True)

    result = _create(kracht)

    assert result == (
        1,
        "",
        f"kracht: templates folder {link} leads to {outside}, outside the templates folder "
        f"{tmp_path / 'templates'}: put the programme's templates inside it, not behind a link\n",
    )
    _nothing_written(kracht)


def test_an_override_template_cannot_include_a_file_outside_its_folder(kracht, tmp_path):
    _write(tmp_path / "outside" / "nl" / "secret.txt.j2", "EVIL secret\n")
    own = _write(
        tmp_path / "templates" / f.AVT_2018 / SUBMITTED,
        "Subject: hi\n{% include '../../outside/nl/secret.txt.j2' %}\n",
    )

    code, out, err = _create(kracht)

    assert (code, out) == (1, "")
    assert err == (
        f"kracht: template {own}, line 2: it uses a template that does not exist or may not be "
        "used: '../../outside/nl/secret.txt.j2'; fix or remove the template\n"
    )
    _nothing_written(kracht)


def test_template_names_and_languages_are_checked_before_lookup():
    with pytest.raises(ValueError, match="is not a template name"):
        render("../../outside/nl/x.txt.j2", "nl", {})
    with pytest.raises(ValueError, match="is not a template name"):
        render("application_submitted.txt", "nl", {})


# -- programme templates render in the sandbox ---------------------------------------------------


@pytest.mark.parametrize(
    ("template", "body", "problem"),
    [
        (
            SUBMITTED,
            "Subject: {{ ''.__class__.__mro__ }}\nDag\n",
            "line 1: access to attribute '__class__' of 'str' object is unsafe",
        ),
        (
            SUBMITTED,
            "Subject: hoi\n{{ cycler.__init__.__globals__.os.getcwd() }}\n",
            "line 2: access to attribute '__init__' of 'type' object is unsafe",
        ),
        (
            SUBMITTED,
            "Subject: hoi\n{{ lipsum.__globals__['os'].getcwd() }}\n",
            "line 2: access to attribute '__globals__' of 'function' object is unsafe",
        ),
        (
            SUBMITTED,
            "Subject: hoi\n{% set seen = [] %}{{ seen.append(recipient) }}\n",
            "line 2: access to attribute 'append' of 'list' object is unsafe",
        ),
        (
            "nl/application_submitted.html.j2",
            "<p>{{ recipient.__class__ }}</p>\n",
            "line 1: access to attribute '__class__' of 'str' object is unsafe",
        ),
    ],
)
def test_a_sandbox_escape_in_a_programme_template_is_refused_in_one_line(
    kracht, tmp_path, template, body, problem
):
    own = _write(tmp_path / "templates" / f.AVT_2018 / template, body)

    result = _create(kracht)

    assert result == (1, "", f"kracht: template {own}, {problem}; fix or remove the template\n")
    _nothing_written(kracht)
    assert kracht("outbox", "send")[0] == 0
    sent = list((tmp_path / "mail").glob("*.eml"))
    assert all("<class" not in p.read_text() and str(tmp_path) not in p.read_text() for p in sent)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("Subject: hi\n{{ 1/0 }}\n", "line 2: ZeroDivisionError: division by zero"),
        ("Subject: hi\n{{ '%s' % (1, 2) }}\n", "line 2: TypeError: not all arguments converted"),
        ("Subject: hi\n{{ recipient|int(0) + [] }}\n", "line 2: TypeError: unsupported operand"),
    ],
)
def test_a_programme_template_whose_own_computation_fails_is_one_line(
    kracht, tmp_path, body, problem
):
    own = _write(tmp_path / "templates" / f.AVT_2018 / SUBMITTED, body)

    code, out, err = _create(kracht)

    assert (code, out) == (1, "")
    assert err.startswith(f"kracht: template {own}, {problem}")
    assert err.endswith("; fix or remove the template\n")
    assert err.count("\n") == 1
    _nothing_written(kracht)


def test_a_syntax_error_in_a_programme_template_is_one_line(kracht, tmp_path):
    own = _write(tmp_path / "templates" / f.AVT_2018 / SUBMITTED, "Subject: hi\n{% if %}\n")

    result = _create(kracht)

    assert result == (
        1,
        "",
        f"kracht: template {own}, line 2: Expected an expression, got 'end of statement block'; "
        "fix or remove the template\n",
    )
    _nothing_written(kracht)


def test_a_programme_text_template_without_a_subject_line_is_one_line(kracht, tmp_path):
    _write(tmp_path / "templates" / f.AVT_2018 / SUBMITTED, "Dag {{ recipient }}\n")

    result = _create(kracht)

    assert result == (
        1,
        "",
        f"kracht: programme {f.AVT_2018}'s template {SUBMITTED} must start with a "
        "`Subject: ...` line: add one\n",
    )
    _nothing_written(kracht)


def test_a_sandbox_escape_in_a_decision_letter_refuses_the_decision(world, tmp_path, monkeypatch):
    app_id = make_application(world, "steering_decision")
    own = _write(
        tmp_path / "templates" / f.AVT_2018 / "nl" / "decision_letter.txt.j2",
        "Besluit over {{ title }}: {{ title.__class__.__base__.__subclasses__() }}\n",
    )
    settings = _write(tmp_path / "kracht.toml", '[templates]\nfolder = "templates"\n')
    monkeypatch.setenv("KRACHT_CONFIG", str(settings))

    with pytest.raises(InvalidInput) as refused:
        run(world.url, f.STEERING, engine.fire, app_id, "reject", reason="too little business",
                    values={"departure_rationale": "business role not credible"})  # fmt: skip

    assert str(refused.value) == (
        f"template {own}, line 1: access to attribute '__class__' of 'str' object is unsafe; "
        "fix or remove the template"
    )
    assert world.state(app_id) == "steering_decision"
