#!/bin/sh
# hard_spool_damage.sh - damaged and hostile entries in new/ and queue/
# (truncated, empty, random bytes, wrong mode, symlink, directory, hard
# link, garbage envelope, odd names) are set aside as dead/*.bad or left
# alone with a log line; the flusher never crashes and still delivers the
# good message next to them. Nothing set aside is ever delivered.
. "$top_srcdir/tests/integration/lib.sh"
t_setup
t_init

good() { printf 'Subject: good %s\n\nGOOD-%s\n' "$1" "$1" | sendmail -i "good$1@example.net" || t_fail "enqueue good $1"; }
# A well-formed message file written by hand (the flusher reads it).
valid_file() {
	printf 'MAILSHIM-1\nid %s\ntime %s\nuid 0\nuser root\nfrom x@example.com\nrcpt %s\n\nSubject: s\n\n%s\n' \
	    "$1" "$(date +%s)" "$2" "$3" > "$4"
	chmod 0604 "$4"
}
id() { printf '0660EE00000000%08X' "$1"; }

good 1
N=$SPOOL/new
Q=$SPOOL/queue
# new/: damaged entries with valid-looking ids
valid_file "$(id 1)" trunc@example.net BAD-TRUNC "$T/full"
head -c 40 "$T/full" > "$N/$(id 1)"; chmod 0604 "$N/$(id 1)"
: > "$N/$(id 2)"; chmod 0604 "$N/$(id 2)"
head -c 3000 /dev/urandom > "$N/$(id 3)"; chmod 0604 "$N/$(id 3)"
valid_file "$(id 4)" mode@example.net BAD-MODE "$N/$(id 4)"; chmod 0644 "$N/$(id 4)"
ln -s /etc/shadow "$N/$(id 5)"
mkdir "$N/$(id 6)"
valid_file "$(id 7)" link@example.net BAD-LINK "$N/$(id 7)"; ln "$N/$(id 7)" "$T/hardlink"
printf 'MAILSHIM-1\nid \001\002\nrcpt\n\n' > "$N/$(id 8)"; chmod 0604 "$N/$(id 8)"
valid_file "$(id 9)" name@example.net BAD-NAME "$N/not-an-id"
valid_file "$(id 10)" name2@example.net BAD-NAME2 "$N/$(printf 'odd\033name')"
# queue/: the same kinds of trouble after pickup
valid_file "$(id 11)" q@example.net BAD-QTRUNC "$T/full2"
head -c 30 "$T/full2" > "$Q/$(id 11)"; chmod 0604 "$Q/$(id 11)"
head -c 500 /dev/urandom > "$Q/$(id 12)"; chmod 0604 "$Q/$(id 12)"
ln -s /etc/shadow "$Q/$(id 13)"
mkdir "$Q/$(id 14)"
: > "$Q/$(id 15)"
valid_file "$(id 16)" qlink@example.net BAD-QLINK "$Q/$(id 16)"; ln "$Q/$(id 16)" "$T/hardlink2"
printf 'garbage state\n\377\n' > "$Q/$(id 17).state"
good 2

timeout 60 "$MAILSHIM" flush > "$T/out" 2>&1; rc=$?
[ "$rc" -lt 128 ] && [ "$rc" != 70 ] || t_fail "flusher crashed or broke: rc=$rc"
for k in 1 2; do
	grep -rqs "GOOD-$k" "$CAPTURE/new" && t_ok "good message $k delivered" || t_fail "good message $k not delivered"
done
if grep -rqs 'BAD-\|root:' "$CAPTURE/new"; then
	t_fail "a damaged or planted file was delivered: $(grep -rl 'BAD-\|root:' "$CAPTURE/new")"
else
	t_ok "nothing damaged delivered"
fi
# Each planted entry, exactly: set aside as dead/NAME.bad, of the same
# kind (a symlink still pointing at /etc/shadow, not followed or copied;
# a directory; a file), with exactly one log line giving the reason.
aside() {	# aside NAME KIND REASON
	f="$SPOOL/dead/$1.bad"
	case $2 in
	link) [ -L "$f" ] && [ "$(readlink "$f")" = /etc/shadow ] ;;
	dir)  [ -d "$f" ] && [ ! -L "$f" ] ;;
	file) [ -f "$f" ] && [ ! -L "$f" ] ;;
	esac || { t_fail "$1: dead/$1.bad is not the $2 that was planted: $(ls -ld "$f" 2>&1)"; return; }
	n=$(grep -cF "as dead/$1.bad: " "$T/out")
	if [ "$n" = 1 ] && grep -F "as dead/$1.bad: " "$T/out" | grep -qF "$3"; then
		t_ok "$1 set aside ($2): $3"
	else
		t_fail "$1: want one log line with \"$3\", got $n: $(grep -F "as dead/$1.bad: " "$T/out")"
	fi
}
aside "$(id 1)" file "envelope is truncated"
aside "$(id 2)" file "not a mailshim spool file"
aside "$(id 3)" file "not a mailshim spool file"
aside "$(id 4)" file "mode is not 0604"
aside "$(id 5)" link "not a regular file"
aside "$(id 6)" dir "not a regular file"
aside "$(id 7)" file "more than one link"
aside "$(id 8)" file "empty rcpt line"
aside not-an-id file "not a queue file name"
aside odd_name file "not a queue file name"
aside "$(id 11)" file "envelope is truncated"
aside "$(id 12)" file "not a mailshim spool file"
aside "$(id 13)" link "Too many levels of symbolic links"
aside "$(id 14)" dir "is not a plain file"
aside "$(id 15)" file "not a mailshim spool file"
aside "$(id 16)" file "is not a plain file"
# ... and nothing else: 16 set-aside lines, 16 entries in dead/, new/
# empty, and queue/ empty: the orphan garbage state (no message in
# queue/ or dead/) is swept by the flusher at once.
n=$(grep -c 'set aside' "$T/out")
[ "$n" = 16 ] && t_ok "16 set-aside lines" || { t_fail "$n set-aside lines, want 16"; cat "$T/out"; }
n=$(find "$SPOOL/dead" -mindepth 1 | wc -l)
[ "$n" = 16 ] && t_ok "16 entries in dead/" || t_fail "$n entries in dead/, want 16: $(ls -A "$SPOOL/dead")"
left=$(find "$N" -mindepth 1 | wc -l)
[ "$left" = 0 ] && t_ok "new/ emptied" || t_fail "left in new/: $(ls -A "$N")"
[ -z "$(ls -A "$Q")" ] && t_ok "queue/ emptied, the orphan state swept" || t_fail "queue/: $(ls -A "$Q")"
# /etc/shadow untouched
[ -f /etc/shadow ] && [ ! -L /etc/shadow ] || t_fail "/etc/shadow was changed"
# Listing tools survive the damage too.
timeout 20 "$MAILSHIM" queue > "$T/q" 2>&1; rc=$?
[ "$rc" -lt 128 ] || t_fail "mailshim queue crashed: rc=$rc"
timeout 20 "$MAILSHIM" dead > "$T/d" 2>&1; rc=$?
[ "$rc" -lt 128 ] || t_fail "mailshim dead crashed: rc=$rc"
# A second run is quiet and still does not crash.
timeout 60 "$MAILSHIM" flush > "$T/out2" 2>&1; rc=$?
[ "$rc" -lt 128 ] || t_fail "second flush crashed: rc=$rc"
t_done
