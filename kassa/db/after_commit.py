"""What a transaction's code reports (a metric, a log line) said once its writes are
committed: a transaction rolled back, or a compare-and-set that found its rows changed and
is carried out again under a lock (`kassa.fast.batch`), reports nothing, so nothing is
counted twice nor logged for a change that did not happen."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

_KEY = "kassa.after_commit"
Report = Callable[[], Any]


def after_commit(session: AsyncSession, report: Report) -> None:
    """Runs `report` when the session's transaction commits (or, for a compare-and-set,
    when its statement applied)."""
    session.info.setdefault(_KEY, []).append(report)


def committed(session: AsyncSession | Session) -> None:
    """The session's writes are committed: its reports are said, once."""
    for report in session.info.pop(_KEY, ()):
        report()


def discarded(session: AsyncSession | Session) -> None:
    """The session's writes did not happen: its reports are dropped."""
    session.info.pop(_KEY, None)


@event.listens_for(Session, "after_commit")
def _on_commit(session: Session) -> None:
    committed(session)


@event.listens_for(Session, "after_rollback")
def _on_rollback(session: Session) -> None:
    discarded(session)
