#!/usr/bin/env bash
# Stand-in images for the container tests (test-only), under the exact names the Dockerfile and docker-compose.yml
# use, so that both stay as a Docker user runs them. No image can be pulled here: the Debian base is made from
# Debian's packages with mmdebstrap (kept between runs: it is the slow part), the others are built on it with
# podman's layer cache (an unchanged stand-in costs nothing on a second run).
#   debian:bookworm-slim             mmdebstrap minbase (the Dockerfile's runtime base)
#   maven:3.9.9-eclipse-temurin-17   Debian's Maven and OpenJDK 17 with jmods (the Dockerfile's build stage)
#   apache/kafka:3.9.1               the real Kafka 3.9.1 from Maven Central, laid out as the image lays it out
#   redis:7.4                        Debian's redis-server
# mongo:7.0 is built after the pipeline image (mongo-standin.sh): it is that image with PIPELINE_ROLES=infra.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"

if ! podman image exists docker.io/library/debian:bookworm-slim; then
  start=$(date +%s)
  rootfs=$(mktemp -d)/rootfs.tar
  # the container's apt reaches the same mirror as this machine's (its sources are the host's); documentation and
  # locales left out as the slim image leaves them out (its dpkg configuration, kept for the packages added later)
  # (merged /usr set up by mmdebstrap's hook rather than the usrmerge package, which would bring Perl; apt keeps no
  # package caches, as the image's docker-clean configuration has it)
  mmdebstrap --quiet --variant=minbase --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
    --aptopt='Acquire::Check-Valid-Until "false"' --aptopt='APT::Install-Recommends "false"' \
    --aptopt='Dir::Cache::pkgcache ""' --aptopt='Dir::Cache::srcpkgcache ""' \
    --aptopt='DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; }' \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/locale.alias' \
    --dpkgopt='path-exclude=/usr/share/lintian/*' \
    bookworm "$rootfs"
  podman import -q --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' "$rootfs" docker.io/library/debian:bookworm-slim >/dev/null
  rm -rf "$(dirname "$rootfs")"
  echo "debian:bookworm-slim stand-in made from Debian's packages in $(( $(date +%s) - start )) s"
fi

build() { podman build -q --layers "$@" >/dev/null; }

build -t docker.io/library/maven:3.9.9-eclipse-temurin-17 standins/maven
build -t docker.io/library/redis:7.4 standins/redis
# Kafka's jars from Maven Central (the local repository keeps them between runs)
rm -rf standins/kafka/libs
mvn -B -q -f standins/kafka/pom.xml dependency:copy-dependencies -DoutputDirectory=libs -DincludeScope=runtime
build -t docker.io/apache/kafka:3.9.1 standins/kafka
rm -rf standins/kafka/libs
podman images --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -E 'debian|maven|kafka|redis' | sed 's/^/  stand-in /'
