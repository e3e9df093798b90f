# debian/: the Debian packages (dpkg-buildpackage -us -uc -b; README.md,
# "Installing from packages").  In the release tarball, so that it builds
# them too; testsuite/harness/packages.sh builds them from that tarball.
EXTRA_DIST += debian/changelog debian/control debian/copyright debian/rules \
	debian/source/format debian/local.mk \
	debian/berth-slurm-plugins.install debian/berth-slurm-plugins.docs \
	debian/berth-slurm-plugins.examples \
	debian/berth-gatewayd.install debian/berth-gatewayd.docs \
	debian/berth-gatewayd.service debian/berth-gatewayd.postinst debian/berth-gatewayd.postrm \
	debian/berth.install debian/berth.docs

# The packages' versions are the release's: `make dist` refuses a tarball
# whose debian/changelog or rpm/berth.spec names another.
dist-hook: dist-check-versions
dist-check-versions:
	@v=$$(sed -n '1s/^berth (\([^)]*\)).*/\1/p' $(srcdir)/debian/changelog); \
	test "$${v%-*}" = '$(VERSION)' || { echo "debian/changelog is at version '$$v', configure.ac at $(VERSION)" >&2; exit 1; }
	@v=$$(sed -n 's/^Version: *//p' $(srcdir)/rpm/berth.spec); \
	test "$$v" = '$(VERSION)' || { echo "rpm/berth.spec is at version '$$v', configure.ac at $(VERSION)" >&2; exit 1; }
.PHONY: dist-check-versions
