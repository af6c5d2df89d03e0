"""Log hygiene: no personal data and no terminal escapes in the service's logs (issues 6 and 12).

- uvicorn logs each request's path with its query string, and the report's ``?placement=`` (or an
  admin's ``?child_ref=``) is a reference: the access log keeps the path and drops the query.
- Every log line, whoever writes it, has its control characters escaped (``\x1b`` for ESC,
  ``\n`` for a newline), so nothing a client sends can colour a terminal or forge a line.
- An exception logged with its traceback keeps the frames and the exception's class but not
  its text: a driver's message may quote a statement's parameters (a child's reference).
"""

from __future__ import annotations

import logging
import re
import traceback

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]|\n|\r")


def clean(text: str) -> str:
    """``text`` with every control character written as an escape."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


class DropQueryString(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str) and "?" in args[2]:
            record.args = args[:2] + (args[2].split("?", 1)[0] + "?…",) + args[3:]
        return True


def _frames_only(exc_info) -> str:
    """A traceback without the exception's message (nor its causes' messages)."""
    kind, exc, tb = exc_info
    lines = ["Traceback (most recent call last):\n", *traceback.format_tb(tb)]
    name = getattr(kind, "__qualname__", str(kind))
    cause = exc.__cause__ or exc.__context__ if exc is not None else None
    lines.append(f"{name} (message withheld: it may quote personal data)"
                 + (f", from {type(cause).__qualname__}" if cause is not None else ""))
    return "".join(lines)


class _Cleaning:
    """Mixed into the class of every record: its message, once formatted, has its control
    characters escaped. The record's own class (another library's factory may make its own)
    keeps all it does."""

    _base: type[logging.LogRecord] = logging.LogRecord

    def getMessage(self) -> str:  # noqa: N802 - logging's name
        return clean(super().getMessage())  # type: ignore[misc]

    def __reduce__(self):  # copied or pickled (QueueHandler) as a cleaned record of the same class
        return _rebuild, (self._base, self.__dict__)


class CleanRecord(_Cleaning, logging.LogRecord):
    pass


_CLEANED: dict[type, type] = {logging.LogRecord: CleanRecord}


def _cleaned(cls: type) -> type:
    made = _CLEANED.get(cls)
    if made is None:
        made = _CLEANED[cls] = type(f"Clean{cls.__name__}", (_Cleaning, cls), {"_base": cls})
    return made


def _rebuild(base: type, state: dict) -> logging.LogRecord:
    record = base.__new__(_cleaned(base))
    record.__dict__.update(state)
    return record


def _wrap(inner):
    """The record factory ``inner`` (the one in place: logging's own, or another library's),
    with its records cleaned."""

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = inner(*args, **kwargs)
        if not isinstance(record, _Cleaning):
            record.__class__ = _cleaned(type(record))
        if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
            record.exc_text = _frames_only(record.exc_info)
        return record

    factory.callguide_wraps = inner  # marks ours: installing again does not wrap it twice
    return factory


def install_log_hygiene() -> None:
    """Install both; installing again changes nothing. The record factory in place is wrapped,
    never replaced."""
    logger = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, DropQueryString) for f in logger.filters):
        logger.addFilter(DropQueryString())
    current = logging.getLogRecordFactory()
    if not hasattr(current, "callguide_wraps"):
        logging.setLogRecordFactory(_wrap(current))
