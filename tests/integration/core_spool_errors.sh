#!/bin/sh
# The front end never says "queued" when it is not: no spool, unwritable
# spool, full disk -> 75, one clear line, no stray file; bad input -> its
# documented code, nothing queued.
. "$top_srcdir/tests/integration/lib.sh"
t_setup
msg='Subject: x

y
'
# No spool at all.
printf '%s' "$msg" | sendmail -i a@example.net 2> "$T/err"; rc=$?
[ "$rc" = 75 ] && [ "$(wc -l < "$T/err")" = 1 ] && t_ok "missing spool: 75" || t_fail "missing spool: rc=$rc $(cat "$T/err")"
t_init

# No recipients -> 64; bad address -> 65; nothing queued.
printf '%s' "$msg" | sendmail -i 2>/dev/null; rc=$?
[ "$rc" = 64 ] || t_fail "no recipients: rc=$rc"
printf '%s' "$msg" | sendmail -i 'a@b@c' 2> "$T/err"; rc=$?
[ "$rc" = 65 ] && grep -q 'a@b@c' "$T/err" && t_ok "bad address named" || t_fail "bad address: rc=$rc $(cat "$T/err")"
[ "$(t_count "$SPOOL/new")" = 0 ] && [ "$(t_count "$SPOOL/tmp")" = 0 ] || t_fail "something queued after refusals"

# Unwritable tmp/ (as root, chmod is not enough: use a file in its place).
mv "$SPOOL/tmp" "$SPOOL/tmp.real"; : > "$SPOOL/tmp"
printf '%s' "$msg" | sendmail -i a@example.net 2> "$T/err"; rc=$?
[ "$rc" = 75 ] && grep -q 'tmp' "$T/err" && t_ok "unwritable spool: 75" || t_fail "unwritable: rc=$rc $(cat "$T/err")"
rm -f "$SPOOL/tmp"; mv "$SPOOL/tmp.real" "$SPOOL/tmp"
[ "$(t_count "$SPOOL/new")" = 0 ] || t_fail "message appeared after failure"

# Full disk: a 1 MB tmpfs as the spool (root only).
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null && unshare --mount true 2>/dev/null; then
	cat > "$T/full.sh" <<EOS
set -u
mount -t tmpfs -o size=1m tmpfs "$SPOOL" || exit 99
"$MAILSHIM" init >/dev/null || exit 98
head -c 3000000 /dev/zero | tr '\\0' 'x' | fold -w 70 | sed '1i Subject: big\\n' | "$SENDMAIL" -i a@example.net 2> "$T/err"
echo "rc=\$?" > "$T/rc"
find "$SPOOL/tmp" "$SPOOL/new" -type f | wc -l > "$T/left"
printf 'Subject: small\n\nok\n' | "$SENDMAIL" -i b@example.net || exit 97
"$MAILSHIM" flush 2>/dev/null || exit 96
EOS
	unshare --mount sh "$T/full.sh"; rc=$?
	[ "$rc" = 0 ] || t_fail "full-disk script failed with $rc"
	grep -q 'rc=75' "$T/rc" && grep -q 'No space left' "$T/err" && t_ok "full disk: 75" || t_fail "full disk: $(cat "$T/rc" "$T/err")"
	[ "$(cat "$T/left")" = 0 ] && t_ok "no partial file" || t_fail "files left after full disk: $(cat "$T/left")"
else
	echo "full-disk case skipped: needs root and unshare --mount"
fi
t_done
