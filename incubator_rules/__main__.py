"""``python -m incubator_rules`` runs the command line."""

import sys

from .views.cli import main

sys.exit(main())
