"""``python -m utils.course``: execute the notebooks, check budgets, rebuild the tables (see :mod:`.runner`);
``python -m utils.course rehearse``: the imagenet track against local stand-ins (see :mod:`.rehearsal`)."""

import sys

if sys.argv[1:2] == ["rehearse"]:
    from .rehearsal import main
else:
    from .runner import main

sys.exit(main())
