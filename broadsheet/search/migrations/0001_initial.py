import django.db.models.deletion
from django.db import migrations, models

# Our tokens hold only letters, digits and marks, separated by spaces; unicode61 with marks kept
# as token characters splits them exactly there. columnsize=0: no bm25, so no per-row sizes.
SQLITE_FORWARD = [
    """CREATE VIRTUAL TABLE search_fts USING fts5(
        doc, meta, tokenize="unicode61 remove_diacritics 0 categories 'L* N* Co M*'",
        columnsize=0, detail=full)""",
    """CREATE TRIGGER search_document_deleted AFTER DELETE ON search_searchdocument BEGIN
        DELETE FROM search_fts WHERE rowid = old.doc_key;
    END""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS search_document_deleted",
    "DROP TABLE IF EXISTS search_fts",
]
POSTGRES_FORWARD = [
    "ALTER TABLE search_searchdocument ADD COLUMN vector tsvector NOT NULL DEFAULT ''",
    "CREATE INDEX search_doc_vector ON search_searchdocument USING gin (vector)",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS search_doc_vector",
    "ALTER TABLE search_searchdocument DROP COLUMN IF EXISTS vector",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("articles", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="SearchDocument",
            fields=[
                (
                    "article",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="search_document",
                        serialize=False,
                        to="articles.article",
                    ),
                ),
                ("doc_key", models.BigIntegerField(unique=True)),
                ("source_id", models.BigIntegerField(blank=True, null=True)),
                ("language", models.CharField(blank=True, max_length=16)),
                (
                    "title_tokens",
                    models.TextField(blank=True, help_text="The title's tokens, for ranking"),
                ),
            ],
        ),
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        ),
    ]
