#!/bin/sh
# A Redis node of compose.ha.yaml: AOF on, known to the others by its service name, only the
# users of the ACL file logging in (the default user is off), replicas logging in to their
# primary as the replication user (replication.conf, from the redis-secrets volume: the
# password is in no command line).
#
# Restart policy. A primary that dies and comes back before Sentinel has failed over is still
# the primary, but without the writes its AOF had not yet flushed (up to a second of them),
# and its replicas then copy that loss, writes they had confirmed included (the replication
# docs, "Safety of replication"). So a node that restarts with data waits RESTART_DELAY
# seconds, longer than Sentinel takes to promote a replica (down-after plus an election), and
# comes back as a replica of the new primary. A first start, with no data yet, does not wait.
set -eu
if [ -e /data/appendonlydir ] || [ -e /data/dump.rdb ]; then
  echo "restarting with data: waiting ${RESTART_DELAY}s for Sentinel to fail over first"
  sleep "$RESTART_DELAY"
fi
secrets=/run/secrets/redis
set -- "$secrets/replication.conf" --aclfile "$secrets/users.acl" \
  --appendonly yes --appendfsync everysec --replica-announce-ip "$NODE_NAME"
if [ -n "${REPLICA_OF:-}" ]; then
  set -- "$@" --replicaof "$REPLICA_OF" 6379
fi
exec docker-entrypoint.sh redis-server "$@"
