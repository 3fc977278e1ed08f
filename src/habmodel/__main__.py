"""``python -m habmodel``: the same as the ``habmodel`` command."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
