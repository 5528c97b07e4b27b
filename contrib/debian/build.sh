#!/bin/sh
# build.sh - build the mailshim .deb from a clean copy of the source tree.
#
#   contrib/debian/build.sh [OUTDIR]
#
# Copies the tracked (or, without git, the non-generated) files of the
# tree this script belongs to into a temporary directory, puts
# contrib/debian in place as debian/, runs dpkg-buildpackage -us -uc -b
# and copies the resulting .deb files to OUTDIR (default: the current
# directory).  Prints the path of mailshim_*.deb on its last line.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
outdir=${1:-.}
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)

command -v dpkg-buildpackage >/dev/null 2>&1 ||
	{ echo "build.sh: dpkg-buildpackage missing (apt-get install dpkg-dev debhelper)" >&2; exit 1; }

version=$(sed -n '1s/^mailshim (\([^)]*\)).*/\1/p' "$here/changelog")
work=$(mktemp -d /tmp/mailshim-deb.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
src=$work/mailshim-$version
mkdir -p "$src"

# A clean copy: what git tracks plus new files not ignored, less what
# autoreconf and configure generate (dh_autoreconf makes them afresh).
generated='^(configure|configure~|aclocal\.m4|config\.h\.in~?|config\.h|config\.log|config\.status|stamp-h1|Makefile)$|(^|/)Makefile\.in$|^(autom4te\.cache|build-aux|debian)/|~$'
if command -v git >/dev/null 2>&1 && git -C "$top" rev-parse >/dev/null 2>&1; then
	(cd "$top" && git ls-files -co --exclude-standard) |
	    grep -v -E "$generated" |
	    (cd "$top" && tar cf - --no-recursion -T -) |
	    (cd "$src" && tar xf -)
else
	(cd "$top" && tar cf - --exclude=.git --exclude='*.o' --exclude='*.a' \
	    --exclude=autom4te.cache --exclude=config.status \
	    --exclude=config.log --exclude=Makefile --exclude=config.h \
	    --exclude=configure --exclude=Makefile.in --exclude=aclocal.m4 \
	    --exclude=build-aux --exclude=stamp-h1 .) | (cd "$src" && tar xf -)
fi
# Files automake insists on, in case the tree lacks them.
for f in README NEWS spool/README tests/README; do
	[ -e "$src/$f" ] || : > "$src/$f"
done
rm -rf "$src/debian"
cp -R "$src/contrib/debian" "$src/debian"

echo "build.sh: building mailshim $version in $src" >&2
(cd "$src" && dpkg-buildpackage -us -uc -b) >&2

found=
for deb in "$work"/mailshim*_"$version"_*.deb; do
	[ -f "$deb" ] || continue
	cp "$deb" "$outdir/"
	case $(basename "$deb") in
	mailshim_*) found=$outdir/$(basename "$deb") ;;
	esac
done
[ -n "$found" ] || { echo "build.sh: no .deb was produced" >&2; exit 1; }
echo "$found"
