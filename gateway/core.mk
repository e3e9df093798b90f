# gateway/core.mk: image records (SQLite), workers, publishing, ACLs, expiry
# (gw_service.h).  Adds to gateway_libberth_gateway_la_SOURCES.
gateway_libberth_gateway_la_SOURCES += \
	gateway/gw_service.c gateway/gw_service.h gateway/gw_service_internal.h \
	gateway/gw_metrics.c gateway/gw_metrics.h \
	gateway/gw_service_pull.c gateway/gw_service_expire.c \
	gateway/gw_store.c gateway/gw_store.h \
	gateway/gw_worker.c gateway/gw_layers.c gateway/gw_layerset.c gateway/gw_access.c \
	gateway/gw_import.c gateway/gw_import_image.c gateway/gw_import_internal.h \
	gateway/gw_waiting.c gateway/gw_waiting.h gateway/gw_slurm.c gateway/gw_slurm.h

# Unit tests: the store on a temporary database.
if HAVE_CHECK
check_PROGRAMS += testsuite/unit/test_gw_store
TESTS += testsuite/unit/test_gw_store
testsuite_unit_test_gw_store_SOURCES = testsuite/unit/test_gw_store.c testsuite/unit/unit.h
testsuite_unit_test_gw_store_CFLAGS = $(GATEWAY_UNIT_CFLAGS)
testsuite_unit_test_gw_store_LDADD = $(GATEWAY_UNIT_LIBS)
endif

# The releaser of jobs waiting for an image, against a fake Slurm.
if HAVE_CHECK
check_PROGRAMS += testsuite/unit/test_gw_waiting
TESTS += testsuite/unit/test_gw_waiting
testsuite_unit_test_gw_waiting_SOURCES = testsuite/unit/test_gw_waiting.c testsuite/unit/unit.h
testsuite_unit_test_gw_waiting_CFLAGS = $(GATEWAY_UNIT_CFLAGS)
testsuite_unit_test_gw_waiting_LDADD = $(GATEWAY_UNIT_LIBS)
endif

# gw_service driven directly against real registries (run by
# run_registry_tests.sh through test_service_live.py).
check_PROGRAMS += testsuite/gateway/service_tool
testsuite_gateway_service_tool_SOURCES = testsuite/gateway/service_tool.c
testsuite_gateway_service_tool_CFLAGS = $(gateway_libberth_gateway_la_CFLAGS) -I$(top_srcdir)/gateway
testsuite_gateway_service_tool_LDADD = gateway/libberth_gateway.la
EXTRA_DIST += testsuite/gateway/test_service_live.py testsuite/gateway/test_layerset_live.py \
	testsuite/bench/gateway_convert.sh testsuite/bench/gateway_convert_env.py \
	testsuite/bench/debian_images.sh testsuite/bench/convert_registry.sh
