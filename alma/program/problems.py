"""What the program's rules refuse, and billing a program client's session too."""


class ProgramProblem(Exception):
    """A rule refused what was asked: str() is a sentence for the person who asked, .field
    the form field it is about (or None)."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field
