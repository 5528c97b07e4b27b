# conf/: the sample configuration, shipped as the default config.
#
# make install puts it in $(pkgdatadir) (install.sh copies it from there)
# and, when no configuration exists yet, at $(sysconfdir)/mailshim/ (never
# overwriting an operator's file).  make uninstall removes the latter only
# while it is still the unchanged sample.
dist_pkgdata_DATA = conf/mailshim.conf
mailshim_confdir = $(sysconfdir)/mailshim

install-data-local: install-conf-local
install-conf-local:
	$(MKDIR_P) '$(DESTDIR)$(mailshim_confdir)'
	@if test -f '$(DESTDIR)$(mailshim_confdir)/mailshim.conf'; then \
		echo "$(DESTDIR)$(mailshim_confdir)/mailshim.conf exists, not replaced"; \
	else \
		echo " $(INSTALL_DATA) conf/mailshim.conf '$(DESTDIR)$(mailshim_confdir)/mailshim.conf'"; \
		$(INSTALL_DATA) $(srcdir)/conf/mailshim.conf \
			'$(DESTDIR)$(mailshim_confdir)/mailshim.conf'; \
	fi

uninstall-local: uninstall-conf-local
uninstall-conf-local:
	@f='$(DESTDIR)$(mailshim_confdir)/mailshim.conf'; \
	if test -f "$$f" && cmp -s "$$f" $(srcdir)/conf/mailshim.conf; then \
		echo " rm -f $$f"; rm -f "$$f"; \
		rmdir '$(DESTDIR)$(mailshim_confdir)' 2>/dev/null || :; \
	fi

.PHONY: install-conf-local uninstall-conf-local
