"""``python -m callguide`` is the ``callguide`` command."""

from .cli import main

main()
