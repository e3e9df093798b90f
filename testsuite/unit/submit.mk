# testsuite/unit/submit.mk: unit tests of job_submit's pure parts (env
# rewrite, cache), built from the plugin's own sources.
if HAVE_CHECK
check_PROGRAMS += testsuite/unit/test_job_submit
TESTS += testsuite/unit/test_job_submit
testsuite_unit_test_job_submit_SOURCES = testsuite/unit/test_job_submit.c testsuite/unit/unit.h \
	plugins/job_submit/js_env.c plugins/job_submit/js_env.h \
	plugins/job_submit/js_cache.c plugins/job_submit/js_cache.h
testsuite_unit_test_job_submit_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/job_submit
testsuite_unit_test_job_submit_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) -pthread
testsuite_unit_test_job_submit_LDADD = common/libberth_common.la $(CHECK_LIBS) -lpthread
endif

# js_pin.c with the real client library; the "gateway" is a refused port.
if HAVE_CHECK
if HAVE_LIBCURL
check_PROGRAMS += testsuite/unit/test_job_submit_pin
TESTS += testsuite/unit/test_job_submit_pin
testsuite_unit_test_job_submit_pin_SOURCES = testsuite/unit/test_job_submit_pin.c testsuite/unit/unit.h \
	plugins/job_submit/js_pin.c plugins/job_submit/js_pin.h \
	plugins/job_submit/js_cache.c plugins/job_submit/js_cache.h
testsuite_unit_test_job_submit_pin_CPPFLAGS = $(AM_CPPFLAGS) $(CLIENT_CPPFLAGS) -I$(top_srcdir)/plugins/job_submit
testsuite_unit_test_job_submit_pin_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) -pthread
testsuite_unit_test_job_submit_pin_LDADD = $(CLIENT_LIBS) $(CHECK_LIBS) -lpthread
endif
endif
