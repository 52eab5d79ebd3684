"""The hook between the pipeline and enrichment: articles must not import enrich, so enrich listens.

`articles_stored` is sent after a storing transaction commits, with `article_ids` (every article
the batch stored or linked, sorted) and `created_ids` (those that are new). One batch, one signal:
receivers index or queue the batch at once.
"""

from django.dispatch import Signal

articles_stored = Signal()

# Sent by every scheduler pass with `stale_after` (seconds): higher layers hang their own repairs
# on it (enrichment retries) without the scheduler knowing them.
scheduler_tick = Signal()
