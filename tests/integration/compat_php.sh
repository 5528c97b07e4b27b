#!/bin/sh
# compat_php.sh - PHP's mail() through sendmail_path = "sendmail -t -i":
# several To/Cc/Bcc recipients, an RFC 2047 UTF-8 subject and a UTF-8
# body with PHP's CRLF header lines and LF body lines; a second call with
# additional_params "-fbounce@example.com", no From: and a raw UTF-8
# subject. Checked at the SMTP server after `mailshim flush`.
set -u
: "${top_srcdir:?}"
. "$top_srcdir/tests/integration/compat_lib.sh"
command -v php >/dev/null 2>&1 ||
    { echo "SKIP: php is not installed (Debian: php-cli)"; exit 77; }
compat_setup php

cat >"$dir/send.php" <<'EOF2'
<?php
$subject = "=?UTF-8?B?" . base64_encode("Grüße aus PHP ✓") . "?=";
$body = "Hallo Jürgen,\n.\nline after a lone dot\n..two dots\nEnde\n";
$headers = array(
    "From" => "Web App <app@example.com>",
    "Cc" => "c1@example.org, \"Doe, Jane\" <c2@example.org>",
    "Bcc" => "hidden1@example.org, hidden2@example.org",
    "X-Mailer" => "PHP/" . PHP_VERSION,
    "MIME-Version" => "1.0",
    "Content-Type" => "text/plain; charset=UTF-8",
    "Content-Transfer-Encoding" => "8bit",
);
$ok1 = mail("a@example.org, Bee <b@example.org>", $subject, $body,
    $headers);
$ok2 = mail("third@example.org", "Rohe Überschrift", "zweiter Körper\n",
    "X-Second: yes", "-fbounce@example.com");
echo ($ok1 ? "ok1" : "fail1"), " ", ($ok2 ? "ok2" : "fail2"), "\n";
EOF2
php -n -d "sendmail_path=$SM -t -i" "$dir/send.php" >"$dir/php.out" 2>&1
expect_eq "php mail() results" "$(cat "$dir/php.out")" "ok1 ok2"

compat_flush
compat_wait 2 || fail "only $(compat_count) of 2 messages arrived"

# decoded SUBJECT of BASE (RFC 2047 decoded, UTF-8)
subject() {
	"$PYTHON3" - "$1.eml" <<'PYEOF'
import email, email.header, email.policy, sys
msg = email.message_from_binary_file(open(sys.argv[1], "rb"),
                                     policy=email.policy.default)
sys.stdout.write(str(msg["Subject"]))
PYEOF
}

if m=$(compat_msg a@example.org); then
	expect_eq "1 sender" "$(cat "$m.from")" "$(id -un)@example.com"
	expect_eq "1 rcpts" "$(compat_rcpts "$m")" \
	    "a@example.org,b@example.org,c1@example.org,c2@example.org,hidden1@example.org,hidden2@example.org"
	expect_header "$m" To '^a@example\.org, Bee <b@example\.org>$' "1 To"
	expect_header "$m" Cc '^c1@example\.org, "Doe, Jane" <c2@example\.org>$' "1 Cc"
	expect_header "$m" From '^Web App <app@example\.com>$' "1 From kept"
	expect_header "$m" X-Mailer '^PHP/' "1 X-Mailer kept"
	expect_header "$m" Date '^[A-Z][a-z]{2}, [0-9]{1,2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} [-+][0-9]{4}$' "1 Date added"
	expect_header "$m" Message-ID '^<[^@ ]+@web-1\.example\.com>$' "1 Message-ID added"
	compat_header "$m" Bcc | grep -q . && fail "1: Bcc header left the host"
	grep -q hidden "$m.eml" && fail "1: a Bcc address is in the message"
	expect_eq "1 subject" "$(subject "$m")" "Grüße aus PHP ✓"
	# PHP writes the body followed by one more newline of its own.
	printf 'Hallo J\303\274rgen,\n.\nline after a lone dot\n..two dots\nEnde\n\n' >"$dir/want"
	compat_body "$m" >"$dir/got"
	cmp -s "$dir/want" "$dir/got" ||
	    fail "1 body: $(od -c "$dir/got" | head -8)"
	bare=$(LC_ALL=C grep -c -v "$(printf '\r')\$" "$m.eml")
	expect_eq "1: lines without CR on the wire" "$bare" 0
else
	fail "first mail() not delivered"
fi
if m=$(compat_msg third@example.org); then
	expect_eq "2 sender (-f)" "$(cat "$m.from")" bounce@example.com
	expect_eq "2 rcpts" "$(compat_rcpts "$m")" third@example.org
	expect_header "$m" From 'bounce@example\.com' "2 From from -f"
	expect_header "$m" X-Second '^yes$' "2 extra header"
	expect_eq "2 subject" "$(subject "$m")" "Rohe Überschrift"
	expect_eq "2 body" "$(compat_body "$m")" "zweiter Körper"
else
	fail "second mail() not delivered"
fi
compat_finish
