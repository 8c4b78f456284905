"""Messages to applicants and committee members (outbox, templates, reminders)."""
