# rpm/: the RPM packages (rpmbuild -tb berth-VERSION.tar.gz: rpmbuild finds
# the spec in the tarball).
EXTRA_DIST += rpm/berth.spec rpm/local.mk
