"""kracht's commands, one module per family; `cli.py` registers them on the root group.

Each command parses its input, calls one workflow function and renders a table or JSON. Heavy
libraries (SQLAlchemy, transitions, Jinja2, APScheduler, matplotlib) and the workflow modules that
pull them in are imported inside the commands, so `kracht --help` stays fast. These modules never
import `cli`.
"""
