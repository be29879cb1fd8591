# One image for all three containers; PIPELINE_ROLES chooses what a container runs.
# Build the jar first: mvn -B -DskipTests package
FROM eclipse-temurin:17-jre
# curl for the health probes (docker-compose.yml): GET :9876/observe/health/ready
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/pipeline
COPY target/lib/ lib/
COPY target/fineas-pipeline.jar fineas-pipeline.jar
ENV PIPELINE_DATA_DIR=/var/lib/pipeline
# the probes reach the management port from outside the container (it binds to loopback unless told)
ENV MANAGEMENT_HOST=0.0.0.0
VOLUME /var/lib/pipeline
# 8080: the API (gateway, /search, /chat); 9876: health and Prometheus metrics (/observe/...)
EXPOSE 8080 9876
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-jar", "/opt/pipeline/fineas-pipeline.jar"]
