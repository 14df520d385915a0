#!/usr/bin/env bash
# Run the whole test suite and the demo on a newer QGIS, in a Debian root built with debootstrap.
#
#   tools/qgis_root.sh SUITE [-- COMMAND...]
#
# SUITE is a Debian suite: trixie (QGIS 3.40 LTR) or sid (QGIS 3.44 LTR). The root is built from scratch
# under .build/roots/SUITE from the mirror this machine's apt already uses, QGIS and the scientific stack
# come from Debian inside it, and a copy of the checkout (the working tree, uncommitted edits included) is
# tested there with `make test demo`, the venv pinned to the root's own numpy/scipy/pandas. The root is
# removed at the end, on success and failure alike, so nothing is cached between runs.
#
# COMMAND (after --) replaces `make test demo`, e.g. `-- make venv && .venv/bin/python -m pytest
# tests/test_scaleout.py`; it runs through bash -c in the copy of the checkout.
# Developers' switches (never set in CI): QGIS_ROOT_KEEP=1 keeps the built root (unmounted) after the run,
# QGIS_ROOT_REUSE=1 reuses a kept root instead of building it again (the checkout is copied afresh).
# Bash reads a script while it runs it: the body is one function, parsed whole before it starts, so that an edit
# of this file during a run (a git checkout, a pull) cannot change what the run executes.
main() {
set -euo pipefail

CHECKOUT="$(cd "$(dirname "$0")/.." && pwd)"
SUITE="${1:-}"
shift || true
if [ "${1:-}" = "--" ]; then shift; fi
# The test tools pip chose for this root are listed before the suite runs.
DEFAULT="make venv && .venv/bin/python -m pip list --format=freeze \
| grep -iE '^(pytest|hypothesis|pymannkendall|esda|libpysal|dask|distributed)==' && make test demo"
COMMAND="${*:-$DEFAULT}"

die() { echo "qgis_root: $*" >&2; exit 1; }

case "$SUITE" in
	trixie | sid) ;;
	*) die "usage: $0 trixie|sid [-- COMMAND]   (trixie = QGIS 3.40 LTR, sid = QGIS 3.44 LTR)" ;;
esac
[ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap, chroot and mount need it); try: sudo $0 $SUITE"
command -v debootstrap >/dev/null 2>&1 \
	|| die "debootstrap is not installed; install it with: apt-get install debootstrap (make test-qgis does)"

# The mirror this machine's apt uses (deb822 sources first, then the one-line format).
mirror() {
	local uri=""
	if [ -r /etc/apt/sources.list.d/debian.sources ]; then
		uri="$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p' /etc/apt/sources.list.d/debian.sources \
			| grep -v -- '-security' | head -n1)"
	fi
	if [ -z "$uri" ] && [ -r /etc/apt/sources.list ]; then
		uri="$(awk '$1 == "deb" && $2 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; exit } }' \
			/etc/apt/sources.list)"
	fi
	echo "${uri:-http://deb.debian.org/debian}"
}
MIRROR="${QGIS_ROOT_MIRROR:-$(mirror)}"  # QGIS_ROOT_MIRROR: another mirror (tests use an unreachable one)
MIRROR="${MIRROR%/}"

# Fail before anything is built when the mirror cannot be reached.
/usr/bin/python3 - "$MIRROR/dists/$SUITE/Release" <<'EOF' || die "cannot reach the Debian mirror $MIRROR \
(needed to build the $SUITE root); check the network or /etc/apt/sources.list.d/debian.sources"
import sys, urllib.request
try:
    urllib.request.urlopen(sys.argv[1], timeout=20).read(1)
except Exception as err:  # any failure: one line saying why
    sys.exit(f"qgis_root: {sys.argv[1]}: {err}")
EOF

ROOT="$CHECKOUT/.build/roots/$SUITE"
MOUNTS=()
# One run per root at a time: a second one would remove or unmount the first one's root under it.
mkdir -p "$(dirname "$ROOT")"
exec 9>"$ROOT.lock"
flock -n 9 || die "another run is using $ROOT (wait for it to finish)"

mounted_under() { findmnt -rn -o TARGET | awk -v r="$1" 'index($0, r "/") == 1 || $0 == r'; }

unmount_all() {
	local i
	for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
		if mountpoint -q "${MOUNTS[i]}"; then umount -R "${MOUNTS[i]}" || umount -R -l "${MOUNTS[i]}" || true; fi
	done
	MOUNTS=()
}

# Removing a root that still has /dev or /sys mounted would delete the host's: refuse instead.
remove_root() {
	if [ -n "$(mounted_under "$ROOT")" ]; then
		echo "qgis_root: still mounted under $ROOT, not removing it:" >&2
		mounted_under "$ROOT" >&2
		return 1
	fi
	rm -rf "$ROOT"
}

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	unmount_all
	if [ "${QGIS_ROOT_KEEP:-0}" = 1 ]; then
		echo "qgis_root: kept $ROOT (unmounted)" >&2
	else
		remove_root || rc=1
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mount_in_root() {
	mkdir -p "$ROOT/proc" "$ROOT/sys" "$ROOT/dev"
	mount -t proc proc "$ROOT/proc" && MOUNTS+=("$ROOT/proc")
	mount -t sysfs sys "$ROOT/sys" && MOUNTS+=("$ROOT/sys")
	# /dev with /dev/shm and /dev/pts (Python's multiprocessing and Dask need shm); a slave of the host's
	# mounts, so that unmounting it never propagates back.
	mount --rbind /dev "$ROOT/dev" && MOUNTS+=("$ROOT/dev")
	mount --make-rslave "$ROOT/dev"
}

in_root() { chroot "$ROOT" /usr/bin/env -i HOME=/root LANG=C.UTF-8 PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }

PACKAGES="qgis python3-qgis qgis-providers python3-gdal gdal-bin python3-numpy python3-scipy python3-pandas
python3-matplotlib python3-venv python3-pip xvfb xauth make fonts-open-sans ca-certificates proj-bin"

build_root() {
	local t0=$SECONDS
	if [ -e "$ROOT" ]; then remove_root || die "could not remove the old root $ROOT"; fi
	mkdir -p "$(dirname "$ROOT")"
	echo "qgis_root: debootstrap $SUITE from $MIRROR into $ROOT"
	debootstrap --variant=minbase "$SUITE" "$ROOT" "$MIRROR" >"$ROOT.debootstrap.log" 2>&1 \
		|| { tail -n 20 "$ROOT.debootstrap.log" >&2; die "debootstrap $SUITE failed (log: $ROOT.debootstrap.log)"; }
	rm -f "$ROOT.debootstrap.log"
	cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
	if [ -r /etc/pip.conf ]; then cp /etc/pip.conf "$ROOT/etc/pip.conf"; fi
	# sid's Release file may have expired against this machine's clock.
	echo 'Acquire::Check-Valid-Until "false";' >"$ROOT/etc/apt/apt.conf.d/99mineland-valid-until"
	mount_in_root
	echo "qgis_root: apt-get install QGIS and the scientific stack in $SUITE"
	in_root apt-get update -qq || die "apt-get update failed in the $SUITE root"
	# shellcheck disable=SC2086
	in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $PACKAGES \
		>"$ROOT/apt.log" 2>&1 || { tail -n 20 "$ROOT/apt.log" >&2; die "apt-get install failed in the $SUITE root"; }
	in_root apt-get clean
	# After apt: ca-certificates has written the root's own bundle; pip.conf points at the host's bundle path.
	if [ -r /etc/ssl/certs/ca-certificates.crt ]; then
		cp /etc/ssl/certs/ca-certificates.crt "$ROOT/etc/ssl/certs/ca-certificates.crt"
	fi
	touch "$ROOT/.mineland-built"
	echo "qgis_root: $SUITE root built in $((SECONDS - t0)) s"
}

copy_checkout() {
	rm -rf "$ROOT/src" && mkdir -p "$ROOT/src"
	tar -C "$CHECKOUT" --exclude=./.build --exclude=./.venv --exclude=./dist --exclude=./demo_output \
		--exclude=./.pytest_cache --exclude=.git -cf - . | tar -C "$ROOT/src" -xf -
}

# Pin pip to the root's own numpy/scipy/pandas, which its GDAL and QGIS are built against.
write_constraints() {
	mkdir -p "$ROOT/src/.build"
	in_root /usr/bin/python3 -c '
import numpy, scipy, pandas
for m in (numpy, scipy, pandas):
    print(f"{m.__name__}=={m.__version__}")' >"$ROOT/src/.build/constraints-root.txt"
}

T0=$SECONDS
if [ "${QGIS_ROOT_REUSE:-0}" = 1 ] && [ -e "$ROOT/.mineland-built" ]; then
	echo "qgis_root: reusing $ROOT"
	mount_in_root
else
	build_root
fi
copy_checkout
write_constraints
in_root /usr/bin/python3 -c 'import sys, numpy, scipy, pandas; from osgeo import gdal; from qgis.core import Qgis
print(f"qgis_root: QGIS {Qgis.QGIS_VERSION}, Python {sys.version.split()[0]}, numpy {numpy.__version__}, "
      f"scipy {scipy.__version__}, pandas {pandas.__version__}, GDAL {gdal.__version__}")'
echo "qgis_root: running in $SUITE: $COMMAND"
T1=$SECONDS
in_root /bin/bash -c "cd /src && export CONSTRAINTS=.build/constraints-root.txt \
REQUIREMENTS=requirements-test-newer.txt && $COMMAND"
echo "qgis_root: $SUITE passed: $COMMAND took $((SECONDS - T1)) s, $((SECONDS - T0)) s end to end"
}

main "$@"
