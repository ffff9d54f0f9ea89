#!/usr/bin/env bash
# Checks a built promsls .deb: its control fields, its file list with owners and modes, the
# systemd unit (`systemd-analyze verify`, no output allowed) and lintian (no error).
# Usage: packaging/check-deb.sh DEB VERSION
set -euo pipefail
DEB=$1 VERSION=$2
fail() { echo "check-deb: $*" >&2; exit 1; }
field() { dpkg-deb --field "$DEB" "$1"; }

[ "$(field Package)" = promsls ] || fail "Package is $(field Package)"
[ "$(field Version)" = "$VERSION" ] || fail "Version is $(field Version), not $VERSION"
[ "$(field Architecture)" = amd64 ] || fail "Architecture is $(field Architecture)"
depends=$(field Depends)
depends_names=$(tr ',' '\n' <<<"$depends" | sed 's/^ *//; s/ .*//')
for lib in libc6 libsnappy1v5 libre2-9 libstdc++6 adduser procps; do
  grep -qxF "$lib" <<<"$depends_names" || fail "Depends lacks $lib: $depends"
done
if grep -Eqi 'swift|foundation|dispatch|icu' <<<"$depends"; then fail "Depends names the Swift runtime: $depends"; fi
# Outputs are captured before grep: with pipefail, `cmd | grep -q` fails when grep exits at
# its first match and cmd then dies of SIGPIPE (that failed CI once, on this very check).
info=$(dpkg-deb --info "$DEB")
grep -Eq '^ +[0-9]+ bytes, +[0-9]+ lines +conffiles' <<<"$info" || fail "no conffiles in the control archive"
conffiles=$(dpkg-deb --ctrl-tarfile "$DEB" | tar -xO ./conffiles)
[ "$conffiles" = $'/etc/default/promsls\n/etc/promsls/promsls.yml' ] || fail "conffiles: $conffiles"
control_files=$(dpkg-deb --ctrl-tarfile "$DEB" | tar -t)
for script in postinst prerm postrm; do
  grep -qx "./$script" <<<"$control_files" || fail "no $script"
done

# Every file with its mode and owner; nothing else in the package.
listing=$(dpkg-deb --contents "$DEB" | awk '{print $1, $2, $6}' | sed 's|/$||' | sort -k3)
expected=$(sort -k3 <<'LIST'
drwxr-xr-x root/root .
drwxr-xr-x root/root ./etc
drwxr-xr-x root/root ./etc/default
-rw------- root/root ./etc/default/promsls
drwxr-xr-x root/root ./etc/promsls
-rw-r--r-- root/root ./etc/promsls/promsls.yml
drwxr-xr-x root/root ./lib
drwxr-xr-x root/root ./lib/systemd
drwxr-xr-x root/root ./lib/systemd/system
-rw-r--r-- root/root ./lib/systemd/system/promsls.service
drwxr-xr-x root/root ./usr
drwxr-xr-x root/root ./usr/bin
-rwxr-xr-x root/root ./usr/bin/promsls
drwxr-xr-x root/root ./usr/share
drwxr-xr-x root/root ./usr/share/doc
drwxr-xr-x root/root ./usr/share/doc/promsls
-rw-r--r-- root/root ./usr/share/doc/promsls/README.md
-rw-r--r-- root/root ./usr/share/doc/promsls/changelog.gz
-rw-r--r-- root/root ./usr/share/doc/promsls/copyright
drwxr-xr-x root/root ./usr/share/lintian
drwxr-xr-x root/root ./usr/share/lintian/overrides
-rw-r--r-- root/root ./usr/share/lintian/overrides/promsls
drwxr-xr-x root/root ./var
drwxr-xr-x root/root ./var/lib
drwxr-x--- root/root ./var/lib/promsls
LIST
)
[ "$listing" = "$expected" ] || { diff <(echo "$expected") <(echo "$listing") >&2; fail "unexpected contents (- expected, + found)"; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dpkg-deb --extract "$DEB" "$tmp/root"
kind=$(file "$tmp/root/usr/bin/promsls")
grep -q 'stripped' <<<"$kind" && ! grep -q 'not stripped' <<<"$kind" || fail "/usr/bin/promsls is not stripped: $kind"
version=$("$tmp/root/usr/bin/promsls" --version)
grep -qF "promsls, version $VERSION " <<<"${version%%$'\n'*}" || fail "promsls --version: $version"

# systemd-analyze verify against this machine's units plus the package's files (and a
# stand-in /bin/kill): it prints warnings but exits 0 on unknown keys, so any output fails.
mkdir -p "$tmp/root/usr/lib/systemd" "$tmp/root/bin"
cp -a /usr/lib/systemd/system "$tmp/root/usr/lib/systemd/"
[ -x "$tmp/root/bin/kill" ] || install -m 0755 /bin/kill "$tmp/root/bin/kill"
out=$(systemd-analyze verify --man=no --root="$tmp/root" /lib/systemd/system/promsls.service 2>&1) ||
  fail "systemd-analyze verify failed: $out"
[ -z "$out" ] || fail "systemd-analyze verify: $out"

# lintian: errors fail the build; warnings are printed. The overrides (embedded libyaml and
# zlib, the modes of the AccessKey file and the WAL) say why in packaging/debian/lintian-overrides.
rc=0
lintian --fail-on error --tag-display-limit 0 "$DEB" > "$tmp/lintian.raw" 2>&1 || rc=$?
grep -v '^running with root privileges' "$tmp/lintian.raw" > "$tmp/lintian.txt" || true
cat "$tmp/lintian.txt" >&2
[ "$rc" = 0 ] || fail "lintian found errors"
echo "check-deb: $DEB ok (control, $(echo "$listing" | wc -l) entries, systemd-analyze verify, lintian: $(grep -c '^E:' "$tmp/lintian.txt" || true) errors, $(grep -c '^W:' "$tmp/lintian.txt" || true) warnings)"
