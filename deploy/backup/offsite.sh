#!/usr/bin/env bash
# Copy the newest portal snapshot off-site with restic, then prune by age. Run by lynx-portal-backup.service
# after `lynx portal backup`. Without /etc/lynx-portal/restic.env it only says so: local snapshots still exist.
set -euo pipefail

snapshots="${1:?usage: offsite.sh SNAPSHOT_DIR}"
if [[ -z "${RESTIC_REPOSITORY:-}" ]]; then
    echo "offsite: RESTIC_REPOSITORY not set; keeping local snapshots only" >&2
    exit 0
fi
if ! command -v restic >/dev/null 2>&1; then
    echo "offsite: restic is not installed (apt-get install restic)" >&2
    exit 1
fi
# Snapshots only (*-portal.db, *-portal.dump), not their .sig.json sidecars, which travel with them below.
latest="$(find "$snapshots" -maxdepth 1 -type f \( -name '*-portal.db' -o -name '*-portal.dump' \) -printf '%f\n' | sort | tail -n 1)"
if [[ -z "$latest" ]]; then
    echo "offsite: no snapshot in $snapshots" >&2
    exit 1
fi
export RESTIC_CACHE_DIR="${RESTIC_CACHE_DIR:-/var/lib/lynx-portal/.cache/restic}"
lynx="/opt/lynx-portal/app/.venv/bin/lynx"
"$lynx" portal verify "$snapshots/$latest"   # the signature too: needs LYNX_PORTAL_MASTER_KEY (portal.env)
restic backup --tag lynx-portal --host lynx-portal "$snapshots/$latest" "$snapshots/$latest.sig.json"
restic forget --tag lynx-portal --host lynx-portal --keep-daily 14 --keep-weekly 8 --keep-monthly 12 --prune
restic check --read-data-subset=1/20
echo "offsite: $latest copied"
