#!/bin/sh
# compat_git.sh - git send-email with sendemail.smtpServer set to the
# front end (git runs "SERVER [-f SENDER] -i rcpt..."): one patch to a To,
# a Cc and a Bcc, once without and once with an envelope sender. Checked at
# the SMTP server: envelope, git's own headers kept (one Message-ID, its
# Date), Bcc only in the envelope, the patch bytes intact.
set -u
: "${top_srcdir:?}"
. "$top_srcdir/tests/integration/compat_lib.sh"
git send-email --help >/dev/null 2>&1 ||
    { echo "SKIP: git send-email is not installed (Debian: git-email)"; exit 77; }
perl -MMail::Address -e 1 2>/dev/null ||
    { echo "SKIP: git send-email needs Mail::Address (Debian: libmailtools-perl)"; exit 77; }
compat_setup git

HOME="$dir/home"
GIT_CONFIG_NOSYSTEM=1
export HOME GIT_CONFIG_NOSYSTEM
repo="$dir/repo"
git init -q "$repo" &&
    git -C "$repo" config user.name "Dev Eloper" &&
    git -C "$repo" config user.email dev@example.com &&
    printf 'hello\n.leading dot\n' >"$repo/hello.txt" &&
    git -C "$repo" add hello.txt &&
    git -C "$repo" commit -q -m "add hello" -m "The body of the commit." ||
    { echo "cannot make a git repository"; exit 99; }

send() {	# send [extra options]
	(cd "$repo" && timeout 60 git send-email --quiet \
	    --smtp-server="$wrapper" --confirm=never --suppress-cc=all \
	    --to=list@example.org --cc=reviewer@example.org \
	    --bcc=archive@example.org "$@" -1) >"$dir/git.out" 2>&1 ||
	    fail "git send-email $*: exit $? ($(head -c 400 "$dir/git.out"))"
}
send
send --envelope-sender=bounces@example.com --subject-prefix="PATCH v2"

compat_flush
compat_wait 2 || fail "only $(compat_count) of 2 messages arrived"
compat_collect
found=0
for e in "$dir"/srv/*.eml; do
	test -e "$e" || continue
	m=${e%.eml}
	found=$((found + 1))
	subj=$(compat_header "$m" Subject)
	case $subj in
	"[PATCH] add hello") want_from="$(id -un)@example.com" ;;
	"[PATCH v2] add hello") want_from=bounces@example.com ;;
	*) fail "unexpected subject [$subj]"; continue ;;
	esac
	expect_eq "$subj: sender" "$(cat "$m.from")" "$want_from"
	expect_eq "$subj: rcpts" "$(compat_rcpts "$m")" \
	    "archive@example.org,list@example.org,reviewer@example.org"
	expect_header "$m" From '^Dev Eloper <dev@example\.com>$' "$subj: From"
	expect_header "$m" To '^list@example\.org$' "$subj: To"
	expect_header "$m" Cc '^reviewer@example\.org$' "$subj: Cc"
	expect_header "$m" X-Mailer '^git-send-email' "$subj: X-Mailer"
	n=$(compat_header "$m" Message-ID | wc -l)
	expect_eq "$subj: Message-ID count" "$n" 1
	expect_header "$m" Message-ID '-1-dev@example\.com>$' \
	    "$subj: git's Message-ID kept"
	compat_header "$m" Bcc | grep -q . && fail "$subj: Bcc header sent"
	grep -q archive "$m.eml" && fail "$subj: Bcc address in the message"
	compat_body "$m" >"$dir/body"
	grep -qxF 'The body of the commit.' "$dir/body" ||
	    fail "$subj: commit message missing"
	grep -qxF '+.leading dot' "$dir/body" ||
	    fail "$subj: patch line with a leading dot damaged"
	grep -qxF '+hello' "$dir/body" || fail "$subj: patch missing"
done
expect_eq "messages checked" "$found" 2
compat_finish
