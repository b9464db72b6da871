# The platform image: the grants package and its dependencies on a slim Python.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml setup.py README.md ./
COPY _build ./_build
COPY domain ./domain
COPY service ./service
COPY projections ./projections
COPY web ./web
COPY bench ./bench
COPY docs/verify_ledger.py ./docs/verify_ledger.py
COPY dev.py ./
# setup.py compiles the message catalogs into the install: the server never writes there.
# As dev.py does: OR-Tools without the numpy/pandas/protobuf it declares and the knapsack never
# loads (dev.WITHOUT_THEIR_REQUIREMENTS), everything else resolved as usual.
# The sources are removed after the install, the data dir is the only place the user can write.
RUN python -c "import dev; bare, rest = dev.requirements(); \
        open('/tmp/bare.txt', 'w').write('\\n'.join(bare)); open('/tmp/rest.txt', 'w').write('\\n'.join(rest))" \
    && pip install --no-deps . -r /tmp/bare.txt && pip install -r /tmp/rest.txt \
    && rm -rf /app/domain /app/service /app/projections /app/web /app/bench /app/dev.py /tmp/*.txt \
    && useradd --system --no-create-home --home-dir /app --uid 10001 grants \
    && mkdir -p /app/var && chown grants /app/var
# Unprivileged, by number so that Kubernetes' runAsNonRoot can check it.
USER 10001
ENV GRANTS_HOST=0.0.0.0 GRANTS_PORT=8000 GRANTS_DATA_DIR=/app/var
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)" || exit 1
CMD ["grants", "serve"]
