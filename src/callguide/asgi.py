"""The ASGI app that ``callguide serve`` runs (uvicorn needs an import string for --workers).

The Host names requests may use come from ``$CALLGUIDE_ALLOWED_HOSTS`` (comma-separated; ``serve``
sets it from ``--allowed-hosts`` or ``--host``); without it, only localhost (issue 16).
"""

import os

from .serving import ALLOWED_HOSTS_ENV, LOCAL_HOSTS, tune_gc
from .service import create_app

_hosts = [name.strip() for name in os.environ.get(ALLOWED_HOSTS_ENV, "").split(",") if name.strip()]
app = create_app(allowed_hosts=_hosts or list(LOCAL_HOSTS))
tune_gc()
