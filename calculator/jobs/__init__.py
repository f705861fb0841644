"""Assessment jobs: a big upload kept on disk (or object storage) and assessed by a worker.

``queue`` keeps the jobs in the service's database (claims under a lease; PostgreSQL's
SKIP LOCKED for several hosts), ``uploads`` keeps the uploads, ``worker`` assesses them.
The HTTP API (``/v1/jobs``) and ``calculator worker`` are thin shells around these.
"""
