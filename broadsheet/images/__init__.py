"""The image resizer at /img/?url=…&w=…&q=…&s=… (what Next.js's /_next/image does).

signing.py   our templates sign (url, w, q); the view checks the HMAC in constant time
views.py     parameters → signature → Accept → disk cache hit (FileResponse) or services
services.py  known source host → remembered refusal → guarded fetch (ingest.fetch, image limits)
             → magic-byte sniff → header caps (pixels, frames) → resize slot → transform → cache
transform.py the only pyvips import: five unblocked loaders, thumbnail, fresh encode, no metadata
cache.py     BROADSHEET_HOME/img-cache, atomic writes, LRU-by-mtime pruning
"""
