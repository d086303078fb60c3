#!/usr/bin/env bash
# fetch-zydis-src.sh - fetch Debian's `zydis` source package (it carries the
# generated decoder tables the public git mirror lacks) and unpack it into
# third_party/zydis-src/ for the kernel module build.
#
# No network address is written anywhere: a deb-src entry is derived from the
# machine's own apt sources (deb822 *.sources or one-line *.list) into a
# private apt configuration directory, used only for this download.
#
# Usage: scripts/fetch-zydis-src.sh [DESTDIR]   (default third_party/zydis-src)
# Env:   ZYDIS_SRC_VERSION  source version wanted (default: whatever the
#        archive has, 4.0.0 on Debian 12)
# Exit 0 when DESTDIR holds the sources (already there counts), else non-zero
# with one line on stderr.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
dest=${1:-$top/third_party/zydis-src}

die() { echo "fetch-zydis-src: $*" >&2; exit 1; }

if [ -f "$dest/src/Decoder.c" ] && [ -d "$dest/src/Generated" ] && [ -f "$dest/include/Zydis/Zydis.h" ]; then
	echo "fetch-zydis-src: $dest already present"
	exit 0
fi

command -v apt-get >/dev/null || die "apt-get not found (need a Debian-based system)"
command -v dpkg-source >/dev/null || die "dpkg-source not found: apt-get install -y dpkg-dev"

work=$(mktemp -d /tmp/zydis-src.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/etc/sources.list.d" "$work/etc/preferences.d" "$work/lists/partial" \
	"$work/cache/archives/partial" "$work/src"

# Derive deb-src entries from the existing deb entries.
srcfile="$work/etc/sources.list.d/derived.sources"
: >"$srcfile"
shopt -s nullglob
for f in /etc/apt/sources.list.d/*.sources; do
	# deb822 stanzas: rewrite the Types line, keep URIs/Suites/Components/Signed-By.
	awk '
	BEGIN { RS=""; ORS="\n\n" }
	{
		n = split($0, L, "\n"); out = ""; isdeb = 0
		for (i = 1; i <= n; i++) {
			if (L[i] ~ /^#/) continue
			if (L[i] ~ /^Types:/) { if (L[i] ~ /(^|[ \t:])deb([ \t]|$)/) isdeb = 1; L[i] = "Types: deb-src" }
			out = out L[i] "\n"
		}
		if (isdeb) printf "%s\n", out
	}' "$f" >>"$srcfile"
done
listfile="$work/etc/sources.list"
: >"$listfile"
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
	[ -f "$f" ] || continue
	sed -n 's/^[[:space:]]*deb\([[:space:]]\)/deb-src\1/p' "$f" >>"$listfile"
done
[ -s "$srcfile" ] || [ -s "$listfile" ] || die "no deb entries found in /etc/apt to derive deb-src from"

aptopts=(
	-o "Dir::Etc::sourcelist=$listfile"
	-o "Dir::Etc::sourceparts=$work/etc/sources.list.d"
	-o "Dir::State::Lists=$work/lists"
	-o "Dir::Cache=$work/cache"
	-o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache="
	-o "APT::Sandbox::User=root"
	-o "Acquire::Languages=none"
)
apt-get "${aptopts[@]}" -qq update >"$work/update.log" 2>&1 ||
	die "apt-get update with derived deb-src entries failed: $(tail -n1 "$work/update.log")"

pkg=zydis
[ -n "${ZYDIS_SRC_VERSION:-}" ] && pkg="zydis=$ZYDIS_SRC_VERSION"
(cd "$work/src" && apt-get "${aptopts[@]}" -qq source --download-only "$pkg") >"$work/source.log" 2>&1 ||
	die "apt-get source $pkg failed: $(tail -n1 "$work/source.log")"
dsc=$(ls "$work"/src/zydis_*.dsc 2>/dev/null | head -n1)
[ -n "$dsc" ] || die "no zydis .dsc downloaded"
(cd "$work/src" && dpkg-source --no-check -x "$dsc" unpacked) >"$work/unpack.log" 2>&1 ||
	die "dpkg-source -x failed: $(tail -n1 "$work/unpack.log")"
u="$work/src/unpacked"
[ -f "$u/src/Decoder.c" ] && [ -d "$u/src/Generated" ] || die "unpacked source lacks src/Decoder.c or src/Generated"

mkdir -p "$(dirname "$dest")"
rm -rf "$dest.tmp"
mkdir -p "$dest.tmp"
cp -a "$u/src" "$u/include" "$dest.tmp/"
[ -f "$u/LICENSE" ] && cp "$u/LICENSE" "$dest.tmp/"
ver=$(basename "$dsc" .dsc); echo "${ver#zydis_}" >"$dest.tmp/VERSION"
rm -rf "$dest"
mv "$dest.tmp" "$dest"
echo "fetch-zydis-src: unpacked zydis ${ver#zydis_} into $dest"
