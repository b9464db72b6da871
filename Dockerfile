# The platform image: the grants package and its dependencies on a slim Python.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY domain ./domain
COPY service ./service
COPY projections ./projections
COPY web ./web
COPY bench ./bench
COPY docs/verify_ledger.py ./docs/verify_ledger.py
RUN pip install . && useradd --system --home /app grants && mkdir -p /app/var && chown grants /app/var
USER grants
ENV GRANTS_HOST=0.0.0.0 GRANTS_PORT=8000 GRANTS_DATA_DIR=/app/var
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)" || exit 1
CMD ["grants", "serve"]
