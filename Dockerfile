# kassa in a container: the API (`kassa serve`) or the worker (`kassa worker`), run as a
# user without privileges. Fonts for the invoices' PDFs (Cyrillic and Uzbek), nothing else.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY kassa ./kassa
RUN pip install --no-cache-dir --prefix=/install '.[brokers]'

FROM python:3.11-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 10001 kassa
COPY --from=build /install /usr/local
USER kassa
WORKDIR /home/kassa
ENV PYTHONUNBUFFERED=1 LOG_JSON=true
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=6 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/ready', timeout=2)"
ENTRYPOINT ["kassa"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000", "--no-jobs", "--workers", "2"]
