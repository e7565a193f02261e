"""Run test work on a thread of a given name, as the node's threads run it."""

from __future__ import annotations

import threading
from collections.abc import Callable


def in_thread(name: str, work: Callable[[], object]) -> None:
    """``work()`` on a new thread called ``name``, waited for; its error is raised here."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as e:  # handed to the test's thread
            errors.append(e)
    thread = threading.Thread(target=run, name=name)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
