#!/bin/sh
# make install into a temporary prefix, then the whole path with the
# installed programs: sendmail -> spool -> mailshim flush -> Maildir,
# bytes compared; the installed front end links neither libcurl nor
# OpenSSL; mailq and newaliases are the front end's personalities.
. "$top_srcdir/tests/integration/lib.sh"
t_setup
make -C "$top_builddir" install DESTDIR="$T/inst" > "$T/install.log" 2>&1 || { cat "$T/install.log"; t_fail "make install"; t_done; }
prefix=$(find "$T/inst" -path '*/sbin/sendmail' | head -1 | sed 's|/sbin/sendmail$||')
[ -n "$prefix" ] || { t_fail "no sbin/sendmail installed"; t_done; }
for f in sbin/sendmail sbin/mailshim sbin/mailq sbin/newaliases share/man/man8/mailshim.8 share/man/man5/mailshim.conf.5 etc/mailshim/mailshim.conf lib/systemd/system/mailshim-flush.timer; do
	[ -e "$prefix/$f" ] || t_fail "not installed: $f"
done
[ "$(readlink "$prefix/sbin/mailq")" = sendmail ] || t_fail "mailq is not a link to sendmail"
if ldd "$prefix/sbin/sendmail" | grep -Eq 'libcurl|libssl|libcrypto|jansson'; then
	t_fail "installed sendmail links: $(ldd "$prefix/sbin/sendmail" | grep -E 'curl|ssl|crypto|jansson')"
else
	t_ok "installed sendmail links nothing heavy"
fi
# libcrypt is loaded only when a client authenticates on the SMTP door
# (door_auth.c): every plain enqueue would map and relocate it for nothing.
if ldd "$prefix/sbin/sendmail" | grep -q 'libcrypt'; then
	t_fail "installed sendmail links libcrypt: $(ldd "$prefix/sbin/sendmail" | grep libcrypt)"
else
	t_ok "installed sendmail loads libcrypt only for the door"
fi
# The shipped default config must load.
"$prefix/sbin/mailshim" -C "$prefix/etc/mailshim/mailshim.conf" check --config-only > "$T/check" 2>&1 || t_fail "shipped config: $(cat "$T/check")"

SENDMAIL="$prefix/sbin/sendmail" MAILSHIM="$prefix/sbin/mailshim" MAILSHIM_FLUSHER="$prefix/sbin/mailshim"
export MAILSHIM_FLUSHER
t_init
printf 'From: a@example.com\nTo: b@example.net\nSubject: installed\nDate: Mon, 23 Nov 2026 08:00:00 +0000\nMessage-ID: <i@example.com>\n\nbody\n' > "$T/m"
"$SENDMAIL" -t -i < "$T/m" || t_fail "installed sendmail exit $?"
"$prefix/sbin/mailq" | grep -q 'b@example.net' || t_fail "installed mailq does not list it"
"$MAILSHIM" flush 2>/dev/null || t_fail "installed mailshim flush exit $?"
f=$(find "$CAPTURE/new" -type f | head -1)
# byte for byte after the front end's 2-line Received: trace field
[ -n "$f" ] && t_capture_body "$f" | sed 1,2d | cmp -s - "$T/m" && t_ok "installed programs deliver byte for byte" || t_fail "delivered bytes differ"
t_done
