"""What X12 free text can carry: the delimiters Alma writes with, and `clean_text`.

In the core because two features need the same answer: claims write names and addresses
into an 837P with it, and the program refuses, when a client is moved in, a name or an
address that would come out of it empty (a claim could not carry it).
"""
import re
import unicodedata

SEGMENT_TERMINATOR = "~"
ELEMENT_SEPARATOR = "*"
COMPONENT_SEPARATOR = ":"
REPETITION_SEPARATOR = "^"
DELIMITERS = SEGMENT_TERMINATOR + ELEMENT_SEPARATOR + COMPONENT_SEPARATOR + REPETITION_SEPARATOR

# Characters kept in free text: the X12 basic character set minus the delimiters
# in use (upper-case letters, digits, space and a little punctuation).
_ALLOWED = re.compile(r"""[^A-Z0-9 !"&'()+,\-./;?=]""")
# Letters that NFKD does not decompose into ASCII + combining marks.
_TRANSLITERATE = str.maketrans({
    "Æ": "AE", "Ø": "O", "Œ": "OE", "Ł": "L", "Đ": "D", "Ð": "D", "Þ": "TH", "Ħ": "H",
    "Ŋ": "N", "Ŧ": "T", "ẞ": "SS", "Ə": "E", "Ĳ": "IJ",
})


def clean_text(value, max_length=None):
    """Upper-case ASCII without X12 delimiters, single-spaced, trimmed to max_length."""
    text = str(value or "").upper().translate(_TRANSLITERATE)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.encode("ascii", "ignore").decode("ascii")
    text = _ALLOWED.sub(" ", text)
    text = " ".join(text.split())
    if max_length is not None:
        text = text[:max_length].rstrip()
    return text
