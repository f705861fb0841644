# The service on its embedded defaults (bundled rules; SQLite in the instance folder).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    CALCULATOR_HOST=0.0.0.0 \
    CALCULATOR_PORT=8000 \
    CALCULATOR_RULES_DIR=/app/data \
    CALCULATOR_INSTANCE_PATH=/app/instance

WORKDIR /app
COPY pyproject.toml README.md wsgi.py ./
COPY calculator ./calculator
COPY data ./data
RUN pip install --no-cache-dir . \
    && useradd --create-home --uid 10001 calculator \
    && mkdir -p /app/instance \
    && chown calculator /app/instance

USER calculator
# The SQLite database lives in /app/instance unless DATABASE_URL names PostgreSQL; mount a
# volume there to keep assessments across containers.
VOLUME ["/app/instance"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ['CALCULATOR_PORT'], timeout=4)"]
CMD ["calculator", "serve"]
