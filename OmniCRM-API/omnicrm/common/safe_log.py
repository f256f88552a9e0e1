"""Logging unexpected exceptions without their text: a library's or a bug's message can quote the request
(passwords, tokens, Ki/OPc, SQL parameters), while the class and the stack are what debugging needs."""
import traceback


def safe_traceback(error):
    """The exception's class and stack (file, line, function, source line), then those of its causes; no message
    and no local value."""
    parts, seen = [], set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        frames = "".join(traceback.format_list(traceback.extract_tb(error.__traceback__)))
        parts.append(f"Traceback (most recent call last):\n{frames}{exception_name(error)} (message not logged)")
        error = error.__cause__ or (None if error.__suppress_context__ else error.__context__)
    return "\nwhile handling or caused by:\n".join(parts)


def exception_name(error):
    kind = type(error)
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def log_unexpected(logger, error, message, *args):
    """`logger.exception` without the exception's text."""
    logger.error(f"{message}: %s\n%s", *args, exception_name(error), safe_traceback(error))
