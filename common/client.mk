# common/client.mk: libberth_client.la, the gateway client (gateway_client.h)
# and the image resolution shared by job_submit, SPANK, Lua and the helper
# (image_resolve.h).  Link it before common/libberth_common.la.
if HAVE_LIBCURL
noinst_LTLIBRARIES += common/libberth_client.la
common_libberth_client_la_SOURCES = \
	common/gateway_client.c common/gateway_client.h \
	common/gateway_json.c common/gateway_client_int.h \
	common/image_resolve.c common/image_resolve.h
common_libberth_client_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden \
	$(LIBCURL_CFLAGS) $(MUNGE_CFLAGS) $(JSONC_CFLAGS)
common_libberth_client_la_LIBADD = $(LIBCURL_LIBS) $(MUNGE_LIBS) $(JSONC_LIBS) -lpthread
CLIENT_LIBS = common/libberth_client.la common/libberth_common.la
endif
