"""Allow ``python -m tianhe_geo``."""

from .cli import main

raise SystemExit(main())
