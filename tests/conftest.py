"""Session-wide test settings.

Under CI (``CI`` set) hypothesis draws the same examples on every run (``derandomize``), so a
red build always means a change broke something, never that a new random example was drawn
that day; locally every run explores new examples, and failures found there are kept as
fixtures in ``tests/data/``.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
