# gateway/: berth-gatewayd and its building blocks.  Each part has its own
# fragment (owned together with its unit tests).
if BUILD_GATEWAY
noinst_LTLIBRARIES += gateway/libberth_gateway.la
gateway_libberth_gateway_la_SOURCES =
gateway_libberth_gateway_la_CFLAGS = $(AM_CFLAGS) $(LIBCURL_CFLAGS) $(LIBARCHIVE_CFLAGS) \
	$(LIBSQUASHFS_CFLAGS) $(SQLITE_CFLAGS) $(MHD_CFLAGS) $(LIBCRYPTO_CFLAGS) $(JSONC_CFLAGS) $(MUNGE_CFLAGS) \
	$(ISAL_CFLAGS)
gateway_libberth_gateway_la_LIBADD = common/libberth_common.la $(LIBCURL_LIBS) $(LIBARCHIVE_LIBS) \
	$(LIBSQUASHFS_LIBS) $(SQLITE_LIBS) $(MHD_LIBS) $(LIBCRYPTO_LIBS) $(JSONC_LIBS) $(MUNGE_LIBS) $(ISAL_LIBS) $(SLURM_LIBS) -lpthread
GATEWAY_UNIT_CFLAGS = $(gateway_libberth_gateway_la_CFLAGS) $(CHECK_CFLAGS) -I$(top_srcdir)/gateway
GATEWAY_UNIT_LIBS = gateway/libberth_gateway.la $(CHECK_LIBS)
gateway_libberth_gateway_la_SOURCES += gateway/gw_config.c gateway/gw_config.h
include gateway/flatten.mk
include gateway/registry.mk
include gateway/core.mk
include gateway/server.mk
endif
