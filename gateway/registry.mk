# gateway/registry: OCI distribution client (libcurl, json-c, libcrypto).
gateway_libberth_gateway_la_SOURCES += \
	gateway/registry.c gateway/registry.h gateway/registry_internal.h \
	gateway/registry_http.c gateway/registry_auth.c \
	gateway/registry_manifest.c gateway/registry_digest.c gateway/registry_policy.c

# Unit tests (no server needed).
if HAVE_CHECK
check_PROGRAMS += testsuite/unit/test_registry
TESTS += testsuite/unit/test_registry
testsuite_unit_test_registry_SOURCES = testsuite/unit/test_registry.c testsuite/unit/unit.h
testsuite_unit_test_registry_CFLAGS = $(GATEWAY_UNIT_CFLAGS)
testsuite_unit_test_registry_LDADD = $(GATEWAY_UNIT_LIBS)
check_PROGRAMS += testsuite/unit/test_registry_policy
TESTS += testsuite/unit/test_registry_policy
testsuite_unit_test_registry_policy_SOURCES = testsuite/unit/test_registry_policy.c testsuite/unit/unit.h
testsuite_unit_test_registry_policy_CFLAGS = $(GATEWAY_UNIT_CFLAGS)
testsuite_unit_test_registry_policy_LDADD = $(GATEWAY_UNIT_LIBS)
endif

# Against real docker-registry instances and scripted servers: pytest driving
# registry_tool (skips with 77 when docker-registry, skopeo, umoci... are missing).
check_PROGRAMS += testsuite/gateway/registry_tool
testsuite_gateway_registry_tool_SOURCES = testsuite/gateway/registry_tool.c
testsuite_gateway_registry_tool_CFLAGS = $(gateway_libberth_gateway_la_CFLAGS) -I$(top_srcdir)/gateway
testsuite_gateway_registry_tool_LDADD = gateway/libberth_gateway.la
TESTS += testsuite/gateway/run_registry_tests.sh
EXTRA_DIST += testsuite/gateway/run_registry_tests.sh testsuite/gateway/conftest.py \
	testsuite/gateway/servers.py testsuite/gateway/test_registry_live.py
