"""``python -m banksim``: the same as the ``banksim`` command."""

import sys

from banksim.cli import main

sys.exit(main())
