"""Decision records, outcomes and the Protocol §4 monitoring report (issue 6).

Wiring (``service.create_app``)::

    records = install_records(app)                              # routes, migrations at start-up
    ... recording: Recording | None = Depends(recording_dependency(records, "decision"))
    ... if recording: recording.save(incident, decision, response)

``POST /v1/decisions`` stays open: without a key it decides and records nothing, exactly as the
contract says. Recording needs a ``staff`` key and either ``?record=true`` or
``CALLGUIDE_RECORD_BY_DEFAULT=true``; the pseudonymous references travel in the headers
``Callguide-Placement-Ref`` and ``Callguide-Child-Ref`` (never in the URL, so never in access
logs), and the new record's id comes back in ``Callguide-Record-Id`` and ``Location``.
"""

from __future__ import annotations

from .api import install_records
from .core import Recording, Records, recording_dependency

__all__ = ["Recording", "Records", "install_records", "recording_dependency"]
