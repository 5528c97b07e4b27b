#!/bin/sh
# ops_install_sh.sh - contrib/install.sh --dry-run lists every set-up step
# and changes nothing; --uninstall --dry-run reverses them; bad options
# fail; shellcheck finds nothing (when installed).
set -eu
: "${top_builddir:?}" "${top_srcdir:?}"

script=$top_builddir/contrib/install.sh
[ -f "$script" ] || { echo "FAIL: $script was not generated"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
fail=0
# Names that exist nowhere, so the user and group steps must show up.
u=mstest$$u
g=mstest$$g
conf=$tmp/etc/mailshim.conf
sbin=$tmp/sbin
mkdir -p "$sbin" && : > "$sbin/sendmail"

run_it() {	# output-file args...
	out=$1
	shift
	if ! $SHELL "$script" "$@" > "$out" 2>&1; then
		cat "$out"
		echo "FAIL: install.sh $* exited $?"
		fail=1
	fi
}
want() {	# file fixed-string what
	if grep -q -F -e "$2" "$1"; then
		echo "ok: $3"
	else
		echo "FAIL: no \"$2\" ($3) in:"
		sed 's/^/    /' "$1"
		fail=1
	fi
}

run_it "$tmp/install" --dry-run --sbindir "$sbin" --config "$conf" \
    --sample "$top_srcdir/conf/mailshim.conf" --user "$u" \
    --drop-group "$g" --spool "$tmp/spool" --no-systemd
want "$tmp/install" "dry run: nothing will be changed" "announces dry run"
want "$tmp/install" "add" "creates accounts"
if grep -q -E "(groupadd --system|addgroup --system) $g\$" "$tmp/install"; then
	echo "ok: creates the drop group"
else
	echo "FAIL: drop group $g not created"; fail=1
fi
if grep -q -E "(useradd|adduser) --system .*--home(-dir)? $tmp/spool .*$u\$" "$tmp/install"; then
	echo "ok: creates the system user with the spool as home"
else
	echo "FAIL: user $u not created"; fail=1
fi
want "$tmp/install" "install -m 0644 $top_srcdir/conf/mailshim.conf $conf" "installs the default config"
want "$tmp/install" "$sbin/mailshim -C $conf init" "runs mailshim init"
want "$tmp/install" "chown root:$g $sbin/sendmail" "front end group"
want "$tmp/install" "chmod 2755 $sbin/sendmail" "front end set-gid mode"
if command -v alternatives >/dev/null 2>&1 ||
    command -v update-alternatives >/dev/null 2>&1; then
	want "$tmp/install" "alternatives --install /usr/sbin/sendmail mta $sbin/sendmail 25 --slave /usr/bin/mailq mta-mailq $sbin/mailq --slave /usr/bin/newaliases mta-newaliases $sbin/newaliases" "registers the sendmail alternative"
fi
want "$tmp/install" "skipped (--no-systemd)" "systemd step skipped on request"
if [ -e "$conf" ] || [ -e "$tmp/spool" ]; then
	echo "FAIL: --dry-run changed something"; fail=1
else
	echo "ok: --dry-run changed nothing"
fi

# An existing config is never replaced.
mkdir -p "$tmp/etc" && echo '# mine' > "$conf"
run_it "$tmp/again" --dry-run --sbindir "$sbin" --config "$conf" \
    --user "$u" --drop-group "$g" --spool "$tmp/spool" --no-systemd
want "$tmp/again" "$conf exists, left as it is" "keeps an existing config"

run_it "$tmp/uninstall" --dry-run --uninstall --purge --sbindir "$sbin" \
    --config "$conf" --user "$u" --drop-group "$g" --spool "$tmp/spool" \
    --no-systemd
want "$tmp/uninstall" "chmod 0755 $sbin/sendmail" "uninstall: set-gid bit dropped"
want "$tmp/uninstall" "rm -rf $tmp/spool /var/lib/mailshim" "purge: spool removed"
if [ -e "$conf" ]; then
	echo "ok: uninstall --dry-run changed nothing"
else
	echo "FAIL: uninstall --dry-run removed the config"; fail=1
fi

# Mistakes are refused.
for bad in "--bogus" "--purge --dry-run" "--dry-run --sbindir relative" \
    "--dry-run --priority x"; do
	# shellcheck disable=SC2086
	if $SHELL "$script" $bad > "$tmp/bad" 2>&1; then
		echo "FAIL: install.sh $bad was accepted"; fail=1
	else
		echo "ok: install.sh $bad is refused"
	fi
done

if command -v shellcheck >/dev/null 2>&1; then
	if shellcheck -s sh "$script" "$top_srcdir/contrib/debian/build.sh" \
	    "$top_srcdir/contrib/debian/ci-package-test.sh" \
	    "$top_srcdir/contrib/debian/mailshim.postinst" \
	    "$top_srcdir/contrib/debian/mailshim.postrm"; then
		echo "ok: shellcheck"
	else
		echo "FAIL: shellcheck"; fail=1
	fi
else
	echo "note: shellcheck not installed, not run"
fi
exit $fail
