"""The moderation policy, in one place: what a new comment gets (approved, held or rejected) and why.

`comment_assess` is a pure function of the text and what the caller knows about its author and
recent comments, so it is tested table by table and measured on a labelled set
(bench/moderation_eval.py). Doubtful means held: a person decides. Only unmistakable spam (link
stuffing, the same text again and again) is rejected without one.

The abuse score is alt-profanity-check's probability (a linear model on words), imported here and
nowhere else.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from typing import Any

from broadsheet.community.text import links_count, text_normalise

APPROVED = "approved"
HELD = "held"
REJECTED = "rejected"
_SEVERITY = {APPROVED: 0, HELD: 1, REJECTED: 2}

# Below this length a text is too common to call a duplicate ("thanks", "+1", "great piece").
_DUPLICATE_MIN_CHARS = 20
_MAX_SENTENCES = 30
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_LEET = str.maketrans(
    {
        "0": "o",
        "1": "i",
        "3": "e",
        "4": "a",
        "5": "s",
        "7": "t",
        "@": "a",
        "$": "s",
        "!": "i",
        "*": "u",
    }
)
_LEET_WORD = re.compile(
    r"\b\w*[a-z][0-9@$!*][\w@$!*]*\b|\b[\w]*[0-9@$*][a-z][\w@$!*]*", re.IGNORECASE
)
_SPACED_LETTERS = re.compile(r"\b(?:[a-z][ .\-_]){2,}[a-z]\b", re.IGNORECASE)

# Phrases that sell, recruit or move the conversation off-site; each holds a comment for a person.
_SPAM_PHRASES = re.compile(
    r"\b(?:whats\s?app|telegram|wechat|dm me|message me|contact me|text me|inbox me"
    r"|work(?:ing)? from home|earn(?:ed|ing)? (?:up to )?[$£€]|make [$£€]\s?\d|[$£€]\s?\d[\d,]* (?:a|per) (?:day|week|month)"
    r"|click (?:here|the link|my)|check out my|visit my (?:site|page|profile|channel)"
    r"|subscribe to my|follow me on|promo code|discount code|coupon|buy cheap|cheap (?:viagra|cialis|pills)"
    r"|free (?:followers|likes|crypto|bitcoin|iphone|gift card)|bitcoin (?:doubl|invest)|crypto (?:signals|investment)"
    r"|investment (?:platform|manager|opportunity)|passive income|limited offer|act now|100% guaranteed"
    r"|casino|betting tips|onlyfans|hot singles|sugar daddy|loan offer)\b",
    re.IGNORECASE,
)


# Threats of violence rarely use a swear word, so the word model misses them: these catch the
# common shapes (a wish or call for harm to someone, a promise of it, "I know where you live").
_THREAT = re.compile(
    r"\b(?:should|must|needs? to|ought to|deserves? to|will) be (?:shot|hanged|hung|killed|executed|exterminated"
    r"|beaten|lynched|raped|stabbed|burned|burnt|gassed|murdered|put down|lined up and shot)\b"
    r"|\b(?:someone|somebody|people) (?:should|needs? to|ought to|has to|must) (?:shoot|kill|stab|hang|beat|murder|hurt|attack)\b"
    r"|\b(?:hope|wish|pray)s? (?:you|he|she|they|someone|somebody|your \w+)\b.{0,40}\b(?:die|dies|dead|stab|stabs|shoot|shoots|kill|kills|rape|rapes|get (?:shot|killed|stabbed|cancer|raped)|gets (?:shot|killed|stabbed|cancer|raped))\b"
    r"|\b(?:i'?ll|i will|i'm gonna|i am going to|gonna|we will|we'll) (?:kill|shoot|stab|beat|hurt|find|slit|strangle|murder|get) (?:you|your|him|her|them)\b"
    r"|\bknow where (?:you|he|she|they) lives?\b|\bput a bullet in\b|\b(?:burn|torch) (?:their|his|her|your) (?:house|home)s?\b"
    r"|\bpunch\b.{0,40}\bin the (?:face|mouth)\b|\bkill (?:all|every one|each one) of (?:them|you)\b|\bkys\b",
    re.IGNORECASE,
)
# Insults the word model does not know, aimed at people rather than ideas.
_INSULT = re.compile(
    r"\b(?:clueless|brain-?dead|halfwits?|dimwits?|imbeciles?|morons?|moronic|cretins?|clowns?|snowflakes?"
    r"|incompetent fool|hacks?|shills?|dense|numpty|numpties|losers?|trolls?)\b",
    re.IGNORECASE,
)
# Mild swearing is emphasis, not abuse ("damn good piece", "bloody hell"): scored without it too.
_MILD_SWEAR = re.compile(r"\b(?:damn(?:ed)?|hell|bloody)\b", re.IGNORECASE)
_EMAIL = re.compile(r"\b[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}\b")
# A link next to a sales verb in a short comment is an advertisement.
_PITCH = re.compile(
    r"\b(?:buy|try|visit|download|join|order|shop|sign up|register|book now|guaranteed|discount|deals?|offer)\b",
    re.IGNORECASE,
)
_PITCH_MAX_WORDS = 25


@dataclass(frozen=True)
class Policy:
    """Policy holds the thresholds comment_assess applies (from settings in production)."""

    max_links: int = 2
    reject_links: int = 6
    hold_score: float = 0.5
    new_account_age: timedelta = timedelta(hours=24)
    duplicate_users: int = 3


@dataclass(frozen=True)
class RecentText:
    """RecentText is a comment posted within the duplicate window: its author and its text."""

    author: int | None
    text: str


@dataclass(frozen=True)
class Assessment:
    """Assessment is the policy's verdict on a comment, the reasons for it, and the measured signals."""

    verdict: str
    reasons: tuple[str, ...] = ()
    scores: dict[str, Any] = field(default_factory=dict)


def policy_from_settings() -> Policy:
    """policy_from_settings reads the thresholds from the BROADSHEET_COMMENT_* settings."""
    from django.conf import settings

    opts = settings.BROADSHEET
    return Policy(
        max_links=opts["BROADSHEET_COMMENT_MAX_LINKS"],
        reject_links=opts["BROADSHEET_COMMENT_REJECT_LINKS"],
        hold_score=opts["BROADSHEET_COMMENT_HOLD_SCORE"],
        new_account_age=timedelta(hours=opts["BROADSHEET_COMMENT_NEW_ACCOUNT_HOURS"]),
        duplicate_users=opts["BROADSHEET_COMMENT_DUPLICATE_USERS"],
    )


@cache
def _predict_prob() -> Any:
    import sklearn
    from profanity_check import predict_prob

    def scored(texts: list[str]) -> Any:
        # Our input is always a list of strings: sklearn's checks of it cost half of each call.
        with sklearn.config_context(assume_finite=True, skip_parameter_validation=True):
            return predict_prob(texts)

    return scored


def _variants(text: str) -> list[str]:
    """_variants are the pieces scored for abuse: the whole text, each sentence, and de-obfuscated
    forms ("1d10t", "s t u p i d") of any of them that differ."""
    sentences = [s.strip() for s in _SENTENCE.split(text) if s and s.strip()][:_MAX_SENTENCES]
    pieces = [text, *sentences] if len(sentences) > 1 else [text]
    out: list[str] = []
    for piece in pieces:
        out.append(piece)
        plain = _LEET_WORD.sub(lambda m: m.group(0).lower().translate(_LEET), piece)
        plain = _SPACED_LETTERS.sub(lambda m: re.sub(r"[ .\-_]", "", m.group(0)), plain)
        if plain != piece:
            out.append(plain)
    return out


def abuse_score(text: str) -> float:
    """abuse_score is the highest probability of abuse over the text, its sentences and de-obfuscated
    forms; mild swearing alone ("damn", "hell", "bloody") does not count."""
    if not text.strip():
        return 0.0
    if _MILD_SWEAR.search(text):
        text = _MILD_SWEAR.sub(" ", text)
    return float(max(_predict_prob()(_variants(text))))


def comment_assess(
    text: str,
    *,
    author_age: timedelta,
    recent_texts: Sequence[RecentText] = (),
    author: int | None = None,
    policy: Policy | None = None,
) -> Assessment:
    """comment_assess decides whether a comment is approved, held for a moderator, or rejected.

    `recent_texts` are comments from the duplicate window (the author's own and others' with the
    same text); `author` tells the author's own apart.
    """
    policy = policy or Policy()
    verdict = APPROVED
    reasons: list[str] = []

    def flag(level: str, reason: str) -> None:
        nonlocal verdict
        reasons.append(reason)
        if _SEVERITY[level] > _SEVERITY[verdict]:
            verdict = level

    links = links_count(text)
    new_account = author_age < policy.new_account_age
    if links >= policy.reject_links:
        flag(REJECTED, f"{links} links")
    elif links > policy.max_links:
        flag(HELD, f"{links} links (more than {policy.max_links})")
    elif links and new_account:
        flag(HELD, "a link from a new account")

    normal = text_normalise(text)
    own = others = 0
    other_authors: set[int | None] = set()
    if len(normal) >= _DUPLICATE_MIN_CHARS:
        for recent in recent_texts:
            if text_normalise(recent.text) != normal:
                continue
            if author is not None and recent.author == author:
                own += 1
            else:
                other_authors.add(recent.author)
                others += 1
    if own >= 2:
        flag(REJECTED, f"the same text posted {own} times already")
    elif own == 1:
        flag(HELD, "the same text posted already")
    if len(other_authors) >= policy.duplicate_users:
        flag(REJECTED, f"the same text from {len(other_authors)} other accounts")
    elif other_authors:
        flag(HELD, "the same text from another account")

    score = abuse_score(text)
    if score >= policy.hold_score:
        flag(HELD, f"abusive language ({score:.2f})")

    if threat := _THREAT.search(text):
        flag(HELD, f"threatening language ({threat.group(0).lower()})")
    if insult := _INSULT.search(text):
        flag(HELD, f"insulting language ({insult.group(0).lower()})")

    spam = _SPAM_PHRASES.search(text)
    if spam:
        flag(HELD, f"reads like spam ({spam.group(0).lower()})")
    if _EMAIL.search(text):
        flag(HELD, "an e-mail address")
    if links and len(text.split()) <= _PITCH_MAX_WORDS and (pitch := _PITCH.search(text)):
        flag(HELD, f"a link with a sales pitch ({pitch.group(0).lower()})")

    letters = [c for c in text if c.isalpha()]
    caps = sum(c.isupper() for c in letters) / len(letters) if letters else 0.0
    scores = {
        "abuse": round(score, 4),
        "links": links,
        "duplicates_own": own,
        "duplicates_others": others,
        "caps": round(caps, 3),
        "new_account": new_account,
    }
    return Assessment(verdict=verdict, reasons=tuple(reasons), scores=scores)
