"""Mail and reminder settings: a TOML file, the environment on top, and clear refusals."""

import pytest

from cli import main
from notifications.settings import load
from tests import factories as f
from workflow.errors import InvalidInput


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
        ("[mail]\nport = 'many'\n", "[mail] port must be an integer, not 'many'"),
        ("[mail]\nport = true\n", "[mail] port must be an integer, not True"),
        ("[mail]\nport = 25.9\n", "[mail] port must be an integer, not 25.9"),
        ("[mail]\nhost = { name = 'x' }\n", "[mail] host must be a text, not {'name': 'x'}"),
        ("[mail]\ntimeout = 'long'\n", "[mail] timeout must be a number, not 'long'"),
        ("[mail]\nport = 70000\n", "mail port 70000 is not a port number"),
        ("[mail]\nhots = 'x'\n", "unknown key 'hots' in [mail]"),
        ("[mial]\n", "unknown section [mial]"),
        ("[mail]\nsender = 'not an address'\n", "mail sender 'not an address'"),
        ("[reminders]\nlead_days = -1\n", "reminder days cannot be negative"),
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
