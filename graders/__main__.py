"""``python -m graders``: the kit's command line (see :mod:`graders.cli`)."""

from graders.cli import main

raise SystemExit(main())
