"""Embedding speed: model load time, sentences/s, articles/s at 256 tokens, peak RSS; prints JSON.

Usage: python bench/embed.py [--home DIR] [--threads 2] [--int8] [--sentences 512] [--articles 96]
Builds the model under --home first if needed (timed separately, in a child process).
The int8 model runs one text per call whatever --batch says (see embed.embed_texts).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from broadsheet.enrich import embed  # noqa: E402
from broadsheet.enrich.modelbuild import model_dir  # noqa: E402

VOCABULARY = (
    "government minister election vote parliament market shares investors inflation rates bank "
    "storm flood rescue city residents police court judge ruling company profits quarter report "
    "scientists study climate energy oil prices war talks ceasefire league match season coach "
    "players hospital health vaccine school teachers strike union workers technology software "
    "phone launch users data privacy regulators fine billion million percent week year today"
)
WORDS = VOCABULARY.split()


def fake_text(rng: random.Random, words: int) -> str:
    """fake_text strings random news words into sentences."""
    out = []
    for i in range(words):
        word = rng.choice(WORDS)
        out.append(word.capitalize() if i % 14 == 0 else word)
        if i % 14 == 13:
            out[-1] += "."
    return " ".join(out)


def rss_mb() -> float:
    """rss_mb is this process's peak resident memory in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--home", type=Path, default=Path("var"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--int8", action="store_true")
    parser.add_argument("--sentences", type=int, default=512)
    parser.add_argument("--articles", type=int, default=96)
    parser.add_argument("--batch", type=int, default=16)
    args = parser.parse_args()

    rng = random.Random(1)
    sentences = [fake_text(rng, rng.randint(6, 14)) for _ in range(args.sentences)]
    articles = [fake_text(rng, 320) for _ in range(args.articles)]  # well past 256 tokens

    # Build (or check) in a child process so its memory does not count as the model's.
    t0 = time.perf_counter()
    home = str(args.home.resolve())
    subprocess.run(
        [sys.executable, "-m", "broadsheet.enrich.modelbuild", "--home", home], check=True
    )
    built = time.perf_counter() - t0
    folder = model_dir(args.home.resolve())
    rss_before = rss_mb()
    t0 = time.perf_counter()
    embed.load(folder, int8=args.int8, threads=args.threads)
    load_s = time.perf_counter() - t0
    embed.embed_texts(sentences[:16])  # warm-up: first run allocates arenas

    t0 = time.perf_counter()
    embed.embed_texts(sentences, batch_size=args.batch)
    sent_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    embed.embed_texts(articles, batch_size=args.batch, max_tokens=256)
    art_s = time.perf_counter() - t0

    result = {
        "bench": "embed",
        "model": "int8" if args.int8 else "fp32",
        "threads": args.threads,
        "batch": args.batch,
        "build_or_check_s": round(built, 2),
        "load_s": round(load_s, 3),
        "sentences_per_s": round(len(sentences) / sent_s, 1),
        "articles_per_s": round(len(articles) / art_s, 1),
        "rss_before_load_mb": round(rss_before),
        "peak_rss_mb": round(rss_mb()),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
