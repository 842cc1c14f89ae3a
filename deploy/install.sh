#!/usr/bin/env bash
# Install (or update) the Lynx Cortex portal on one Debian/Ubuntu host. Idempotent: every step checks before it
# acts, so running it again after `git pull` updates the code and leaves secrets, data and users alone.
#
#   sudo ./deploy/install.sh            # from a checkout of the repository
#
# Layout: code in /opt/lynx-portal/app (venv in .venv), data in /var/lib/lynx-portal (portal.db, snapshots/),
# settings in /etc/lynx-portal/{portal,restic}.env, unit files in /etc/systemd/system.
set -euo pipefail

if [[ $EUID -ne 0 ]]; then
    echo "install.sh: run as root (sudo)" >&2
    exit 1
fi
src="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
app=/opt/lynx-portal/app
data=/var/lib/lynx-portal
etc=/etc/lynx-portal

step() { printf '\n==> %s\n' "$*"; }

step "packages"
missing=()
for pkg in caddy python3 python3-venv sqlite3 restic rsync curl; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if ((${#missing[@]})); then
    apt-get update
    apt-get install -y "${missing[@]}"
fi
if ! command -v uv >/dev/null 2>&1; then
    echo "uv is required: install it from your package manager or https://docs.astral.sh/uv/ and re-run" >&2
    exit 1
fi

step "system user 'portal'"
if ! id portal >/dev/null 2>&1; then
    useradd --system --home-dir "$data" --shell /usr/sbin/nologin --user-group portal
fi

step "directories"
install -d -m 0755 -o root -g root /opt/lynx-portal "$app"
install -d -m 0750 -o portal -g portal "$data" "$data/snapshots"
install -d -m 0750 -o root -g portal "$etc"

step "code and virtual environment"
rsync -a --delete --exclude .git --exclude .venv --exclude var --exclude experiments "$src/" "$app/"
chown -R root:root "$app"
(cd "$app" && UV_PROJECT_ENVIRONMENT="$app/.venv" uv sync --frozen --no-dev)

step "settings (never overwritten)"
for name in portal restic; do
    if [[ ! -e "$etc/$name.env" ]]; then
        install -m 0640 -o root -g portal "$app/deploy/$name.env.example" "$etc/$name.env"
        echo "created $etc/$name.env from the template: fill it in"
    fi
done

step "Caddy"
if ! cmp -s "$app/deploy/Caddyfile" /etc/caddy/Caddyfile; then
    install -m 0644 "$app/deploy/Caddyfile" /etc/caddy/Caddyfile
    caddy_changed=1
fi

step "systemd units"
for unit in lynx-portal.service lynx-portal-backup.service lynx-portal-backup.timer; do
    install -m 0644 "$app/deploy/systemd/$unit" "/etc/systemd/system/$unit"
done
systemctl daemon-reload

step "settings added since the first install"
# Older portal.env files predate the proxy setting: without it every client behind Caddy looks like
# 127.0.0.1 and shares one per-address login limit. Settings are never rewritten, so say what to add.
if ! grep -qE '^LYNX_PORTAL_TRUSTED_PROXIES=' "$etc/portal.env"; then
    echo "add LYNX_PORTAL_TRUSTED_PROXIES=127.0.0.1 to $etc/portal.env (Caddy is the trusted proxy)"
fi

step "start"
if grep -qE '^LYNX_PORTAL_(SESSION_SECRET|PEPPER|MASTER_KEY)=$' "$etc/portal.env"; then
    echo "secrets in $etc/portal.env are still empty: fill them in, then run this script again"
else
    systemctl enable --now lynx-portal.service lynx-portal-backup.timer
    systemctl restart lynx-portal.service
    if [[ -n "${caddy_changed:-}" ]]; then systemctl reload caddy; fi
    for _ in $(seq 1 30); do
        if curl -fsS http://127.0.0.1:8001/healthz >/dev/null 2>&1; then
            echo "portal is up"
            break
        fi
        sleep 1
    done
fi

cat <<'CHECKLIST'

Manual checklist (once):
  1. Fill /etc/lynx-portal/portal.env (three secrets, BASE_URL) and keep a copy of PEPPER and MASTER_KEY off-site.
  2. Point DNS at this host and put the name in /etc/caddy/Caddyfile; `systemctl reload caddy`.
  3. Fill /etc/lynx-portal/restic.env, then `sudo -u portal env $(cat /etc/lynx-portal/restic.env) restic init`.
  4. Bootstrap the first admin:
       sudo -u portal env $(grep -v '^#' /etc/lynx-portal/portal.env) /opt/lynx-portal/app/.venv/bin/lynx portal create-admin admin
  5. Run a restore drill (deploy/README.md, "Restore drill") before the class starts.
CHECKLIST
