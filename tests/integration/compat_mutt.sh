#!/bin/sh
# compat_mutt.sh - mutt in batch mode with $sendmail set to the front end
# (mutt runs "sendmail -oem -oi -- rcpt..." with the whole message, no -t):
# To, Cc and Bcc recipients, a binary attachment, a From: at the local
# host name that the flusher masquerades. Checked at the SMTP server.
set -u
: "${top_srcdir:?}"
. "$top_srcdir/tests/integration/compat_lib.sh"
command -v mutt >/dev/null 2>&1 ||
    { echo "SKIP: mutt is not installed (Debian: mutt)"; exit 77; }
compat_setup mutt

# A binary attachment with every byte value.
"$PYTHON3" -c 'import sys; sys.stdout.buffer.write(bytes(range(256)) * 3)' \
    >"$dir/blob.bin"
printf 'Hello from mutt.\nSecond line.\n' >"$dir/body.txt"

HOME="$dir/home" timeout 60 mutt -n -F /dev/null \
    -e "set sendmail=\"$wrapper\"" \
    -e 'set hostname="web-1.example.com"' \
    -e 'set from="Mutt User <muttuser@web-1.example.com>"' \
    -e 'set record=""' -e 'set use_envelope_from=no' \
    -s "mutt attachment" -c cc@example.org -b hidden@example.org \
    -a "$dir/blob.bin" -- to@example.org <"$dir/body.txt" \
    >"$dir/mutt.out" 2>&1 ||
    fail "mutt: exit $? ($(head -c 300 "$dir/mutt.out"))"

compat_flush
compat_wait 1 || fail "the mutt message did not arrive"
if m=$(compat_msg to@example.org); then
	expect_eq "rcpts" "$(compat_rcpts "$m")" \
	    "cc@example.org,hidden@example.org,to@example.org"
	expect_eq "sender" "$(cat "$m.from")" "$(id -un)@example.com"
	expect_header "$m" From '^Mutt User <muttuser@example\.com>$' \
	    "From masqueraded"
	expect_header "$m" To '^to@example\.org$' To
	expect_header "$m" Cc '^cc@example\.org$' Cc
	expect_header "$m" Subject '^mutt attachment$' Subject
	expect_header "$m" Message-ID '^<.+@.+>$' Message-ID
	expect_header "$m" Date '^[A-Z][a-z]{2}, ' Date
	compat_header "$m" Bcc | grep -q . && fail "Bcc header left the host"
	"$PYTHON3" - "$m.eml" "$dir/blob.bin" >"$dir/parts.out" 2>&1 <<'PYEOF' ||
import email, email.policy, sys
msg = email.message_from_binary_file(open(sys.argv[1], "rb"),
                                     policy=email.policy.default)
want = open(sys.argv[2], "rb").read()
assert msg.is_multipart(), "not multipart"
parts = list(msg.iter_parts())
assert len(parts) == 2, "%d parts" % len(parts)
text = parts[0].get_content()
assert text.replace("\r\n", "\n").startswith("Hello from mutt.\nSecond line.\n"), repr(text)
got = parts[1].get_payload(decode=True)
assert parts[1].get_filename() == "blob.bin", parts[1].get_filename()
assert got == want, "attachment differs: %d bytes vs %d" % (len(got), len(want))
PYEOF
	    fail "mime parts: $(cat "$dir/parts.out")"
else
	fail "the mutt message did not arrive at to@example.org"
fi
compat_finish
