#!/bin/sh
# tests/static/include-order.sh - includes only point down.
#
# The folders form layers (README "Layout of the source"):
#     admin -> flush -> relay -> aws -> spool -> lib
#     sendmail -> spool -> lib          (the front end links nothing else)
# A file may include headers of its own folder and of any layer below it,
# never above. Every `#include "NAME"` is resolved to the folder holding
# NAME; one that resolves to no folder (or to two) is an error too, except
# the generated config.h. A private header, NAME_priv.h (what the files
# of one folder share with each other, e.g. spool/spool_priv.h), may be
# included only from its own folder. Prints one line per offence; exit 1
# if any.
set -u
top=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$top" || exit 2

rank() {	# rank FOLDER: its layer, higher may include lower
	case $1 in
	lib) echo 0 ;; spool) echo 1 ;; aws) echo 2 ;; relay) echo 3 ;;
	flush) echo 4 ;; admin) echo 5 ;; sendmail) echo 5 ;; *) echo -1 ;;
	esac
}
folders="lib spool aws relay flush admin sendmail"

bad=0
for dir in $folders; do
	for file in "$dir"/*.[ch]; do
		[ -f "$file" ] || continue
		sed -n 's/^#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$file" |
		{
		found=0
		while read -r name; do
			[ "$name" = config.h ] && continue
			owner=
			for d in $folders; do
				if [ -f "$d/$name" ]; then
					[ -n "$owner" ] && echo "$file: \"$name\" is in both $owner/ and $d/" && found=1
					owner=$d
				fi
			done
			if [ -z "$owner" ]; then
				echo "$file: \"$name\" is in no source folder"
				found=1
				continue
			fi
			[ "$owner" = "$dir" ] && continue
			case $name in
			*_priv.h)
				echo "$file: includes \"$name\", private to $owner/"
				found=1
				continue
				;;
			esac
			ok=yes
			if [ "$dir" = sendmail ]; then
				case $owner in spool | lib) ;; *) ok=no ;; esac
			elif [ "$(rank "$owner")" -ge "$(rank "$dir")" ]; then
				ok=no
			fi
			if [ $ok = no ]; then
				echo "$file: includes \"$name\" from $owner/, which is above $dir/"
				found=1
			fi
		done
		exit $found
		} || bad=1
	done
done
[ $bad -eq 0 ] && echo "includes point down in: $folders"
exit $bad
