"""Errors that lunarscope shows to users.

``InputError`` means the user asked for something wrong: the command line prints its
message on one line and exits with code 2. Its message names the field and what would be
right, e.g. ``orbit.elements.e: 1.2 must be in [0, 1)``.
"""


class InputError(ValueError):
    """Wrong user input; the message names the field and what is allowed."""

    def __init__(self, field: str, problem: str):
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}" if field else problem)

    def __reduce__(self):  # picklable, so it crosses process pools (plan windows, batches)
        return (type(self), (self.field, self.problem))


class CoverageError(InputError):
    """An epoch lies outside the span covered by a kernel or data file."""
