#!/bin/sh
# mailshim init never changes anything through a symlink planted in the
# spool (issue 14 item 8, issue 19 item 8): run as root over a spool
# whose tmp/ is a symlink to a file and whose dead/ is a symlink to a
# directory outside the spool, it refuses with a clear line and the
# targets keep their modes. A regular file planted as new/ is refused
# too. One rule for the spool root (spool/README): a symlinked root is
# followed by init, sendmail, flush and check alike.
. "$top_srcdir/tests/integration/lib.sh"
[ "$(id -u)" = 0 ] || t_skip "needs root: the defect is root following links"
t_setup
mode() { stat -c %a "$1"; }

# 1. tmp -> a file outside the spool.
mkdir -p "$SPOOL"
: > "$T/victim-file"; chmod 0644 "$T/victim-file"
ln -s "$T/victim-file" "$SPOOL/tmp"
mailshim init > /dev/null 2> "$T/err"; rc=$?
[ "$rc" != 0 ] && grep -q "refusing $SPOOL/tmp: not a directory" "$T/err" &&
	t_ok "symlinked tmp/ refused (exit $rc)" || t_fail "tmp symlink: exit $rc: $(cat "$T/err")"
[ "$(mode "$T/victim-file")" = 644 ] && t_ok "target file keeps mode 0644" ||
	t_fail "target file chmodded to $(mode "$T/victim-file")"
[ -L "$SPOOL/tmp" ] || t_fail "the planted link was replaced"
rm "$SPOOL/tmp"

# 2. dead -> a directory outside the spool (after the others exist).
mkdir "$T/victim-dir"; chmod 0755 "$T/victim-dir"
rm -rf "$SPOOL/dead"; ln -s "$T/victim-dir" "$SPOOL/dead"
mailshim init > /dev/null 2> "$T/err"; rc=$?
[ "$rc" != 0 ] && grep -q "refusing $SPOOL/dead: not a directory" "$T/err" &&
	t_ok "symlinked dead/ refused (exit $rc)" || t_fail "dead symlink: exit $rc: $(cat "$T/err")"
[ "$(mode "$T/victim-dir")" = 755 ] && t_ok "target directory keeps mode 0755" ||
	t_fail "target directory chmodded to $(mode "$T/victim-dir")"
rm "$SPOOL/dead"

# 3. a regular file where new/ should be.
rm -rf "$SPOOL/new"; : > "$SPOOL/new"; chmod 0600 "$SPOOL/new"
mailshim init > /dev/null 2> "$T/err"; rc=$?
[ "$rc" != 0 ] && grep -q "refusing $SPOOL/new: not a directory" "$T/err" &&
	[ "$(mode "$SPOOL/new")" = 600 ] && t_ok "file as new/ refused" ||
	t_fail "file as new/: exit $rc: $(cat "$T/err")"
rm -f "$SPOOL/new"
mailshim init > /dev/null 2> "$T/err" && t_ok "repaired spool initialises" ||
	t_fail "init after cleanup: $(cat "$T/err")"

# 4. The spool root itself a symlink: init, sendmail, flush and check
#    all follow it (the administrator's path, from the root-owned config).
real="$T/real-spool"
mkdir "$real"; chmod 0755 "$real"
ln -s "$real" "$T/linked"
SPOOL="$T/linked" t_conf ""
mailshim init > /dev/null 2> "$T/err" || t_fail "init on a symlinked root: $(cat "$T/err")"
[ "$(mode "$real")" = 710 ] && [ -d "$real/queue" ] && [ -L "$T/linked" ] &&
	t_ok "init follows a symlinked root" || t_fail "symlinked root: $(ls -la "$real")"
printf 'Subject: via link\n\nx\n' | sendmail -i a@example.net || t_fail "sendmail via a symlinked root"
mailshim flush 2> "$T/err" || t_fail "flush via a symlinked root: $(cat "$T/err")"
[ "$(t_count "$CAPTURE/new")" = 1 ] && t_ok "sendmail and flush follow it too" ||
	t_fail "not delivered: $(cat "$T/err")"
mailshim check --no-network > "$T/out" 2>&1
grep -q "^OK    spool: $T/linked" "$T/out" && t_ok "check accepts it" ||
	t_fail "check: $(cat "$T/out")"
t_done
