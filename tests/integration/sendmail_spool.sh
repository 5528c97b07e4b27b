#!/bin/sh
# sendmail_spool.sh - the sendmail front end against a private spool:
# what lands in new/ (envelope and bytes), exit codes 0/64/65/75, no
# stray tmp/ files after failures, flat memory for a 50 MB message, the
# flusher hand-off for -bp/-q/-bi/mailq, and what the binary links.
set -u

: "${top_builddir:?}"
SM="$top_builddir/sendmail/sendmail"
test -x "$SM" || { echo "no $SM"; exit 99; }

dir=$(mktemp -d "${TMPDIR:-/tmp}/sm-spool.XXXXXX") || exit 99
trap 'chmod -R u+rwx "$dir" 2>/dev/null; rm -rf "$dir"' EXIT INT TERM
chmod 755 "$dir"
failures=0

fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

make_spool() {	# make_spool DIR CONF
	if test -x "$top_builddir/admin/mailshim" &&
	    "$top_builddir/admin/mailshim" -C "$2" init >/dev/null 2>&1 &&
	    test -d "$1/new"; then
		return 0
	fi
	mkdir -p "$1/tmp" "$1/new" "$1/queue" "$1/dead" "$1/run"
}

write_conf() {	# write_conf FILE SPOOL [extra line]
	cat >"$1" <<EOF
spool = "$2"
hostname = "web-1.example.com"
domain = "example.com"
${3:-}
relay "capture" {
  type = "maildir"
  path = "$dir/capture"
}
route "default" { relays = {"capture"} }
EOF
	chmod 644 "$1"
}

spool="$dir/spool"
conf="$dir/mailshim.conf"
write_conf "$conf" "$spool" "max_message_size = 100000"
make_spool "$spool" "$conf"
MAILSHIM_CONFIG="$conf"
export MAILSHIM_CONFIG
unset MAILSHIM_LOG_STDERR NAME

login=$(id -un)
count_new() { ls "$spool/new" | wc -l; }
count_tmp() { ls "$spool/tmp" | wc -l; }
newest() { ls -t "$spool/new" | head -n 1; }

# run_sm WANT_RC NAME INPUT ARGS... : runs sendmail, checks the exit code
run_sm() {
	want=$1 name=$2 input=$3
	shift 3
	printf '%b' "$input" | "$SM" "$@" >"$dir/out" 2>"$dir/err"
	rc=$?
	if test "$rc" != "$want"; then
		fail "$name: exit $rc, want $want ($(head -c 300 "$dir/err"))"
		return 1
	fi
	return 0
}

# has LINE FILE: the file has exactly that line
has() { grep -qxF -- "$1" "$2" || fail "$3: no line '$1' in $(basename "$2")"; }

# --- 1. cron: unqualified root, From present, no Date/Message-ID -------
# (bare header addresses take the domain; the envelope keeps "root")
before=$(count_new)
if run_sm 0 cron 'From: root (Cron Daemon)\nTo: root\nSubject: Cron <root@h> ls\n\njob output\n' \
    -FCronDaemon -i -B8BITMIME -oem root; then
	test "$(count_new)" = $((before + 1)) || fail "cron: no file in new/"
	f="$spool/new/$(newest)"
	id=$(basename "$f")
	test "$(head -n 1 "$f")" = "MAILSHIM-2" || fail "cron: magic"
	has "id $id" "$f" cron
	has "from $login@example.com" "$f" cron
	has "rcpt root" "$f" cron
	has "opt B=8BITMIME" "$f" cron
	has "user $login" "$f" cron
	has "uid $(id -u)" "$f" cron
	# the message after the envelope's blank line
	sed '1,/^$/d' "$f" >"$dir/msg"
	# first, the trace field naming host, uid and user (RFC 5322 3.6.7:
	# tokens, ';', date-time; Postfix's "from userid N")
	head -n 2 "$dir/msg" >"$dir/rcv"
	printf 'Received: by web-1.example.com (mailshim, from userid %s, user %s)\n' \
	    "$(id -u)" "$login" >"$dir/want"
	head -n 1 "$dir/rcv" | cmp -s - "$dir/want" ||
	    fail "cron: Received line 1: $(head -n 1 "$dir/rcv")"
	sed -n 2p "$dir/rcv" | grep -qE "^	id $id; (Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} [-+][0-9]{4}\$" ||
	    fail "cron: Received line 2: $(sed -n 2p "$dir/rcv")"
	test "$(grep -c '^Received:' "$dir/msg")" = 1 || fail "cron: Received count"
	sed -n '3,5p' "$dir/msg" >"$dir/got"
	printf 'From: root@example.com (Cron Daemon)\nTo: root@example.com\nSubject: Cron <root@h> ls\n' >"$dir/want"
	cmp -s "$dir/got" "$dir/want" || fail "cron: header changed"
	grep -qE '^Date: (Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} [-+][0-9]{4}$' \
	    "$dir/msg" || fail "cron: no valid Date"
	has "Message-ID: <$id@web-1.example.com>" "$dir/msg" cron
	test "$(grep -c '^From:' "$dir/msg")" = 1 || fail "cron: From added twice"
	test "$(tail -n 2 "$dir/msg")" = "$(printf '\njob output')" ||
	    fail "cron: body"
	test -s "$dir/err" && fail "cron: stderr not empty: $(cat "$dir/err")"
fi

# --- 2. PHP: -t -i, CRLF headers, Bcc, union with argv, From_ line -----
before=$(count_new)
if run_sm 0 php 'From sender Mon Nov 23 08:00:00 2026\nTo: "Doe, J" <j@x.org>, k@x.org\r\nCc: c@x.org\r\nBcc: hidden@x.org,\r\n  hidden2@x.org\r\nSubject: gr\0303\0274\0303\0237e\r\n\nbody \0303\0244\n.\nafter dot\r\n' \
    -t -i -fbounce@x.org k@x.org extra@x.org; then
	f="$spool/new/$(newest)"
	test "$(count_new)" = $((before + 1)) || fail "php: no file"
	has "from bounce@x.org" "$f" php
	for r in k@x.org extra@x.org j@x.org c@x.org hidden@x.org hidden2@x.org; do
		has "rcpt $r" "$f" php
	done
	test "$(grep -c '^rcpt ' "$f")" = 6 || fail "php: duplicates not removed"
	sed '1,/^$/d' "$f" >"$dir/msg"
	grep -qi '^bcc:' "$dir/msg" && fail "php: Bcc header stored"
	grep -q "$(printf '\r')" "$dir/msg" && fail "php: CR stored"
	grep -q '^From sender' "$dir/msg" && fail "php: From_ line kept"
	has "$(printf 'Subject: gr\303\274\303\237e')" "$dir/msg" php
	grep -q '^From: .*bounce@x.org' "$dir/msg" || fail "php: From: not from -f"
	has "." "$dir/msg" php
	has "after dot" "$dir/msg" php
	# Bcc only in the envelope
	sed -n '/^$/,$p' "$f" | grep -q hidden && fail "php: Bcc address in message"
fi

# --- 3. dots without -i, null sender, -F and NAME -------------------------
if run_sm 0 dot 'Subject: d\n\nline\n.\nnot stored\n' -f '<>' -F 'Ann Example' a@x.org; then
	f="$spool/new/$(newest)"
	has "from " "$f" dot
	sed '1,/^$/d' "$f" >"$dir/msg"
	has "From: Ann Example <$login@example.com>" "$dir/msg" dot
	grep -q "not stored" "$dir/msg" && fail "dot: read past the dot"
fi
NAME="Env Name" run_sm 0 name 'Subject: n\n\nx\n' -i b@x.org &&
	has "From: Env Name <$login@example.com>" "$spool/new/$(newest)" name
run_sm 0 "comma rcpts" 'Subject: r\n\nx\n' -i 'A <a@x.org>, b@x.org' root &&
	for r in a@x.org b@x.org root; do
		has "rcpt $r" "$spool/new/$(newest)" "comma rcpts"
	done

# --- 4. usage errors: 64, nothing queued -----------------------------------
before=$(count_new)
run_sm 64 "no rcpt" 'Subject: x\n\nbody\n' -i &&
	grep -q "Recipient addresses must be specified" "$dir/err" ||
	fail "no rcpt: message"
run_sm 64 "-t none" 'Subject: x\n\nbody\n' -t -i &&
	grep -q "No recipient addresses found in message header" "$dir/err" ||
	fail "-t none: message"
run_sm 64 "bad -B" 'x\n' -B BINARYMIME a@x.org
run_sm 64 "bad -b" 'x\n' -bz
run_sm 64 "rcpt with -bp" '' -bp a@x.org
run_sm 64 "-t -bs" '' -t -bs
run_sm 64 "missing value" '' -i -f
run_sm 64 "LF in -f" 'x\n' -f "$(printf 'a@x.org\nRCPT TO:<v@x.org>')" a@x.org
run_sm 64 "LF in rcpt" 'x\n' -i "$(printf 'a@x.org\nBcc: v@x.org')"
run_sm 0 "historic option warns" 'Subject: h\n\nx\n' -i -U -h 17 a@x.org &&
	{ test "$(wc -l <"$dir/err")" = 2 || fail "historic: want 2 warning lines"; }
before=$((before + 1))
test "$(count_new)" = "$before" || fail "usage errors queued something"

# --- 5. data errors: 65, nothing left anywhere ----------------------------
before=$(count_new)
run_sm 65 "bad rcpt" 'x\n' -i 'a b c' && grep -q "a b c" "$dir/err" ||
	fail "bad rcpt: address not named"
run_sm 65 "bad sender" 'x\n' -i -f 'x y' a@x.org
run_sm 65 "-t bad header" 'To: John Smith\n\nx\n' -t -i
run_sm 65 "NUL in header" 'To: a@x.org\nX: a\0b\n\nx\n' -t -i
head -c 150000 /dev/zero | tr '\0' 'a' | fold -w 70 >"$dir/big"
(printf 'Subject: big\n\n'; cat "$dir/big") | "$SM" -i a@x.org 2>"$dir/err"
rc=$?
test "$rc" = 65 || fail "oversize: exit $rc"
grep -q "message exceeds 100000 bytes" "$dir/err" || fail "oversize: message"
test "$(count_new)" = "$before" || fail "data errors queued something"
test "$(count_tmp)" = 0 || fail "data errors left files in tmp/"

# --- 6. config errors: 78 --------------------------------------------------
run_sm 78 "missing -C" 'x\n' -C "$dir/nonexistent.conf" -i a@x.org
printf 'spool = \n{{{\n' >"$dir/bad.conf"
run_sm 78 "bad config" 'x\n' -C "$dir/bad.conf" -i a@x.org

# --- 7. spool trouble: 75, one line, no file -------------------------------
write_conf "$dir/missing.conf" "$dir/no/such/spool"
MAILSHIM_CONFIG="$dir/missing.conf" run_sm 75 "missing spool" 'Subject: x\n\nx\n' -i a@x.org &&
	{ test "$(wc -l <"$dir/err")" = 1 || fail "missing spool: want one stderr line"; } &&
	{ grep -q '^sendmail: ' "$dir/err" || fail "missing spool: no prefix"; }
mkdir -p "$dir/filespool/new" "$dir/filespool/queue"
: >"$dir/filespool/tmp"
write_conf "$dir/file.conf" "$dir/filespool"
MAILSHIM_CONFIG="$dir/file.conf" run_sm 75 "tmp is a file" 'Subject: x\n\nx\n' -i a@x.org
test "$(ls "$dir/filespool/new" | wc -l)" = 0 || fail "tmp is a file: queued"

ro="$dir/rospool"
write_conf "$dir/ro.conf" "$ro"
make_spool "$ro" "$dir/ro.conf"
chmod -R a+rwx "$ro"
chmod 0500 "$ro/tmp"
if test "$(id -u)" != 0; then
	MAILSHIM_CONFIG="$dir/ro.conf" run_sm 75 "read-only tmp" 'Subject: x\n\nx\n' -i a@x.org
elif command -v setpriv >/dev/null && getent passwd nobody >/dev/null; then
	printf 'Subject: x\n\nx\n' | MAILSHIM_CONFIG="$dir/ro.conf" \
	    setpriv --reuid=65534 --regid=65534 --clear-groups "$SM" -i a@x.org \
	    >/dev/null 2>"$dir/err"
	rc=$?
	test "$rc" = 75 || fail "read-only tmp as nobody: exit $rc ($(cat "$dir/err"))"
	# and as nobody with a writable spool it works (getpwuid of nobody)
	chmod 0777 "$ro/tmp"
	printf 'Subject: x\n\nx\n' | MAILSHIM_CONFIG="$dir/ro.conf" \
	    setpriv --reuid=65534 --regid=65534 --clear-groups "$SM" -i a@x.org \
	    >/dev/null 2>"$dir/err"
	rc=$?
	test "$rc" = 0 || fail "as nobody: exit $rc ($(cat "$dir/err"))"
	grep -qx 'user nobody' "$ro/new/"* 2>/dev/null || fail "as nobody: user line"
else
	echo "note: read-only spool case skipped (root without setpriv)"
fi
test "$(ls "$ro/tmp" | wc -l)" = 0 || fail "read-only tmp: stray file"

# --- 8. 50 MB: memory stays flat -------------------------------------------
write_conf "$dir/big.conf" "$spool" "max_message_size = 0"  # above the 40 MB default
gen_big() {
	"$PYTHON3" -c '
import sys
line = b"x" * 76 + b"\r\n"
out = sys.stdout.buffer
out.write(b"Subject: big\r\n\r\n")
for _ in range(50):
    out.write(line * 13797)	# about 1 MiB
'
}
if ! test -x /usr/bin/time; then
	echo "note: RSS check skipped (no /usr/bin/time)"
elif ldd "$SM" 2>/dev/null | grep -q 'libasan'; then
	echo "note: RSS check skipped under ASan"
else
	gen_big | MAILSHIM_CONFIG="$dir/big.conf" /usr/bin/time -f '%M' \
	    -o "$dir/rss" "$SM" -i big@x.org 2>"$dir/err"
	rc=$?
	rss=$(tail -n 1 "$dir/rss")
	echo "50 MB message: exit $rc, peak RSS $rss KiB"
	test "$rc" = 0 || fail "50 MB message: exit $rc"
	test "$rss" -lt 8192 || fail "50 MB message: peak RSS $rss KiB"
	f="$spool/new/$(newest)"
	sz=$(sed '1,/^$/d' "$f" | wc -c)
	test "$sz" -gt 52000000 || fail "50 MB message stored only $sz bytes"
	rm -f "$f"
fi

# --- 9. the flusher hand-off -----------------------------------------------
fake="$dir/fake-mailshim"
printf '#!/bin/sh\necho "$@" >"%s"\nexit 0\n' "$dir/args" >"$fake"
chmod 755 "$fake"
MAILSHIM_FLUSHER=$fake
export MAILSHIM_FLUSHER
check_exec() {	# check_exec WANT_ARGS ARGS...
	want=$1
	shift
	rm -f "$dir/args"
	"$@" </dev/null >/dev/null 2>"$dir/err"
	rc=$?
	test "$rc" = 0 || fail "$*: exit $rc ($(cat "$dir/err"))"
	got=$(cat "$dir/args" 2>/dev/null)
	test "$got" = "$want" || fail "$*: flusher got '$got', want '$want'"
}
check_exec "-C $conf queue" "$SM" -bp
check_exec "-C $conf flush" "$SM" -q
check_exec "-C $conf retry 0ABC" "$SM" -qI0ABC
check_exec "-C $conf retry" "$SM" -qRexample.com
check_exec "-C $conf newaliases" "$SM" -bi
check_exec "-C /x/y.conf queue" "$SM" -C /x/y.conf -bp
ln -s "$SM" "$dir/mailq"
ln -s "$SM" "$dir/newaliases"
check_exec "-C $conf queue" "$dir/mailq"
check_exec "-C $conf newaliases" "$dir/newaliases"
rm -f "$dir/args"
"$SM" -q15m </dev/null
rc=$?
test "$rc" = 0 || fail "-q15m: exit $rc"
test -e "$dir/args" && fail "-q15m ran the flusher"
MAILSHIM_FLUSHER="$dir/none" "$SM" -q </dev/null 2>"$dir/err"
rc=$?
test "$rc" = 71 || fail "missing flusher: exit $rc"
unset MAILSHIM_FLUSHER

# --- 10a. set-gid: a caller-named config is read without the group ------
# (root only: installs a set-gid copy and runs it as nobody with another
# real group; the spool file's group shows which group wrote it)
if test "$(id -u)" = 0 && command -v setpriv >/dev/null &&
    ! findmnt -n -o OPTIONS -T "$dir" 2>/dev/null | grep -q nosuid; then
	sg="$dir/sg"
	mkdir -p "$sg/spool/tmp" "$sg/spool/new"
	chmod -R 777 "$sg"
	cp "$SM" "$sg/sendmail"
	chgrp 65534 "$sg/sendmail"
	chmod 2755 "$sg/sendmail"
	write_conf "$sg/conf" "$sg/spool"
	printf 'Subject: g\n\nx\n' | MAILSHIM_CONFIG="$sg/conf" \
	    setpriv --reuid=65534 --regid=1 --clear-groups "$sg/sendmail" \
	    -i a@x.org 2>"$dir/err"
	rc=$?
	test "$rc" = 0 || fail "set-gid: exit $rc ($(cat "$dir/err"))"
	g=$(stat -c %g "$sg/spool/new/"* 2>/dev/null)
	test "$g" = 1 || fail "set-gid: file written with group '$g', want 1"
	printf '#!/bin/sh\nid -g >"%s"\n' "$sg/gid" >"$sg/fake"
	chmod 755 "$sg/fake"
	MAILSHIM_FLUSHER="$sg/fake" setpriv --reuid=65534 --regid=1 \
	    --clear-groups "$sg/sendmail" -bp </dev/null
	test "$(cat "$sg/gid" 2>/dev/null)" = 1 ||
	    fail "set-gid: flusher ran with group $(cat "$sg/gid" 2>/dev/null)"
else
	echo "note: set-gid checks skipped (not root, no setpriv or nosuid)"
fi

# --- 10. small front end: links nothing heavy ------------------------------
if ldd "$SM" >"$dir/ldd" 2>&1; then
	grep -E 'libcurl|libssl|libcrypto|libjansson' "$dir/ldd" &&
	    fail "sendmail links a heavy library"
fi

test "$(count_tmp)" = 0 || fail "files left in tmp/"
if test "$failures" != 0; then
	echo "$failures failure(s)"
	exit 1
fi
echo "all sendmail spool checks passed"
exit 0
