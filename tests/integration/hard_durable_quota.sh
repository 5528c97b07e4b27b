#!/bin/sh
# hard_durable_quota.sh - one local user cannot fill the spool and stop
# everyone's mail (issue 19 item 7):
#   - the default max_message_size is SES's 40 MB: a 41 MB message is
#     refused (65) and leaves nothing;
#   - below the free-space reserve the front end refuses new mail (75,
#     one clear line) while the flusher still delivers what is queued
#     (room kept for its state writes) - a 1 MB tmpfs, private mounts;
#   - a front end killed with SIGKILL leaves a tmp/ file that the next
#     flush removes after 10 minutes (faketime), while the file of a
#     front end still writing (it holds the lock) is kept;
#   - `mailshim stats` and `check` show tmp/.
. "$top_srcdir/tests/integration/lib.sh"
command -v faketime >/dev/null || { echo "FAIL: faketime missing (contrib/deps.sh)"; exit 1; }
t_setup
t_init

# 1. The default size limit.
head -c 43000000 /dev/zero | tr '\0' 'x' | fold -w 70 | sed '1i Subject: big\n' \
    | sendmail -i a@example.net 2> "$T/err"; rc=$?
[ "$rc" = 65 ] && grep -q 'exceeds 41943040 bytes' "$T/err" \
    && t_ok "41 MB refused by the default limit" || t_fail "41 MB: rc=$rc $(cat "$T/err")"
[ "$(t_count "$SPOOL/new")" = 0 ] && [ "$(t_count "$SPOOL/tmp")" = 0 ] \
    || t_fail "something left after the refusal"

# 3. tmp/ files: abandoned ones go after 10 minutes, live ones stay.
# Each writer reads a fifo this shell holds open, so it is still writing
# until the fifo is closed (a sleeping feeder would outlive the writer
# and hold the test up).
mkfifo "$T/feed-killed" "$T/feed-alive"
"$SENDMAIL" -i a@example.net < "$T/feed-killed" & k=$!
exec 7> "$T/feed-killed"
printf 'Subject: killed\n\nbody\n' >&7
t_wait 10 sh -c "[ \$(ls '$SPOOL/tmp' | wc -l) = 1 ]" || t_fail "no tmp/ file for the writer"
DEADF=$(ls "$SPOOL/tmp")
kill -9 $k; wait $k 2>/dev/null
exec 7>&-
"$SENDMAIL" -i a@example.net < "$T/feed-alive" & a=$!
exec 8> "$T/feed-alive"
printf 'Subject: alive\n\nbody\n' >&8
t_pids=$a
t_wait 10 sh -c "[ \$(ls '$SPOOL/tmp' | wc -l) = 2 ]" || t_fail "no tmp/ file for the live writer"
LIVEF=$(ls "$SPOOL/tmp" | grep -v "$DEADF")
mailshim stats > "$T/stats" 2>&1
grep -q '^tmp  *2 files' "$T/stats" && t_ok "stats shows tmp/" || t_fail "stats: $(cat "$T/stats")"
mailshim check --no-network > "$T/check" 2>&1
grep -q 'spool tmp: 2 files' "$T/check" && t_ok "check shows tmp/" || t_fail "check: $(cat "$T/check")"
faketime -f +11m "$MAILSHIM" flush >/dev/null 2>&1
[ ! -e "$SPOOL/tmp/$DEADF" ] && t_ok "killed front end's file removed after 10 min" \
    || t_fail "abandoned tmp/ file kept"
[ -e "$SPOOL/tmp/$LIVEF" ] && t_ok "live front end's file kept" || t_fail "live writer's file removed"
kill $a 2>/dev/null; wait $a 2>/dev/null
exec 8>&-

# 2. The reserve (root: a 1 MB tmpfs in a private mount namespace).
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null && unshare --mount true 2>/dev/null; then
	cat > "$T/ns.sh" <<'EOS'
set -u
mount -t tmpfs -o size=1m tmpfs "$SPOOL" || exit 99
"$MAILSHIM" init >/dev/null 2>&1 || exit 98
printf 'Subject: queued\n\nbody\n' | "$SENDMAIL" -i a@example.net 2>/dev/null || exit 97
avail=$(df -B1 --output=avail "$SPOOL" | tail -1)
head -c $((avail - 20480)) /dev/zero > "$SPOOL/fill" 2>/dev/null
printf 'Subject: refused\n\nbody\n' | "$SENDMAIL" -i b@example.net 2> "$T/res.err"
echo $? > "$T/res.rc"
"$MAILSHIM" flush 2>/dev/null; echo $? > "$T/res.flush"
exit 0
EOS
	export T SPOOL MAILSHIM SENDMAIL
	unshare --mount --propagation private sh "$T/ns.sh"; rc=$?
	[ "$rc" = 0 ] || t_fail "namespace script: $rc"
	[ "$(cat "$T/res.rc")" = 75 ] && [ "$(wc -l < "$T/res.err")" = 1 ] \
	    && grep -q 'nearly full' "$T/res.err" && t_ok "below the reserve: 75, one line" \
	    || t_fail "reserve: rc=$(cat "$T/res.rc") $(cat "$T/res.err")"
	[ "$(cat "$T/res.flush")" = 0 ] && [ "$(t_count "$CAPTURE/new")" = 1 ] \
	    && t_ok "queued mail still delivered" \
	    || t_fail "flush in the reserve: rc=$(cat "$T/res.flush") delivered=$(t_count "$CAPTURE/new")"
else
	echo "reserve case skipped: needs root and unshare --mount"
fi
t_done
