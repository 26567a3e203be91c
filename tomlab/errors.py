"""One error type for bad input, and the guard every command-line entry point runs under."""

from __future__ import annotations

import functools
import sys


class ToMLabError(Exception):
    """Bad input or an unusable environment: reported as one line, exit status 2."""


def cli_main(func):
    """Decorate a script's ``main``: a :class:`ToMLabError` becomes ``error: ...`` on stderr and exit 2."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except ToMLabError as exc:
            print(f"error: {exc}", file=sys.stderr)
            raise SystemExit(2) from None
        except KeyboardInterrupt:
            print("interrupted: everything written so far is kept; run the same command again to resume",
                  file=sys.stderr)
            raise SystemExit(130) from None

    return wrapper
