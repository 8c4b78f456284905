"""`python -m kracht`: the command line."""

import sys

from kracht.cli import main

sys.exit(main())
