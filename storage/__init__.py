"""The records: tables, database set-up, the append-only audit chain and migrations.

Nothing outside this package writes SQL.
"""
