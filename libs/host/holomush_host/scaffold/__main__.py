"""``python -m holomush_host.scaffold NAME [--storage postgres] [--provides SERVICE] [--dir DIR]``."""

import sys

from holomush_host.scaffold.cli import main

sys.exit(main())
