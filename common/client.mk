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

if HAVE_CHECK
if HAVE_LIBCURL
check_PROGRAMS += testsuite/unit/test_gateway_client testsuite/unit/test_gateway_client_net
TESTS += testsuite/unit/test_gateway_client testsuite/unit/test_gateway_client_net
testsuite_unit_test_gateway_client_SOURCES = testsuite/unit/test_gateway_client.c testsuite/unit/unit.h
testsuite_unit_test_gateway_client_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(JSONC_CFLAGS)
testsuite_unit_test_gateway_client_LDADD = $(CLIENT_LIBS) $(CHECK_LIBS)
testsuite_unit_test_gateway_client_net_SOURCES = testsuite/unit/test_gateway_client_net.c \
	testsuite/unit/test_gateway_client_util.c testsuite/unit/test_gateway_client_util.h \
	testsuite/unit/unit.h
testsuite_unit_test_gateway_client_net_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(JSONC_CFLAGS) $(MUNGE_CFLAGS)
testsuite_unit_test_gateway_client_net_LDADD = $(CLIENT_LIBS) $(CHECK_LIBS) $(MUNGE_LIBS) -lpthread
endif
endif

# Benchmark driver of testsuite/bench/gateway_lookup.sh (the script builds
# it on demand; make check builds it too, so it keeps compiling).
if HAVE_LIBCURL
check_PROGRAMS += testsuite/bench/gateway_lookup_bench
testsuite_bench_gateway_lookup_bench_SOURCES = testsuite/bench/gateway_lookup_bench.c
testsuite_bench_gateway_lookup_bench_LDADD = $(CLIENT_LIBS) -lpthread
endif
EXTRA_DIST += testsuite/bench/gateway_lookup.sh testsuite/bench/gateway_lookup_env.py \
	testsuite/gateway/test_client_live.py
