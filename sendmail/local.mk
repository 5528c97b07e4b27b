# sendmail/: the front end. It links only libms, libspool and libconfuse;
# libcrypt (crypt_r for the SMTP door's AUTH PLAIN) is loaded with dlopen
# when a client authenticates (door_auth.c): never libcurl, libssl,
# libcrypto or jansson (ldd is checked in CI).
sbin_PROGRAMS += sendmail/sendmail
sendmail_sendmail_SOURCES = \
	sendmail/main.c \
	sendmail/options.c sendmail/options.h \
	sendmail/reader.c sendmail/reader.h \
	sendmail/headers.c sendmail/headers.h \
	sendmail/message.c sendmail/message.h \
	sendmail/qualify.c sendmail/qualify.h \
	sendmail/submit.c sendmail/submit.h \
	sendmail/smtpd.c sendmail/smtpd.h \
	sendmail/smtpd_args.c sendmail/smtpd_args.h \
	sendmail/door.c sendmail/door.h \
	sendmail/door_auth.c sendmail/door_auth.h
sendmail_sendmail_LDADD = spool/libspool.a lib/libms.a $(CONFUSE_LIBS)

# mailq and newaliases are personalities of the same program. When
# installing as root with the drop group present, make it set-gid
# (--disable-setgid-install leaves that to the packager).
install-exec-hook: install-sendmail-links
uninstall-hook: uninstall-sendmail-links

install-sendmail-links:
	cd "$(DESTDIR)$(sbindir)" && \
	rm -f mailq newaliases && \
	ln -s sendmail mailq && \
	ln -s sendmail newaliases
if SETGID_INSTALL
	@if test "`id -u`" = 0 && getent group $(MS_DROP_GROUP) >/dev/null; then \
	  echo "chgrp $(MS_DROP_GROUP) + chmod 2755 $(DESTDIR)$(sbindir)/sendmail"; \
	  chgrp $(MS_DROP_GROUP) "$(DESTDIR)$(sbindir)/sendmail" && \
	  chmod 2755 "$(DESTDIR)$(sbindir)/sendmail"; \
	else \
	  echo "note: $(sbindir)/sendmail not made set-gid $(MS_DROP_GROUP) (not root or no such group)"; \
	fi
endif

uninstall-sendmail-links:
	rm -f "$(DESTDIR)$(sbindir)/mailq" "$(DESTDIR)$(sbindir)/newaliases"

.PHONY: install-sendmail-links uninstall-sendmail-links
