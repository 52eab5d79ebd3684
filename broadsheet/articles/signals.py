"""The hook between the pipeline and enrichment: articles must not import enrich, so enrich listens.

`article_stored` is sent after the storing transaction commits, with `article_id` and `created`.
"""

from django.dispatch import Signal

article_stored = Signal()

# Sent by every scheduler pass with `stale_after` (seconds): higher layers hang their own repairs
# on it (enrichment retries) without the scheduler knowing them.
scheduler_tick = Signal()
