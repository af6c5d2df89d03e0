"""Web pages for care staff, call handlers and trainers (issue 5): ``install(app)``."""

from .routes import install, router

__all__ = ["install", "router"]
