"""``python -m vlab`` is the same as the ``vlab`` command."""

from vlab.cli import main

raise SystemExit(main())
