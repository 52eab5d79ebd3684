"""The measuring interface: `broadsheet nlp TASK` runs the same functions the pipeline runs.

Each task reads JSON objects (one per line) and yields JSON objects. Streaming tasks (summarize,
hashtags) answer line by line; whole-set tasks (cluster, dedupe, related) read all input first,
in stream order, since stream order is the arrival order they model.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any

Row = dict[str, Any]
# task name -> "module:function"; function(rows, **options) -> iterator of output rows.
TASKS: dict[str, str] = {
    "summarize": "broadsheet.enrich.summarize:nlp_summarize",
    "hashtags": "broadsheet.enrich.hashtags:nlp_hashtags",
    "cluster": "broadsheet.enrich.cluster:nlp_cluster",
    "dedupe": "broadsheet.enrich.neardup:nlp_dedupe",
    "related": "broadsheet.enrich.related:nlp_related",
}


def task_function(name: str) -> Callable[..., Iterator[Row]]:
    """task_function returns the implementation of an nlp task by name."""
    module_name, func = TASKS[name].split(":")
    return getattr(importlib.import_module(module_name), func)  # type: ignore[no-any-return]


def run_task(name: str, rows: Iterable[Row], **options: Any) -> Iterator[Row]:
    """run_task runs one nlp task over input rows."""
    return task_function(name)(rows, **options)
