"""`python -m memories_async.cli`: the `memories` command without the console script."""

import sys

from . import main

sys.exit(main())
