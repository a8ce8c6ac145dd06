"""`python -m demo`: serve the simulated web (see demo.server.main)."""

import sys

from demo.server import main

sys.exit(main())
