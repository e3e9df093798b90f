# gateway/flatten: OCI layers -> one squashfs (libarchive -> libsquashfs).
gateway_libberth_gateway_la_SOURCES += \
	gateway/flatten.c gateway/flatten.h gateway/flatten_internal.h \
	gateway/flatten_tree.c gateway/flatten_layer.c gateway/flatten_stream.c \
	gateway/flatten_write.c

# Unit tests: generated layers, images read back with libsquashfs, and (as
# root, with loop devices) one image mounted and compared with the kernel.
if HAVE_CHECK
check_PROGRAMS += testsuite/unit/test_flatten
TESTS += testsuite/unit/test_flatten
testsuite_unit_test_flatten_SOURCES = \
	testsuite/unit/test_flatten.c testsuite/unit/test_flatten_image.c \
	testsuite/unit/test_flatten_source.c \
	testsuite/unit/test_flatten_cases.c testsuite/unit/test_flatten_cases.h \
	testsuite/unit/test_flatten_util.c testsuite/unit/test_flatten_util.h \
	testsuite/unit/unit.h
testsuite_unit_test_flatten_CFLAGS = $(GATEWAY_UNIT_CFLAGS)
testsuite_unit_test_flatten_LDADD = $(GATEWAY_UNIT_LIBS)
endif
