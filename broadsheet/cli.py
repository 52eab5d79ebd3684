"""The `broadsheet` command: a front for the project's management commands with friendlier names."""

from __future__ import annotations

import os
import sys

# CLI name -> Django management command. Each command is a thin pass-through to a service.
COMMANDS = {
    "add-feed": "add_feed",
    "import-opml": "import_opml",
    "export-opml": "export_opml",
    "refresh": "refresh",
    "import-warc": "import_warc",
    "feeds": "feeds",
    "serve": "serve",
    "worker": "worker",
    "scheduler": "scheduler",
    "extract": "extract",
    "nlp": "nlp",
    "search-reindex": "search_reindex",
    "setup": "setup",
    "manage": "",
}

USAGE = """usage: broadsheet COMMAND [ARGS]

commands:
  add-feed URL              subscribe to a feed
  import-opml FILE          subscribe to every feed of an OPML file
  export-opml               print the subscriptions as OPML
  refresh [--feed ID]       poll feeds now, in this process
  import-warc FILE          store the articles of archived pages (WARC)
  feeds                     the feeds' health table
  serve [--host H] [--port P]   the web server (gunicorn)
  worker                    a task worker (run several, on any host)
  scheduler                 enqueue due feeds and repair the queue (run one or more)
  extract [--url URL] FILE...   extract articles from saved pages, one JSON line each
  nlp TASK                  NLP tasks over JSON lines (summarize, hashtags, cluster, dedupe, related)
  search-reindex            rebuild the full-text search index from every article
  setup                     create the database and load the default feeds
  manage ARGS               any Django management command
"""


def main(argv: list[str] | None = None) -> None:
    """main dispatches `broadsheet COMMAND ARGS` to the matching management command."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        sys.stdout.write(USAGE)
        return
    name, rest = args[0], args[1:]
    if name not in COMMANDS:
        sys.stderr.write(f"broadsheet: unknown command {name!r}\n\n{USAGE}")
        raise SystemExit(2)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    command = COMMANDS[name]
    execute_from_command_line(["broadsheet", *([command] if command else []), *rest])


if __name__ == "__main__":
    main()
