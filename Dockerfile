# The API image (used by compose.yaml for both the API and its one-shot init).
# An exact patch release: rebuilding the image does not silently change the interpreter.
FROM python:3.11.14-slim-bookworm

RUN apt-get update \
 && apt-get install -y --no-install-recommends libmagic1 \
 && rm -rf /var/lib/apt/lists/* \
 && pip install --no-cache-dir uv==0.13.8 \
 && useradd --system --create-home --uid 10001 xueji

WORKDIR /app
COPY pyproject.toml uv.lock .python-version ./
RUN UV_PYTHON_DOWNLOADS=never uv sync --frozen --no-dev --no-group local --no-install-project
COPY api ./api
COPY schema ./schema
COPY domain ./domain
COPY storage ./storage
COPY scripts ./scripts

USER xueji
ENV PATH="/app/.venv/bin:$PATH" APP_ENV=production HOST=0.0.0.0 PORT=8000
EXPOSE 8000
# Ready, not merely alive: /readyz fails while MongoDB or the object store is unreachable.
HEALTHCHECK --interval=10s --timeout=3s CMD python -c "import urllib.request,os; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/readyz', timeout=2)"
CMD ["sh", "-c", "exec uvicorn --factory api.main:app_from_env --host \"$HOST\" --port \"$PORT\" --no-access-log"]
