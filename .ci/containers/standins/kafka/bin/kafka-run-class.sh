#!/usr/bin/env bash
# Runs a class of the Kafka distribution (its libs/ on the class path), as the distribution's script of this name does.
base=/opt/kafka
log4j=${KAFKA_LOG4J_OPTS:--Dlog4j.configuration=file:$base/config/tools-log4j.properties}
exec java ${KAFKA_HEAP_OPTS:--Xmx256m} ${KAFKA_OPTS:-} $log4j -cp "$base/libs/*" "$@"
