#!/bin/sh
# ops_postinst_override.sh - the Debian postinst accepts an existing
# dpkg-statoverride on /usr/sbin/sendmail only when it is exactly
# "root mailshim-drop 2755" (issue 19 item 13); adds it when there is
# none. dpkg-statoverride, getent and the rest are stand-ins on PATH
# that record what they were asked.
set -u
: "${top_srcdir:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
fail=0
mkdir "$tmp/bin"
for c in getent addgroup adduser install mailshim; do
	printf '#!/bin/sh\necho "%s $*" >> "%s/calls"\nexit 0\n' "$c" "$tmp" > "$tmp/bin/$c"
done
cat > "$tmp/bin/dpkg-statoverride" <<EOS
#!/bin/sh
echo "dpkg-statoverride \$*" >> "$tmp/calls"
if [ "\$1" = --list ]; then
	[ -s "$tmp/override" ] || exit 1
	cat "$tmp/override"
fi
exit 0
EOS
chmod +x "$tmp/bin/"*
run() { : > "$tmp/calls"; PATH="$tmp/bin:$PATH" sh "$top_srcdir/contrib/debian/mailshim.postinst" configure > "$tmp/out" 2>&1; }

: > "$tmp/override"
if run && grep -q 'dpkg-statoverride --update --add root mailshim-drop 2755 /usr/sbin/sendmail' "$tmp/calls"; then
	echo "ok: no override: added"
else echo "FAIL: no override: $(cat "$tmp/out" "$tmp/calls")"; fail=1; fi

echo "root mailshim-drop 2755 /usr/sbin/sendmail" > "$tmp/override"
if run && ! grep -q -- '--add' "$tmp/calls"; then
	echo "ok: the right override is kept"
else echo "FAIL: right override: $(cat "$tmp/out" "$tmp/calls")"; fail=1; fi

for bad in "root root 4755" "root mailshim-drop 2775" "root users 2755" "nobody mailshim-drop 2755"; do
	echo "$bad /usr/sbin/sendmail" > "$tmp/override"
	if run; then
		echo "FAIL: override \"$bad\" accepted"; fail=1
	elif grep -q 'must be "root mailshim-drop 2755"' "$tmp/out" && [ "$(wc -l < "$tmp/out")" = 1 ]; then
		echo "ok: override \"$bad\" refused with one line"
	else
		echo "FAIL: override \"$bad\": $(cat "$tmp/out")"; fail=1
	fi
	grep -q 'mailshim init' "$tmp/calls" && { echo "FAIL: init ran after a bad override"; fail=1; }
done
exit $fail
