#!/usr/bin/env bash
# Podman as the container engine of the container tests (test-only): Debian's podman 4.3 with runc, its Docker API
# socket for Debian's docker-compose 1.29, and a loop that runs the health checks (podman runs them from systemd
# timers; without systemd they would never run, and `depends_on: condition: service_healthy` would wait forever).
# Idempotent: a second call finds everything in place. Needs root (apt, /etc/containers, /run/podman).
set -euo pipefail

missing() { echo "container tests: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || missing "need root to install and configure podman (apt-get, /etc/containers, /run/podman)"

# catatonit: podman 4.3 builds the pods' pause image with it (`kube play`), and apt may satisfy podman's recommended
# init with tini instead when tini is there already
need=()
for c in podman runc mmdebstrap docker-compose catatonit; do command -v "$c" >/dev/null || need+=("$c"); done
if [ ${#need[@]} -gt 0 ]; then
  command -v apt-get >/dev/null || missing "no apt-get to install ${need[*]} (Debian's podman, runc, mmdebstrap, docker-compose, catatonit)"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q podman runc mmdebstrap docker-compose catatonit >/dev/null \
    || missing "apt-get could not install podman runc mmdebstrap docker-compose catatonit"
fi

# crun (podman's default) fails here ("cgroups in hybrid mode not supported"); the default rlimits are refused
conf=/etc/containers/containers.conf
if ! grep -q '^runtime = "runc"' "$conf" 2>/dev/null; then
  mkdir -p /etc/containers
  cat > "$conf" <<'CONF'
# written by .ci/containers/podman-setup.sh
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]

[engine]
runtime = "runc"
CONF
fi

podman info >/dev/null 2>&1 || missing "podman does not run here: $(podman info 2>&1 | tail -1)"

# the Docker API for docker-compose. A service left by an earlier run whose working directory was deleted since (a
# checkout removed) still answers, but every container it starts fails ("conmon: Failed to get working directory",
# "write child: broken pipe"): such a service is stopped, and a new one runs from /
export DOCKER_HOST=unix:///run/podman/podman.sock
for pid in $(pgrep -f "podman system service" || true); do
  if readlink "/proc/$pid/cwd" 2>/dev/null | grep -q "(deleted)"; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
done
if ! curl -fsS --unix-socket /run/podman/podman.sock http://d/_ping >/dev/null 2>&1; then
  mkdir -p /run/podman
  (cd / && setsid nohup podman system service --time=0 "$DOCKER_HOST" >/tmp/podman-service.log 2>&1 &)
  for _ in $(seq 1 100); do
    curl -fsS --unix-socket /run/podman/podman.sock http://d/_ping >/dev/null 2>&1 && break; sleep 0.1
  done
  curl -fsS --unix-socket /run/podman/podman.sock http://d/_ping >/dev/null 2>&1 \
    || missing "podman system service did not answer on $DOCKER_HOST (see /tmp/podman-service.log)"
fi

# health checks: each running container's check at its own interval, as podman's systemd timer would run it (a
# check run more often than configured would use up its retries early: a Kubernetes liveness probe, which podman
# turns into a check that restarts the container, would restart a JVM that is still starting). Ticks every second;
# a pid file keeps one loop.
pidfile=/run/podman/healthcheck-loop.pid
if [ -f "$pidfile" ] && readlink "/proc/$(cat "$pidfile")/cwd" 2>/dev/null | grep -q "(deleted)"; then
  kill "$(cat "$pidfile")" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$(cat "$pidfile")" 2>/dev/null || break; sleep 0.1; done
  rm -f "$pidfile"
fi
if ! { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }; then
  setsid nohup bash -c 'cd /; declare -A next every
    while true; do
      now=$(date +%s)
      for c in $(podman ps --filter health=starting --filter health=healthy --filter health=unhealthy --format "{{.ID}}" 2>/dev/null); do
        if [ -z "${next[$c]:-}" ]; then
          # in nanoseconds; 30 s when unset, as podman defaults it
          ns=$(podman inspect --format "{{json .Config.Healthcheck.Interval}}" "$c" 2>/dev/null)
          case "$ns" in ""|*[!0-9]*) secs=30 ;; *) secs=$(( ns / 1000000000 )) ;; esac
          [ "$secs" -gt 0 ] || secs=30
          next[$c]=$now; every[$c]=$secs
        fi
        if [ "$now" -ge "${next[$c]}" ]; then
          next[$c]=$(( now + ${every[$c]:-30} ))
          podman healthcheck run "$c" >/dev/null 2>&1 &
        fi
      done
      sleep 1
    done' >/dev/null 2>&1 &
  echo $! > "$pidfile"
fi
echo "podman $(podman --version | awk '{print $3}') with runc; Docker API at $DOCKER_HOST; health checks at their intervals"
