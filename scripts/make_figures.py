"""Make habmodel's teaching figures: ``habmodel figures`` from a source checkout.

    python scripts/make_figures.py --out figures     # what `make figures` runs
    python scripts/make_figures.py --help            # every option

The figures are made by :mod:`habmodel.figures`, which ships with the package, so
an installed habmodel makes them too (``habmodel figures``).
"""

import sys

from habmodel.figures import main

if __name__ == "__main__":
    sys.exit(main())
