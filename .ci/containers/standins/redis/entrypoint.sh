#!/bin/sh
# The official image builds Redis with protected mode off (it is reached over the container network, without a
# password); Debian's build keeps it on, so it is turned off here, as the only difference.
if [ "$1" = "redis-server" ]; then shift; exec redis-server "$@" --protected-mode no; fi
exec "$@"
