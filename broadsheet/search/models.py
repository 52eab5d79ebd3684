"""The search index: one row per article, plus a full-text structure that depends on the database.

SQLite keeps the tokens in the FTS5 table `search_fts` (rowid = doc_key); PostgreSQL keeps them in
a `vector tsvector` column of this table with a GIN index. Both are created by migration 0001 for
their own database only, which is why neither appears as a field here.
"""

from __future__ import annotations

from django.db import models

from broadsheet.articles.models import Article


class SearchDocument(models.Model):
    """An article as the search index sees it: its sort key and the filters that narrow a query."""

    article = models.OneToOneField(
        Article, on_delete=models.CASCADE, primary_key=True, related_name="search_document"
    )
    # Date order and uniqueness in one integer: the publication second (fetch time when unknown)
    # shifted left, the article id in the low bits. Newest-first is then a descending scan.
    doc_key = models.BigIntegerField(unique=True)
    source_id = models.BigIntegerField(null=True, blank=True)
    language = models.CharField(max_length=16, blank=True)
    title_tokens = models.TextField(blank=True, help_text="The title's tokens, for ranking")

    def __str__(self) -> str:
        return f"search document of {self.article_id}"
