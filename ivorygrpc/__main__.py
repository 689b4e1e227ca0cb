"""`python -m ivorygrpc` is the `ivorygrpc` command."""

import sys

from ivorygrpc.cli import main

sys.exit(main())
