# kassa in a container: the API (`kassa serve`) or the worker (`kassa worker`), run as a
# user without privileges. Fonts for the invoices' PDFs (Cyrillic and Uzbek), nothing else.
# kassa lives in a virtual environment (/opt/kassa) copied whole from the build stage, so
# the image works on any Debian-based Python 3.11 image: the official python:3.11-slim by
# default, or `--build-arg BASE=…` (tests/container builds on a Debian made by debootstrap).
ARG BASE=python:3.11-slim

FROM ${BASE} AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY kassa ./kassa
RUN python3 -m venv /opt/kassa \
 && /opt/kassa/bin/pip install --no-cache-dir --disable-pip-version-check '.[brokers]' \
 && /opt/kassa/bin/pip uninstall --yes --quiet pip setuptools

FROM ${BASE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 10001 kassa
COPY --from=build /opt/kassa /opt/kassa
USER kassa
WORKDIR /home/kassa
# `kassa serve` binds HOST and PORT; the health check asks the same port.
ENV PATH=/opt/kassa/bin:$PATH PYTHONUNBUFFERED=1 LOG_JSON=true HOST=0.0.0.0 PORT=8000
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=6 \
  CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/ready', timeout=2)"
ENTRYPOINT ["kassa"]
CMD ["serve", "--no-jobs", "--workers", "2"]
