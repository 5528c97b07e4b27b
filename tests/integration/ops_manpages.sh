#!/bin/sh
# ops_manpages.sh - the man pages render without warnings, mailshim.conf(5)
# and the sample config document every key of lib/conf_schema.c's option
# tables, and the sample config (as shipped and with every example
# uncommented) passes `mailshim check --config-only` when the flusher is built.
set -eu
: "${top_builddir:?}" "${top_srcdir:?}"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
fail=0
pages="man/mailshim.8 man/mailshim-sendmail.8 man/mailshim.conf.5"
confman=$top_srcdir/man/mailshim.conf.5
sample=$top_srcdir/conf/mailshim.conf

if command -v groff >/dev/null 2>&1; then
	for p in $pages; do
		if LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$top_srcdir/$p" \
		    > "$tmp/groff" 2>&1 && [ ! -s "$tmp/groff" ]; then
			echo "ok: $p renders cleanly with groff -ww"
		else
			cat "$tmp/groff"
			echo "FAIL: $p: groff warnings"
			fail=1
		fi
	done
else
	echo "note: groff not installed, rendering not checked"
fi
if command -v man >/dev/null 2>&1; then
	for p in $pages; do
		if LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$top_srcdir/$p" \
		    2> "$tmp/man" > "$tmp/out" && [ ! -s "$tmp/man" ] &&
		    [ -s "$tmp/out" ]; then
			echo "ok: man -l $p"
		else
			cat "$tmp/man"
			echo "FAIL: man -l $p"
			fail=1
		fi
	done
fi

# Every key name in the CFG_* option tables: CFG_STR("name", ...
sed -n 's/.*CFG_[A-Z_]*("\([A-Za-z0-9_]*\)".*/\1/p' \
    "$top_srcdir/lib/conf_schema.c" | sort -u > "$tmp/keys"
nkeys=$(wc -l < "$tmp/keys")
if [ "$nkeys" -lt 30 ]; then
	echo "FAIL: found only $nkeys keys in lib/conf_schema.c: extraction broken?"
	fail=1
fi
missing=0
while read -r key; do
	# A definition in the man page: .B key, .BR key "(type ...)" or, for
	# sections, .BI "relay \(dq" name ...
	if ! grep -q -E "^\.B[IR]? \"?$key( |\$)" "$confman"; then
		echo "FAIL: mailshim.conf(5) does not document \"$key\""
		missing=1
	fi
	if ! grep -q -E "(^|[^a-z_])$key([^a-z_]|\$)" "$sample"; then
		echo "FAIL: conf/mailshim.conf does not mention \"$key\""
		missing=1
	fi
done < "$tmp/keys"
if [ $missing -eq 0 ]; then
	echo "ok: all $nkeys keys documented in mailshim.conf(5) and the sample"
else
	fail=1
fi

# The sample parses; so does every example in it once uncommented.
sed -e 's/^#\(relay\|route\|pull\|	\|}\)/\1/' -e 's/^	#/	/' \
    -e 's/^#\([a-z_]* *= \)/\1/' "$sample" > "$tmp/all.conf"
flusher=$top_builddir/admin/mailshim
if [ -x "$flusher" ]; then
	for c in "$sample" "$tmp/all.conf"; do
		rc=0
		"$flusher" -C "$c" check --config-only > "$tmp/check" 2>&1 || rc=$?
		if [ $rc -eq 0 ]; then
			echo "ok: mailshim check --config-only $(basename "$c")"
		elif [ $rc -eq 64 ] && grep -q -i -E 'check|config-only' "$tmp/check"; then
			# Usage error about the command itself: not built yet.
			echo "note: this mailshim has no check --config-only; not run"
		else
			cat "$tmp/check"
			echo "FAIL: $(basename "$c") does not pass check --config-only (exit $rc)"
			fail=1
		fi
	done
else
	echo "note: $flusher not built; the sample config was not parsed"
fi
exit $fail
