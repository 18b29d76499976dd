"""The one exception type for user mistakes, and how runners report it."""

import functools
import sys
from typing import Any, Callable, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


class UserError(Exception):
    """Bad input from the user (a file, a value, a module): shown as one line, no traceback."""


def report_user_errors(command: F) -> F:
    """Wrap a runner: a UserError becomes one `error: ...` line on stderr and exit status 1."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except UserError as error:
            click.echo(f"error: {error}", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]
