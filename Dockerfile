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
# ONNX Runtime ships its native library for six platforms (93 MB): keep the image's own (6 MB)
ARG TARGETARCH
RUN apt-get update && apt-get install -y --no-install-recommends zip && rm -rf /var/lib/apt/lists/* \
    && keep=$([ "$TARGETARCH" = "arm64" ] && echo linux-aarch64 || echo linux-x64) \
    && for d in linux-x64 linux-aarch64 osx-aarch64 osx-x64 win-x64 win-aarch64; do \
         [ "$d" = "$keep" ] || zip -q -d target/lib/onnxruntime-*.jar "ai/onnxruntime/native/$d/*" || true; \
       done

FROM eclipse-temurin:17.0.15_6-jre-jammy
# curl for the health probes (docker-compose.yml): GET :9876/observe/health/ready
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /opt/pipeline --shell /usr/sbin/nologin pipeline \
    && mkdir -p /var/lib/pipeline && chown pipeline /var/lib/pipeline
WORKDIR /opt/pipeline
COPY --from=build /src/target/lib/ lib/
COPY --from=build /src/target/fineas-pipeline.jar fineas-pipeline.jar
COPY processors-yaml/ processors-yaml/
COPY schedules/ schedules/
# golden sets for POST /evaluations (EVAL_DIR) and the processor that collects the shipped one
COPY eval/ eval/
ENV PIPELINE_DATA_DIR=/var/lib/pipeline \
    # the probes reach the management port from outside the container (it binds to loopback unless told)
    MANAGEMENT_HOST=0.0.0.0
USER 10001
VOLUME /var/lib/pipeline
# 8080: the API (gateway; /search and /chat's answers on the RAG role); 9876: health and Prometheus metrics
EXPOSE 8080 9876
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError", "-jar", "/opt/pipeline/fineas-pipeline.jar"]
