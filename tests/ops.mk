# tests/ops.mk - installing and operating: systemd units, RPM spec,
# install.sh, man pages and the sample configuration.
TESTS += \
	tests/integration/ops_units.sh \
	tests/integration/ops_rpmspec.sh \
	tests/integration/ops_install_sh.sh \
	tests/integration/ops_manpages.sh \
	tests/integration/ops_syslog.sh
EXTRA_DIST += \
	tests/integration/ops_units.sh \
	tests/integration/ops_rpmspec.sh \
	tests/integration/ops_install_sh.sh \
	tests/integration/ops_manpages.sh \
	tests/integration/ops_syslog.sh

# The units and install.sh are generated: build them before these tests.
tests/integration/ops_units.log tests/integration/ops_install_sh.log: \
	$(contrib_units) contrib/install.sh
