# Multi-stage build: compile in the Rust image, run in a slim Debian image.
FROM rust:1-slim-bookworm AS build
WORKDIR /src
COPY . .
# cmake builds the bundled libopus (WebM/Opus uploads).
RUN apt-get update && apt-get install -y --no-install-recommends cmake && rm -rf /var/lib/apt/lists/*
RUN cargo build --release --locked -p mianshi-cli \
 && cp target/release/mianshi /usr/local/bin/mianshi

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home /data mianshi \
 && mkdir -p /data /data/logs && chown -R mianshi /data
COPY --from=build /usr/local/bin/mianshi /usr/local/bin/mianshi
USER mianshi
WORKDIR /data
ENV MIANSHI_HOST=0.0.0.0 \
    MIANSHI_PORT=8000 \
    MIANSHI_DATA_DIR=/data \
    MIANSHI_LOG_DIR=/data/logs \
    MIANSHI_MODEL_DIR=/data/models
EXPOSE 8000
VOLUME ["/data"]
# The port accepting connections is the liveness signal (bash, not dash, has /dev/tcp).
HEALTHCHECK --interval=30s --timeout=3s CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8000"]
CMD ["mianshi", "serve"]
