"""Mail and reminder settings: a TOML file, the environment on top, and clear refusals."""

import pytest

from kracht.basics.errors import InvalidInput
from kracht.cli import main
from kracht.notifications.settings import load
from tests import factories as f
from tests.factories import make_application


def test_without_settings_mail_goes_to_files_and_reminders_use_their_defaults(
    monkeypatch, tmp_path
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KRACHT_CONFIG", raising=False)

    settings = load()

    assert (settings.mail.transport, settings.mail.directory) == ("file", "kracht-mail")
    assert (settings.reminders.lead_days, settings.reminders.escalate_after_days) == (3, 7)
    assert settings.source == "built-in defaults"


def test_the_file_sets_smtp_and_the_environment_wins(monkeypatch, tmp_path):
    path = tmp_path / "kracht.toml"
    path.write_text(
        '[mail]\ntransport = "smtp"\nhost = "smtp.example.org"\nport = 587\n'
        'security = "starttls"\nusername = "kracht"\npassword_env = "MY_SMTP_SECRET"\n'
        '[templates]\nfolder = "ours"\n'
    )
    monkeypatch.setenv("MY_SMTP_SECRET", "s3cret")
    monkeypatch.setenv("KRACHT_SMTP_PORT", "2525")

    settings = load(str(path))

    mail = settings.mail
    assert (mail.transport, mail.host, mail.port, mail.security) == (
        "smtp", "smtp.example.org", 2525, "starttls"
    )  # fmt: skip
    assert (mail.username, mail.password) == ("kracht", "s3cret")
    assert settings.templates.folder == str(tmp_path / "ours")
    assert mail.directory == str(tmp_path / "kracht-mail")  # relative to the file


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[mail]\ntransport = 'pigeon'\n", "mail transport must be one of smtp, file, console"),
        ("[mail]\nport = 'many'\n", "[mail] port must be a whole number, not 'many'"),
        ("[mail]\nport = true\n", "[mail] port must be a whole number, not True"),
        ("[mail]\nport = 25.9\n", "[mail] port must be a whole number, not 25.9"),
        ("[mail]\nhost = { name = 'x' }\n", "[mail] host must be a text, not {'name': 'x'}"),
        ("[mail]\ntimeout = 'long'\n", "[mail] timeout must be a number, not 'long'"),
        ("[mail]\nport = 70000\n", "[mail] port must be at least 1 and at most 65,535, not 70000"),
        ("[mail]\nhots = 'x'\n", "unknown key 'hots' in [mail]"),
        ("[mial]\n", "unknown section [mial]"),
        ("[mail]\nsender = 'not an address'\n", "mail sender 'not an address'"),
        (
            "[reminders]\nlead_days = -1\n",
            "[reminders] lead_days must be at least 0 and at most 365 days",
        ),
        ("[mail\n", "is not valid TOML"),
    ],
)
def test_bad_settings_are_refused_by_name(tmp_path, text, message):
    path = tmp_path / "kracht.toml"
    path.write_text(text)

    with pytest.raises(InvalidInput, match=None) as error:
        load(str(path))

    assert message in str(error.value)


def test_the_command_line_names_a_bad_settings_file_in_one_line(world, tmp_path, capsys):
    path = tmp_path / "kracht.toml"
    path.write_text("[mail]\ntransport = 'pigeon'\n")
    missing = tmp_path / "nowhere.toml"

    bad = main(["--db", world.url, "--as", f.LEADER, "--config", str(path), "outbox", "send"])
    err_bad = capsys.readouterr().err
    gone = main(["--db", world.url, "--as", f.LEADER, "--config", str(missing), "outbox", "send"])
    err_gone = capsys.readouterr().err

    assert (bad, gone) == (1, 1)
    assert err_bad == "kracht: settings: mail transport must be one of smtp, file, console\n"
    assert err_gone == f"kracht: settings file {missing} does not exist\n"


# -- settings that used to crash a command, or pass the check and crash `outbox send` ----------


def _run(argv, capsys):
    """Exit code and stderr of one `kracht` run."""
    code = main(argv)
    return code, capsys.readouterr().err


def _one_line(err, *names):
    """The refusal is exactly one `kracht:` line naming each of `names`, and no traceback."""
    assert err.count("\n") == 1, err
    assert err.startswith("kracht: "), err
    assert "Traceback" not in err
    for name in names:
        assert name in err, err


def _statuses(url):
    from sqlmodel import select

    from kracht.storage.database import session
    from kracht.storage.tables import OutboxMessage

    with session(url) as db:
        return {row.status for row in db.exec(select(OutboxMessage)).all()}


def _config(tmp_path, text):
    path = tmp_path / "kracht.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ('mail = "x"\n', "mail must be a table"),
        ("mail = [1]\n", "mail must be a table"),
        ("reminders = 5\n", "reminders must be a table"),
        ('templates = "t"\n', "templates must be a table"),
        ("[mail]\npassword_env = 5\n", "[mail] password_env"),
        ('[mail]\npassword_env = ["A"]\n', "[mail] password_env"),
        ('[mail]\npassword_env = "A=B"\n', "[mail] password_env"),
    ],
)
def test_a_section_or_password_env_of_the_wrong_type_is_refused_in_one_line(
    world, tmp_path, capsys, text, name
):
    config = _config(tmp_path, text)

    code, err = _run(["--db", world.url, "--as", f.LEADER, "--config", config, "outbox", "list"],
                     capsys)  # fmt: skip

    assert code == 1
    _one_line(err, "kracht: settings: ", name)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("timeout = nan", "[mail] timeout"),
        ("timeout = inf", "[mail] timeout"),
        ("timeout = -5", "[mail] timeout"),
        ("timeout = 0", "[mail] timeout"),
        ("timeout = 100000", "[mail] timeout"),
        ("backoff_seconds = 60\nbackoff_max_seconds = 10", "backoff_max_seconds"),
        ("backoff_seconds = 1000000000000", "[mail] backoff_seconds"),
        ("lease_seconds = 100000000", "[mail] lease_seconds"),
        ("max_attempts = 1001", "[mail] max_attempts"),
        ('sender = "A <a@example.org>\\nBcc: b@example.org"', "[mail] sender"),
        ('sender = "a@example.org\\r"', "[mail] sender"),
        ('host = "a\\nb"', "[mail] host"),
        ('username = "u\\u0000"', "[mail] username"),
        ('ca_file = "c\\u0000a"', "[mail] ca_file"),
    ],
)
def test_a_bad_mail_setting_is_refused_before_any_message_is_claimed(
    world, tmp_path, capsys, text, name
):
    make_application(world, "idea")  # two messages waiting
    config = _config(tmp_path, f"[mail]\ndirectory = 'mail'\n{text}\n")

    code, err = _run(["--db", world.url, "--as", f.LEADER, "--config", config, "outbox", "send"],
                     capsys)  # fmt: skip

    assert code == 1
    _one_line(err, "kracht: settings: ", name)
    assert _statuses(world.url) == {"pending"}
    assert not (tmp_path / "mail").exists()


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("[reminders]\nlead_days = 366\n", "[reminders] lead_days"),
        ("[reminders]\nescalate_after_days = 1000\n", "[reminders] escalate_after_days"),
    ],
)
def test_reminder_days_beyond_a_year_are_refused(world, tmp_path, capsys, text, name):
    config = _config(tmp_path, text)

    code, err = _run(["--db", world.url, "--as", f.LEADER, "--config", config, "outbox", "list"],
                     capsys)  # fmt: skip

    assert code == 1
    _one_line(err, "kracht: settings: ", name)


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("KRACHT_SMTP_PORT", "\uff11", "KRACHT_SMTP_PORT must be a whole number, not '\uff11'"),
        ("KRACHT_SMTP_PORT", "abc", "KRACHT_SMTP_PORT must be a whole number, not 'abc'"),
        ("KRACHT_SMTP_PORT", "70000", "KRACHT_SMTP_PORT must be at least 1 and at most 65,535"),
        ("KRACHT_SMTP_HOST", "a\nb", "KRACHT_SMTP_HOST holds the control character U+000A"),
        ("KRACHT_MAIL_FROM", "A <a@example.org>\r\nBcc: b@example.org", "KRACHT_MAIL_FROM holds"),
        ("KRACHT_SMTP_USER", "u\x1b", "KRACHT_SMTP_USER holds the control character U+001B"),
    ],
)
def test_a_bad_value_from_the_environment_names_its_variable(
    world, tmp_path, capsys, monkeypatch, variable, value, message
):
    make_application(world, "idea")
    config = _config(tmp_path, "[mail]\ndirectory = 'mail'\n")
    monkeypatch.setenv(variable, value)

    code, err = _run(["--db", world.url, "--as", f.LEADER, "--config", config, "outbox", "send"],
                     capsys)  # fmt: skip

    assert code == 1
    _one_line(err, f"kracht: settings: {message}")
    assert _statuses(world.url) == {"pending"}


def test_a_settings_file_over_64_mib_is_refused_unread(world, tmp_path, capsys):
    path = tmp_path / "kracht.toml"
    with path.open("wb") as file:
        file.write(b"[mail]\n")
        file.truncate(64 * 2**20 + 1)  # sparse: no disk used

    code, err = _run(["--db", world.url, "--config", str(path), "outbox", "list"], capsys)

    assert code == 1
    _one_line(err, f"kracht: settings file {path} is larger than 64 MiB")


def test_a_deeply_nested_settings_file_is_refused_in_one_line(world, tmp_path, capsys):
    config = _config(tmp_path, "a = " + "[" * 100_000 + "]" * 100_000 + "\n")

    code, err = _run(["--db", world.url, "--config", config, "outbox", "list"], capsys)

    assert code == 1
    _one_line(err, "kracht: settings file", "nested too deeply")


@pytest.mark.parametrize(
    ("options", "name"),
    [
        (["--interval", "inf", "--stop-after", "1"], "--interval"),
        (["--interval", "nan", "--once"], "--interval"),
        (["--interval", "100000", "--once"], "--interval"),
        (["--interval", "\uff11", "--once"], "--interval"),
        (["--stop-after", "nan"], "--stop-after"),
        (["--stop-after", "0"], "--stop-after"),
    ],
)
def test_scheduler_run_takes_only_finite_positive_seconds(world, capsys, options, name):
    code, err = _run(["--db", world.url, "--as", f.LEADER, "scheduler", "run", *options], capsys)

    assert code == 2
    _one_line(err, f"Invalid value for '{name}'")
