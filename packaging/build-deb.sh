#!/usr/bin/env bash
# Builds promsls_<version>_amd64.deb with dpkg-deb (no debhelper, no source package).
# Usage: packaging/build-deb.sh BINARY VERSION REVISION OUTDIR
#   BINARY   the stripped release build (`make release`: dist/promsls)
#   VERSION  the Debian version (`make package`: Sources/PromModel/Version.swift)
# Depends: is computed with dpkg-shlibdeps from what BINARY links; the build fails if the
# binary links anything of the Swift toolchain (libswift*, libFoundation*, libdispatch).
set -euo pipefail
BIN=$1 VERSION=$2 REVISION=$3 OUT=$4
HERE=$(cd "$(dirname "$0")" && pwd)
MAINTAINER=${DEB_MAINTAINER:-promsls maintainers <maintainers@promsls.example>}
WORK=${DEB_WORK:-.build/deb}
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(date +%s)}
ROOT=$WORK/promsls_${VERSION}_amd64

# The binary must not need the Swift toolchain at run time.
if ldd "$BIN" | grep -Eq 'libswift|libFoundation|libdispatch|libBlocksRuntime|/opt/swift'; then
  echo "build-deb: $BIN links the Swift runtime dynamically (build with --static-swift-stdlib):" >&2
  ldd "$BIN" | grep -E 'libswift|libFoundation|libdispatch|libBlocksRuntime|/opt/swift' >&2
  exit 1
fi
if ldd "$BIN" | grep -q 'not found'; then
  echo "build-deb: $BIN has unresolved libraries:" >&2; ldd "$BIN" >&2; exit 1
fi

rm -rf "$WORK" && mkdir -p "$ROOT/DEBIAN"
install -D -m 0755 "$BIN" "$ROOT/usr/bin/promsls"
install -D -m 0644 "$HERE/promsls.yml" "$ROOT/etc/promsls/promsls.yml"
install -D -m 0600 "$HERE/default" "$ROOT/etc/default/promsls"
install -D -m 0644 "$HERE/promsls.service" "$ROOT/lib/systemd/system/promsls.service"
install -d -m 0750 "$ROOT/var/lib/promsls"
install -D -m 0644 "$HERE/debian/copyright" "$ROOT/usr/share/doc/promsls/copyright"
install -m 0644 "$HERE/../README.md" "$ROOT/usr/share/doc/promsls/README.md"
install -D -m 0644 "$HERE/debian/lintian-overrides" "$ROOT/usr/share/lintian/overrides/promsls"
# A native package's changelog (lintian wants one). Dates are SOURCE_DATE_EPOCH (the
# Makefile: the commit's date), so the same commit gives the same package.
date=$(date -u -R -d "@$SOURCE_DATE_EPOCH")
printf 'promsls (%s) unstable; urgency=medium\n\n  * Built from git revision %s.\n\n -- %s  %s\n' \
  "$VERSION" "$REVISION" "$MAINTAINER" "$date" | gzip -9n > "$ROOT/usr/share/doc/promsls/changelog.gz"
chmod 0644 "$ROOT/usr/share/doc/promsls/changelog.gz"
install -m 0755 "$HERE/debian/postinst" "$HERE/debian/prerm" "$HERE/debian/postrm" "$ROOT/DEBIAN/"
install -m 0644 "$HERE/debian/conffiles" "$ROOT/DEBIAN/"

# Depends: the shared libraries the binary links, as dpkg-shlibdeps names their packages
# (it needs a debian/control beside it), plus adduser for postinst.
mkdir -p "$WORK/debian"
printf 'Source: promsls\n\nPackage: promsls\nArchitecture: amd64\n' > "$WORK/debian/control"
shlibs=$(cd "$WORK" && dpkg-shlibdeps -O -e"promsls_${VERSION}_amd64/usr/bin/promsls" 2>/dev/null |
  sed -n 's/^shlibs:Depends=//p')
[ -n "$shlibs" ] || { echo "build-deb: dpkg-shlibdeps found no libraries" >&2; exit 1; }
# adduser for postinst, procps for the unit's ExecReload (/bin/kill).
depends="adduser, procps, $shlibs"
size=$(du -sk --exclude=DEBIAN "$ROOT" | cut -f1)
sed -e "s/@VERSION@/$VERSION/" -e "s/@MAINTAINER@/$MAINTAINER/" -e "s/@INSTALLED_SIZE@/$size/" \
  -e "s/@DEPENDS@/$depends/" "$HERE/debian/control.in" > "$ROOT/DEBIAN/control"
(cd "$ROOT" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) \
  > "$ROOT/DEBIAN/md5sums"
chmod 0644 "$ROOT/DEBIAN/md5sums"

mkdir -p "$OUT"
deb=$OUT/promsls_${VERSION}_amd64.deb
find "$ROOT" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
dpkg-deb --root-owner-group -Zxz --build "$ROOT" "$deb" >/dev/null
echo "$deb: $(stat -c %s "$deb") bytes, Installed-Size ${size} KiB, Depends: $depends"
