# client/: libberth_client.la, the gateway client (gateway_client.h) and the
# image resolution shared by job_submit, SPANK, Lua and the helper
# (image_resolve.h); libcurl + munge.  Never linked by the gateway or by the
# node runtime.  Link it before common/libberth_common.la.
if HAVE_LIBCURL
noinst_LTLIBRARIES += client/libberth_client.la
client_libberth_client_la_SOURCES = \
	client/gateway_client.c client/gateway_client.h \
	client/gateway_json.c client/gateway_client_int.h \
	client/image_resolve.c client/image_resolve.h
client_libberth_client_la_CPPFLAGS = $(AM_CPPFLAGS) $(CLIENT_CPPFLAGS)
client_libberth_client_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden \
	$(LIBCURL_CFLAGS) $(MUNGE_CFLAGS) $(JSONC_CFLAGS)
client_libberth_client_la_LIBADD = $(LIBCURL_LIBS) $(MUNGE_LIBS) $(JSONC_LIBS) -lpthread
CLIENT_LIBS = client/libberth_client.la common/libberth_common.la
endif

if HAVE_CHECK
if HAVE_LIBCURL
check_PROGRAMS += testsuite/unit/test_gateway_client testsuite/unit/test_gateway_client_net
TESTS += testsuite/unit/test_gateway_client testsuite/unit/test_gateway_client_net
testsuite_unit_test_gateway_client_SOURCES = testsuite/unit/test_gateway_client.c testsuite/unit/unit.h
testsuite_unit_test_gateway_client_CFLAGS = $(AM_CFLAGS) $(CLIENT_CPPFLAGS) $(CHECK_CFLAGS) $(JSONC_CFLAGS)
testsuite_unit_test_gateway_client_LDADD = $(CLIENT_LIBS) $(CHECK_LIBS)
testsuite_unit_test_gateway_client_net_SOURCES = testsuite/unit/test_gateway_client_net.c \
	testsuite/unit/test_gateway_client_util.c testsuite/unit/test_gateway_client_util.h \
	testsuite/unit/unit.h
testsuite_unit_test_gateway_client_net_CFLAGS = $(AM_CFLAGS) $(CLIENT_CPPFLAGS) $(CHECK_CFLAGS) $(JSONC_CFLAGS) $(MUNGE_CFLAGS)
testsuite_unit_test_gateway_client_net_LDADD = $(CLIENT_LIBS) $(CHECK_LIBS) $(MUNGE_LIBS) -lpthread
# the berth helper's login store
check_PROGRAMS += testsuite/unit/test_gateway_client_auth
TESTS += testsuite/unit/test_gateway_client_auth
testsuite_unit_test_gateway_client_auth_SOURCES = testsuite/unit/test_gateway_client_auth.c \
	helper/auth_store.c helper/helper.h testsuite/unit/unit.h
testsuite_unit_test_gateway_client_auth_CFLAGS = $(AM_CFLAGS) $(CLIENT_CPPFLAGS) $(CHECK_CFLAGS) $(JSONC_CFLAGS) \
	-I$(top_srcdir)/helper
testsuite_unit_test_gateway_client_auth_LDADD = $(CLIENT_LIBS) $(CHECK_LIBS) $(JSONC_LIBS)
# berth check: slurm.conf and plugstack.conf as the admin wrote them
check_PROGRAMS += testsuite/unit/test_preflight_slurm
TESTS += testsuite/unit/test_preflight_slurm
testsuite_unit_test_preflight_slurm_SOURCES = testsuite/unit/test_preflight_slurm.c \
	helper/preflight_slurm.c helper/preflight_report.c helper/preflight.h testsuite/unit/unit.h
testsuite_unit_test_preflight_slurm_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) -I$(top_srcdir)/helper
testsuite_unit_test_preflight_slurm_LDADD = common/libberth_common.la $(CHECK_LIBS)
endif
endif

# Benchmark driver of testsuite/bench/gateway_lookup.sh (the script builds
# it on demand; make check builds it too, so it keeps compiling).
if HAVE_LIBCURL
check_PROGRAMS += testsuite/bench/gateway_lookup_bench
testsuite_bench_gateway_lookup_bench_SOURCES = testsuite/bench/gateway_lookup_bench.c
testsuite_bench_gateway_lookup_bench_CPPFLAGS = $(AM_CPPFLAGS) $(CLIENT_CPPFLAGS)
testsuite_bench_gateway_lookup_bench_LDADD = $(CLIENT_LIBS) -lpthread
endif
EXTRA_DIST += testsuite/bench/gateway_lookup.sh testsuite/bench/gateway_lookup_env.py \
	testsuite/gateway/test_client_live.py
