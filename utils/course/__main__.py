"""``python -m utils.course``: execute the notebooks, check budgets, rebuild the tables (see :mod:`.runner`)."""

import sys

from .runner import main

sys.exit(main())
