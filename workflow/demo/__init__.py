"""`kracht demo`: the first Agenda voor Twente round, replayed on a fresh database."""
