# One image for all three containers; PIPELINE_ROLES chooses what a container runs.
# Build the jar first: mvn -B -DskipTests package
FROM eclipse-temurin:17-jre
WORKDIR /opt/pipeline
COPY target/lib/ lib/
COPY target/fineas-pipeline.jar fineas-pipeline.jar
ENV PIPELINE_DATA_DIR=/var/lib/pipeline
VOLUME /var/lib/pipeline
EXPOSE 8080
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-jar", "/opt/pipeline/fineas-pipeline.jar"]
