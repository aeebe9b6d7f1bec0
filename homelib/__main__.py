"""``python -m homelib run --profile ci --only 03``: see :mod:`homelib.pipeline`.

``python -m homelib exposure --profile my_profile.yml``: see :mod:`homelib.home.cli`.
"""

import sys

from homelib.pipeline import main

if __name__ == "__main__" and sys.argv[1:2] == ["exposure"]:  # hook of issue 16 (branch home)
    from homelib.home.cli import main as exposure_main

    sys.exit(exposure_main(sys.argv[2:]))

if __name__ == "__main__":
    sys.exit(main())
