"""`python -m tensordsl ...`: the `tensordsl` command (tensordsl/cli)."""

import sys

from tensordsl.cli import main

sys.exit(main())
