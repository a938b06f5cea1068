"""Parts: the questions one message asks ("when is it due and can I pay by card?" asks two).

A message is split only where a new question visibly starts, so that a single question
joining two things ("can we pay by card and by transfer?") stays whole:

- after a question mark, when what follows is a question too (it ends with one, or opens
  like one) and not a remark about the first ("can you check it? it looks wrong");
- at a joint that only joins questions: "; ", " and also ", " y además ", " y también ";
- at " and " / " y " (or ", and"), when the part before is a question and the part after
  opens a question of its own: an interrogative word or an auxiliary ("... and can I",
  "... y cuándo"), or a request ("... and tell me").

Joints are words and punctuation followed by a space, so invoice numbers, amounts and dates
("NW-2026-0477", "1,224.46", "2.12.2026") are never cut. Every part keeps at least two words;
a message that would give more than `MOST` parts (a pasted e-mail, a list) stays whole, and
the languages with no interrogatives listed here are split at question marks only.

A part after an explicit joint that opens with no verb ("... balance and also your phone
number") stands when the first part is a request with an object to list ("can you give me"):
it is decided as written, the way a customer's fragment is.
"""

from __future__ import annotations

import re


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


MOST = 3  # parts; a message giving more is not a handful of questions
MIN_WORDS = 2  # per part

# Words that open a question or a request, per language (lower case; accents as written
# and without, where informal writing drops them without making another common word).
_OPENERS = {
    "en": _set(
        """what what's whats wat wen when when's where which who whom whose why how how's is
        are was were do does did can could will would should shall may have has had am isn't
        aren't don't doesn't didn't can't won't wouldn't couldn't tell send give show let
        please any"""
    ),
    "es": _set(
        """qué cuándo cuando cuánto cuanto cuánta cuanta cuántos cuantos cuántas cuantas cómo
        dónde donde cuál cual cuáles cuales quién quien porqué puedo podemos puede pueden
        podéis podeis podrías podrias podríais podrian podrían se hay es está están tengo
        tenemos debo debemos dime decidme dame dadme envíame enviame mándame mandame me
        nos"""
    ),
}
# Joints that join two questions whatever follows.
_ALWAYS = {
    "en": re.compile(r";\s+|,?\s+and also\s+|,?\s+and as well\s+", re.I),
    "es": re.compile(r";\s+|,?\s+y además\s+|,?\s+y ademas\s+|,?\s+y también\s+", re.I),
}
# "and" / "y": a joint only when a question follows.
_AND = {
    "en": re.compile(r",?\s+(?:and|plus)\s+|,\s+(?=\w)", re.I),
    "es": re.compile(r",?\s+(?:y|e)\s+|,\s+(?=\w)", re.I),
}
# After a question mark (and its closing quote or bracket, if any).
_QUESTION_MARK = re.compile(r"(?<=\?)[\"')\]]*\s+")
# A heading that announces several questions: "two things:", "dos preguntas:".
_PREFACE = re.compile(
    r"^\s*(?:(?:two|three|a couple of|some|few|quick|2|3|dos|tres|un par de|unas|algunas)\s+)*"
    r"(?:things|questions|qs|cosas|preguntas|dudas)\s*[:,-]\s*",
    re.I,
)
# Leading words a part may carry that are not the question yet: "and", "also", "¿y", "hi".
_LEADING = _set(
    """and also plus so y además ademas también tambien e hi hello hey ok okay thanks hola
    buenas gracias vale"""
)
# An English auxiliary opens a question only before its subject ("and can I", "and is there");
# "... and can't be paid" continues the first question.
_AUXILIARIES = _set(
    """is are was were do does did can could will would should shall may have has had am
    isn't aren't don't doesn't didn't can't won't wouldn't couldn't"""
)
_SUBJECTS = _set(
    """i we you u it they there he she this that these those the my our your ur their its a
    an any all"""
)
# Where a request's opening ends ("can you give me", "¿podéis darme").
_ENDS_OPENING = re.compile(r"^(?:me|us|nos|dime|dame|darme|decirme|enviarme|mandarme)$", re.I)
_WORD = re.compile(r"[\w'’-]+")


def questions(text: str, language: str = "en") -> tuple[str, ...]:
    """The questions of `text`, in order; the text itself (one part) when it asks one."""
    body = _PREFACE.sub("", text, count=1)
    parts = [piece for part in _split_at_marks(body, language) for piece in _joints(part, language)]
    if len(parts) < 2 or len(parts) > MOST:
        return (text,)
    return tuple(parts)


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def _opens_question(text: str, language: str, *, strict: bool = True) -> bool:
    """Whether `text` opens like a question or a request: "and can I...", "¿y cuándo...?";
    `strict`: an English auxiliary only before its subject."""
    openers = _OPENERS.get(language)
    if openers is None:
        return False
    words = _words(text)
    while words and words[0] in _LEADING:
        words = words[1:]
    if not words:
        return False
    first, following = words[0], words[1] if len(words) > 1 else ""
    if first == "por":  # "por qué", not "por la tarde"
        return following in ("qué", "que")
    if first not in openers:
        return False
    return not strict or language != "en" or first not in _AUXILIARIES or following in _SUBJECTS


def _is_question(text: str, language: str) -> bool:
    stripped = text.strip()
    return (
        stripped.endswith("?")
        or stripped.startswith("¿")
        or _opens_question(text, language, strict=False)
    )


def _split_at_marks(text: str, language: str) -> list[str]:
    """At each question mark followed by another question."""
    parts: list[str] = []
    start = 0
    for match in _QUESTION_MARK.finditer(text):
        before, after = text[start : match.start()], text[match.end() :]
        if len(_words(before)) < MIN_WORDS or len(_words(after)) < MIN_WORDS:
            continue
        following = re.split(r"(?<=[?.!])\s+", after, maxsplit=1)[0]
        if not _is_question(following, language):
            continue  # "can you check it? it looks wrong": a remark about the first
        parts.append(before.strip())
        start = match.end()
    return [*parts, text[start:].strip()]


def _joints(text: str, language: str) -> list[str]:
    """At "; " and "and also" always, at "and" only between questions."""
    always, joint = _ALWAYS.get(language), _AND.get(language)
    if always is None or joint is None:
        return [text]  # a language with no joints known here: question marks only
    lead = _opening(text)
    candidates = sorted(
        [(m, True) for m in always.finditer(text)] + [(m, False) for m in joint.finditer(text)],
        key=lambda pair: pair[0].start(),
    )
    pieces: list[str] = []
    start = 0
    for match, explicit in candidates:
        if match.start() < start:
            continue  # inside a joint already taken
        before, after = text[start : match.start()], text[match.end() :]
        if len(_words(before)) < MIN_WORDS or len(_words(after)) < MIN_WORDS:
            continue
        if explicit:
            # "... by card and also by transfer?" joins two ways of one question: a part
            # that opens no question stands only with an opening to borrow.
            if not (_opens_question(after, language) or lead):
                continue
        elif not (_is_question(before, language) and _opens_question(after, language)):
            continue
        pieces.append(before.strip())
        start = match.end()
    if not pieces:
        return [text]
    pieces.append(text[start:].strip())
    return pieces


def _opening(text: str) -> str:
    """The opening of a request up to its "me"/"us" ("can you give me"), when it has one
    within its first five words; else ""."""
    tokens = text.split()
    for i, token in enumerate(tokens[:5]):
        if _ENDS_OPENING.match(token.strip("¿?¡!,.")):
            return " ".join(tokens[: i + 1])
    return ""
