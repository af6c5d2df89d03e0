"""The ASGI app that ``callguide serve`` runs (uvicorn needs an import string for --workers)."""

from .serving import tune_gc
from .service import create_app

app = create_app()
tune_gc()
