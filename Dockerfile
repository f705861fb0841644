# The service on its embedded defaults (bundled rules; SQLite in the instance folder).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    CALCULATOR_HOST=0.0.0.0 \
    CALCULATOR_PORT=8000 \
    CALCULATOR_RULES_DIR=/app/data \
    CALCULATOR_INSTANCE_PATH=/app/instance

# git: the watch reads terms archives (git clones, bundles and URLs).
RUN apt-get update \
    && apt-get install -y --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md wsgi.py ./
COPY calculator ./calculator
COPY data ./data
RUN pip install --no-cache-dir . \
    && useradd --create-home --uid 10001 calculator \
    && mkdir -p /app/instance \
    && chown calculator /app/instance

USER calculator
# It listens on 0.0.0.0, so it refuses to start until an API key exists: create one on the
# instance volume first (`docker run --rm -v VOLUME:/app/instance IMAGE calculator keys create
# NAME`), or open it to anyone on purpose with -e CALCULATOR_ALLOW_ANONYMOUS=1.
# The SQLite database lives in /app/instance unless DATABASE_URL names PostgreSQL; mount a
# volume there to keep assessments across containers.
VOLUME ["/app/instance"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ['CALCULATOR_PORT'], timeout=4)"]
# The three processes share one database (DATABASE_URL=postgresql://... for several
# containers); run the same image with another command for the other two:
#   docker run IMAGE calculator watch --archive https://github.com/OpenTermsArchive/pga-versions.git --every 1h
#   docker run IMAGE calculator webhooks run
# `calculator serve` runs one job worker for big uploads itself; more run the same way:
#   docker run IMAGE calculator worker   (with CALCULATOR_JOB_UPLOADS=s3://... on several hosts)
# (they serve no HTTP: run them with --no-healthcheck)
CMD ["calculator", "serve"]
