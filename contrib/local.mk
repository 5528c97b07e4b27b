# contrib/: systemd units and the install script for a `make install` tree
# (contrib/debian and contrib/rpm are packaging, run by their own scripts).
#
# The units go to $(systemdunitdir), by default $(prefix)/lib/systemd/system
# (systemd reads /usr/lib/... and /usr/local/lib/...); override it on the
# command line: make install systemdunitdir=/lib/systemd/system
systemdunitdir = $(prefix)/lib/systemd/system

contrib_units = \
	contrib/systemd/mailshim-flush.service \
	contrib/systemd/mailshim-flush.timer \
	contrib/systemd/mailshim-flush.path \
	contrib/systemd/mailshim-watch.service \
	contrib/systemd/mailshim-smtp.socket \
	contrib/systemd/mailshim-smtp@.service \
	contrib/systemd/mailshim-pull.service \
	contrib/systemd/mailshim-pull-once.service \
	contrib/systemd/mailshim-pull.timer
systemdunit_DATA = $(contrib_units)
# Installed beside the sample config: after `make install`, run
# $(pkgdatadir)/install.sh as root to create users, spool and links.
nodist_pkgdata_SCRIPTS = contrib/install.sh

contrib_in = $(contrib_units:=.in) contrib/install.sh.in
EXTRA_DIST += $(contrib_in) \
	contrib/debian/build.sh contrib/debian/ci-package-test.sh \
	contrib/debian/changelog contrib/debian/control \
	contrib/debian/copyright contrib/debian/rules \
	contrib/debian/mailshim.postinst contrib/debian/mailshim.postrm \
	contrib/debian/mailshim.links \
	contrib/debian/source/format \
	contrib/rpm/mailshim.spec

# Paths and names decided at configure time, filled in at build time so
# that make's variables (sbindir = ${exec_prefix}/sbin) are expanded.
contrib_subst = sed \
	-e 's|@prefix[@]|$(prefix)|g' \
	-e 's|@sbindir[@]|$(sbindir)|g' \
	-e 's|@sysconfdir[@]|$(sysconfdir)|g' \
	-e 's|@mandir[@]|$(mandir)|g' \
	-e 's|@pkgdatadir[@]|$(pkgdatadir)|g' \
	-e 's|@systemdunitdir[@]|$(systemdunitdir)|g' \
	-e 's|@MS_USER[@]|$(MS_USER)|g' \
	-e 's|@MS_DROP_GROUP[@]|$(MS_DROP_GROUP)|g' \
	-e 's|@MS_SPOOL[@]|$(MS_SPOOL)|g' \
	-e 's|@MS_CONF[@]|$(MS_CONF)|g'

contrib/systemd/mailshim-flush.service: \
	$(srcdir)/contrib/systemd/mailshim-flush.service.in Makefile
contrib/systemd/mailshim-flush.timer: \
	$(srcdir)/contrib/systemd/mailshim-flush.timer.in Makefile
contrib/systemd/mailshim-flush.path: \
	$(srcdir)/contrib/systemd/mailshim-flush.path.in Makefile
contrib/systemd/mailshim-watch.service: \
	$(srcdir)/contrib/systemd/mailshim-watch.service.in Makefile
contrib/systemd/mailshim-smtp.socket: \
	$(srcdir)/contrib/systemd/mailshim-smtp.socket.in Makefile
contrib/systemd/mailshim-smtp@.service: \
	$(srcdir)/contrib/systemd/mailshim-smtp@.service.in Makefile
contrib/systemd/mailshim-pull.service: \
	$(srcdir)/contrib/systemd/mailshim-pull.service.in Makefile
contrib/systemd/mailshim-pull-once.service: \
	$(srcdir)/contrib/systemd/mailshim-pull-once.service.in Makefile
contrib/systemd/mailshim-pull.timer: \
	$(srcdir)/contrib/systemd/mailshim-pull.timer.in Makefile
contrib/install.sh: $(srcdir)/contrib/install.sh.in Makefile
$(contrib_units) contrib/install.sh:
	$(AM_V_GEN)$(MKDIR_P) $(@D) && rm -f $@ $@.tmp && \
	$(contrib_subst) $(srcdir)/$@.in > $@.tmp && \
	if grep -n '@[a-zA-Z_]*@' $@.tmp; then \
		echo "$@: unsubstituted variable" >&2; rm -f $@.tmp; exit 1; \
	fi && mv $@.tmp $@

clean-local: clean-contrib-local
clean-contrib-local:
	rm -f $(contrib_units) contrib/install.sh

.PHONY: clean-contrib-local
