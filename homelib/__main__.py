"""``python -m homelib run --profile ci --only 03``: see :mod:`homelib.pipeline`."""

import sys

from homelib.pipeline import main

if __name__ == "__main__":
    sys.exit(main())
