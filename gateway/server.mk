# gateway/server.mk: berth-gatewayd (HTTP API, munge auth, main).
gateway_libberth_gateway_la_SOURCES += \
	gateway/gw_http.c gateway/gw_http.h gateway/gw_http_internal.h \
	gateway/gw_http_routes.c gateway/gw_http_json.c gateway/gw_metrics_http.c \
	gateway/gw_auth.c gateway/gw_auth.h

sbin_PROGRAMS += gateway/berth-gatewayd
gateway_berth_gatewayd_SOURCES = gateway/gw_main.c
gateway_berth_gatewayd_CFLAGS = $(gateway_libberth_gateway_la_CFLAGS)
gateway_berth_gatewayd_LDADD = gateway/libberth_gateway.la

# Unit tests: addresses, status codes, bodies, credentials' callers and a
# live server on a free port (no munged needed: requests without one).
if HAVE_CHECK
check_PROGRAMS += testsuite/unit/test_gw_http
TESTS += testsuite/unit/test_gw_http
testsuite_unit_test_gw_http_SOURCES = testsuite/unit/test_gw_http.c \
	testsuite/unit/test_gw_http_live.c testsuite/unit/test_gw_http.h testsuite/unit/unit.h
testsuite_unit_test_gw_http_CFLAGS = $(GATEWAY_UNIT_CFLAGS)
testsuite_unit_test_gw_http_LDADD = $(GATEWAY_UNIT_LIBS)
endif

# The metrics: the text renderer (format, escaping, histograms) and the
# metrics listener on a free port.
if HAVE_CHECK
check_PROGRAMS += testsuite/unit/test_gw_metrics
TESTS += testsuite/unit/test_gw_metrics
testsuite_unit_test_gw_metrics_SOURCES = testsuite/unit/test_gw_metrics.c testsuite/unit/unit.h
testsuite_unit_test_gw_metrics_CFLAGS = $(GATEWAY_UNIT_CFLAGS)
testsuite_unit_test_gw_metrics_LDADD = $(GATEWAY_UNIT_LIBS)
endif

EXTRA_DIST += testsuite/gateway/test_gatewayd_live.py testsuite/gateway/gatewayd.py \
	testsuite/gateway/test_gatewayd_flood.py testsuite/gateway/test_gatewayd_metrics.py
