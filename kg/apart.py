"""One piece of work made by a second process while this one goes on.

The machine has two cores and most of the pipeline is one core's Python, so on a large graph
a derive builds its collaboration network, a publish the staff view's page summaries, and
`build_search_indexes` the second view's index in a spawned child. A plain process and a
pipe, not a multiprocessing.Pool: a Pool whose worker
is killed (by the kernel's out-of-memory killer, say) replaces it and never answers, so its
caller would wait for ever; here the pipe's end tells the caller the child is gone.
"""
from __future__ import annotations

import os
import signal
import threading
import time
import traceback
from contextlib import contextmanager
from multiprocessing import get_context
from typing import Any, Callable, Iterator

from kg.errors import ScipopError, StoreError


OUT_OF_MEMORY = "If the system ran out of memory, free some or use a machine with more; then run the command again."
STOP_WAIT = 30


class Apart:
    """A function running in a spawned child; `result()` waits for its value."""

    def __init__(self, what: str, function: Callable[..., Any], *args: Any, fix: str = OUT_OF_MEMORY,
                 daemon: bool = True) -> None:
        """`daemon=False` for work that starts processes of its own (a daemon may not); the
        caller must then stop it (`stop`, or use `apart`), as it is not ended at exit."""
        self.what = what
        self.fix = fix
        spawn = get_context("spawn")   # not fork: this process runs Oxigraph's threads
        self._receiving, sending = spawn.Pipe(duplex=False)
        self._child = spawn.Process(target=_run, args=(sending, os.getpid(), function, args), daemon=daemon)
        try:
            self._child.start()
        except BaseException:
            self._receiving.close()
            raise
        finally:
            sending.close()   # the child holds the only sending end: its exit ends recv() with EOFError

    def result(self) -> Any:
        try:
            ok, value = self._receiving.recv()
        except EOFError:
            self._child.join()
            raise StoreError(f"{self.what} stopped before it finished (exit status {self._child.exitcode}).",
                             self.fix) from None
        self._child.join()
        if ok:
            return value
        if isinstance(value, ScipopError):
            raise value
        raise RuntimeError(f"{self.what} failed in its process:\n{value}")

    def stop(self) -> None:
        """End the child if it is still at work (its result is of no use any more): asked as
        Ctrl-C would, so that it can clean up (an index build discards its directory), then
        terminated if it has not stopped within STOP_WAIT seconds, or if waiting is interrupted
        (a second Ctrl-C): a child that is not a daemon would otherwise hold up this
        interpreter's exit."""
        try:
            if self._child.is_alive():
                os.kill(self._child.pid, signal.SIGINT)
                self._child.join(timeout=STOP_WAIT)
        finally:
            if self._child.is_alive():
                self._child.terminate()
            self._child.join()
            self._receiving.close()


@contextmanager
def apart(what: str, function: Callable[..., Any], *args: Any, fix: str = OUT_OF_MEMORY,
          daemon: bool = True) -> Iterator[Apart]:
    """`function(*args)` in a child process for the block; the child is stopped when the block
    ends, whether or not its result was taken (after an error it is of no use)."""
    work = Apart(what, function, *args, fix=fix, daemon=daemon)
    try:
        yield work
    finally:
        work.stop()


def exit_with_parent(parent: int) -> None:
    """In a child process: end it as soon as the process that started it (`parent`) is gone.

    A SIGTERM or SIGKILL ends the parent without running its cleanup; the child would work
    on, orphaned, for minutes at scale, taking the cores (and the checkpoint it reads) of
    whatever runs next. Nothing needs what it was making."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(1)   # no cleanup to run: what the child made is discarded by the next run

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _run(sending, parent: int, function: Callable[..., Any], args: tuple) -> None:
    """The child's side: send (True, value), or (False, the error) for the caller to raise."""
    exit_with_parent(parent)
    try:
        try:
            outcome = (True, function(*args))
        except ScipopError as error:
            outcome = (False, error)
        except Exception:   # the caller reports it; a traceback travels as text
            outcome = (False, traceback.format_exc())
        try:
            sending.send(outcome)   # pickled whole before anything is written
        except Exception:   # a value or an error that does not pickle
            sending.send((False, traceback.format_exc()))
    except KeyboardInterrupt:
        return   # stopped by the caller (Apart.stop), who wants nothing back
