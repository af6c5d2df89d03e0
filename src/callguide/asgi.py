"""The ASGI app that ``callguide serve`` runs (uvicorn needs an import string for --workers)."""

from .service import create_app

app = create_app()
