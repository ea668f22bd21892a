#!/bin/sh
# The Debian packages kassa's tests, its browser test and its benchmark use, each found the
# way the tests look for it. `make deps` (and `make test`, which runs it first) names them;
# as root it installs the missing ones with apt, saying which, and otherwise says what is
# missing and how to get it. It never fails the run itself: a test whose tool is missing is
# skipped with a notice, and fails when CI=true.
#
# usage: sh scripts/deps.sh GROUP...   (test, browser, container, bench)
set -u

# A row: group, Debian package, what the tests look for (a command, or an absolute path),
# and why kassa needs it.
TABLE='browser|chromium|/usr/bin/chromium|the admin UI test drives Chromium (tests/admin/test_admin_browser.py)
browser|fonts-dejavu-core|/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf|invoices print Cyrillic in DejaVu Sans; without it Russian text would be "?"
pdf|poppler-utils|pdftoppm|pictures of the invoice PDFs in build/screenshots (tests/billing/test_invoices.py)
container|podman|podman|the container test builds and starts kassa'"'"'s image (tests/container)
container|runc|runc|the runtime podman starts the image with
container|debootstrap|debootstrap|the Debian the image is built on (no registry is reachable)
services|postgresql|initdb|the fault suite starts a PostgreSQL cluster of its own (tests/throwaway.py)
services|redis-server|redis-server|the fault suite starts and stops a Redis server of its own
services|rabbitmq-server|rabbitmq-server|downstream events published to RabbitMQ (tests/ops/test_broker_sink.py)
services|nats-server|nats-server|downstream events published to NATS (tests/ops/test_broker_sink.py)
node|nodejs|node|the TypeScript client compiled and run against kassa (tests/clients/test_typescript_client.py)
node|npm|npm|the TypeScript client'"'"'s build tools (clients/typescript)
bench|wrk|wrk|make bench'"'"'s load generator, in C so the cores go to the servers measured
bench|iproute2|ss|make bench counts each server process'"'"'s connections with ss'

groups() {
    for g in "$@"; do
        case "$g" in
            test) echo browser pdf container services node ;;
            browser | pdf | container | services | node | bench) echo "$g" ;;
            *) echo "deps.sh: unknown group $g (test, browser, container, bench)" >&2; exit 2 ;;
        esac
    done
}

present() {
    case "$1" in
        /*) test -e "$1" ;;
        initdb) command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 ;;
        *) command -v "$1" >/dev/null 2>&1 || test -x "/usr/sbin/$1" ;;
    esac
}

wanted=$(groups "${@:-test}") || exit 2
for_whom=$(for g in "${@:-test}"; do
    case "$g" in
        test) printf ', the tests' ;;
        browser) printf ', the browser test and the invoices' ;;
        container) printf ', the container test' ;;
        bench) printf ', make bench' ;;
    esac
done | cut -c2-)
without="what needs them does not run: its tests are skipped, and fail when CI=true; make bench stops"
names="" missing="" reasons=""
for group in $wanted; do
    rows=$(printf '%s\n' "$TABLE" | grep "^$group|")
    while IFS='|' read -r _ package probe why; do
        names="$names $package"
        if ! present "$probe"; then
            missing="$missing $package"
            reasons="$reasons  $package: $why
"
        fi
    done <<EOF
$rows
EOF
done

echo "== Debian packages for$for_whom:$names =="
if [ -z "$missing" ]; then
    echo "   all present"
    exit 0
fi
printf 'missing:\n%s' "$reasons"
if ! command -v apt-get >/dev/null 2>&1; then
    echo "not a Debian system: install the equivalents of:$missing"
    echo "($without)"
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "not root, so nothing installed; to install them: sudo apt-get install$missing (or sudo make deps)"
    echo "($without)"
    exit 0
fi
echo "installing with apt-get:$missing"
# shellcheck disable=SC2086  # one word a package
if apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing; then
    echo "installed:$missing"
else
    echo "apt-get could not install$missing ($without)"
fi
exit 0
