#!/usr/bin/env bash
# Posts the CDRs that mod_json_cdr kept on disk, because Switchplane could not be reached through
# all of its retries, to Switchplane again; each file is removed once Switchplane answered 2xx.
# FreeSWITCH never re-posts those files by itself (mod_json_cdr.c `backup_cdr`). A leg Switchplane
# already has is not written twice (CDRs are keyed by Unique-ID), so running this again, or while
# FreeSWITCH is still posting, is safe.
#
#   json-cdr-repost.sh [ERR_LOG_DIR] [URL]
#     ERR_LOG_DIR  json_cdr.conf.xml's err-log-dir (default /var/log/freeswitch/json_cdr_failed)
#     URL          Switchplane's CDR endpoint (default http://127.0.0.1:8080/freeswitch/cdr)
#   SWITCHPLANE_CREDENTIALS=user:password when Switchplane runs with XMLCURL_USERNAME/_PASSWORD.
#
# Exits 0 when every file was accepted, 1 when some are left for the next run.
set -uo pipefail
dir=${1:-/var/log/freeswitch/json_cdr_failed}
url=${2:-http://127.0.0.1:8080/freeswitch/cdr}
auth=()
[[ -n ${SWITCHPLANE_CREDENTIALS:-} ]] && auth=(--user "$SWITCHPLANE_CREDENTIALS")
left=0 sent=0
shopt -s nullglob
for file in "$dir"/*.cdr.json; do
  uuid=$(basename "$file" .cdr.json)
  uuid=${uuid#a_}
  if curl -sf -o /dev/null --max-time 10 "${auth[@]}" -H 'content-type: application/json' \
      --data-binary @"$file" "$url?uuid=$uuid"; then
    rm -f "$file"
    sent=$((sent + 1))
  else
    left=$((left + 1))
  fi
done
echo "json-cdr-repost: $sent posted, $left left in $dir"
[[ $left -eq 0 ]]
