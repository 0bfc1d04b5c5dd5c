"""``python -m lra_edu`` runs the ``lra-edu`` command line."""

import sys

from lra_edu.cli import main

sys.exit(main())
