# testsuite/fuzz/fuzz.mk: libFuzzer targets for every parser of untrusted
# input (README in fuzz_util.h and each fuzz_<name>.c; SECURITY.md).
#
# Built only with configure's fuzzing on (clang that links
# -fsanitize=fuzzer,address,undefined; Debian: clang + libfuzzer-14-dev).
# Each target is one clang command over the sources it needs (the
# convenience libraries are gcc-built and uninstrumented).  `make check`
# runs each for BERTH_FUZZ_SECONDS (default 7) on its seeds
# (corpus/<name>/) through run_long.sh, as a TAP test; without fuzzing
# the test is skipped and says why.  Longer runs:
#   testsuite/fuzz/run_long.sh SECONDS [TARGET...]   (from the build dir)

EXTRA_DIST += testsuite/fuzz/run_long.sh testsuite/fuzz/check_fuzz.tap \
	testsuite/fuzz/corpus testsuite/fuzz/fuzz_util.h testsuite/fuzz/fuzz_util.c \
	testsuite/fuzz/fuzz_meta.h testsuite/fuzz/fuzz_meta.c testsuite/fuzz/fuzz_gw_stubs.c

TESTS += testsuite/fuzz/check_fuzz.tap
TEST_EXTENSIONS = .tap
TAP_LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
TAP_LOG_COMPILER = env BERTH_BUILDDIR='$(abs_top_builddir)' \
	BERTH_FUZZ_TARGETS='$(FUZZ_TARGETS)' BERTH_FUZZ_SKIP='$(FUZZ_SKIP_REASON)' \
	BERTH_FUZZ_OUT='$(abs_top_builddir)/testsuite/fuzz/check-run' $(SHELL)

FUZZ_TARGETS =
FUZZ_BINS =
if ENABLE_FUZZING
FUZZ_TARGETS += image_ref volume comment conf job_request job_spec image_meta oci_config argv_wire cdi elf
if BUILD_GATEWAY
FUZZ_TARGETS += manifest registry_auth gw_request flatten
endif
endif

FUZZ_ALL_CFLAGS = $(DEFS) -I$(top_srcdir)/common -I$(top_srcdir)/node -I$(top_srcdir)/gateway \
	-I$(top_srcdir)/testsuite/fuzz $(FUZZ_CFLAGS) $(JSONC_CFLAGS)
FUZZ_LINK = $(AM_V_CCLD)$(MKDIR_P) testsuite/fuzz && $(FUZZ_CC) $(FUZZ_ALL_CFLAGS) -o $@
FUZZ_UTIL = $(top_srcdir)/testsuite/fuzz/fuzz_util.c $(top_srcdir)/common/berth_error.c \
	$(top_srcdir)/common/berth_log.c $(top_srcdir)/common/fs_util.c
FUZZ_DEPS = $(top_srcdir)/testsuite/fuzz/fuzz_util.h $(top_srcdir)/common/berth_error.h \
	$(top_srcdir)/common/berth_log.h $(top_srcdir)/common/image_ref.h \
	$(top_srcdir)/common/volume.h $(top_srcdir)/common/conf_parser.h \
	$(top_srcdir)/common/berth_conf.h $(top_srcdir)/common/job_request.h \
	$(top_srcdir)/common/job_wire.h $(top_srcdir)/common/image_meta.h \
	$(top_srcdir)/common/env_rules.h $(top_srcdir)/common/task_env.h \
	$(top_srcdir)/common/modules.h $(top_srcdir)/common/fs_util.h \
	$(top_srcdir)/common/image_access.h $(top_srcdir)/node/job_spec.h
# What berth.conf and a job request need (the module loader, env rules).
FUZZ_REQUEST_SRCS = $(top_srcdir)/common/job_request.c $(top_srcdir)/common/modules.c \
	$(top_srcdir)/common/conf_parser.c $(top_srcdir)/common/berth_conf.c \
	$(top_srcdir)/common/env_rules.c $(top_srcdir)/common/task_env.c \
	$(top_srcdir)/common/image_meta.c $(top_srcdir)/common/json_ascii.c $(top_srcdir)/common/volume.c \
	$(top_srcdir)/common/image_ref.c $(top_srcdir)/common/image_access.c $(top_srcdir)/common/cdi_name.c
FUZZ_REGISTRY_SRCS = $(top_srcdir)/gateway/registry.c $(top_srcdir)/gateway/registry_http.c \
	$(top_srcdir)/gateway/registry_auth.c $(top_srcdir)/gateway/registry_manifest.c \
	$(top_srcdir)/gateway/registry_digest.c $(top_srcdir)/gateway/registry_policy.c \
	$(top_srcdir)/common/image_ref.c
FUZZ_GATEWAY_DEPS = $(FUZZ_DEPS) $(top_srcdir)/gateway/registry.h \
	$(top_srcdir)/gateway/registry_internal.h $(top_srcdir)/gateway/flatten.h \
	$(top_srcdir)/gateway/flatten_internal.h $(top_srcdir)/gateway/gw_http.h \
	$(top_srcdir)/gateway/gw_http_internal.h $(top_srcdir)/gateway/gw_auth.h \
	$(top_srcdir)/gateway/gw_config.h $(top_srcdir)/gateway/gw_service.h \
	$(top_srcdir)/gateway/gw_metrics.h
FUZZ_GATEWAY_CFLAGS = $(LIBCURL_CFLAGS) $(LIBARCHIVE_CFLAGS) $(LIBSQUASHFS_CFLAGS) \
	$(MHD_CFLAGS) $(LIBCRYPTO_CFLAGS) $(MUNGE_CFLAGS) $(ISAL_CFLAGS)

testsuite/fuzz/fuzz_image_ref: $(top_srcdir)/testsuite/fuzz/fuzz_image_ref.c \
		$(top_srcdir)/common/image_ref.c $(FUZZ_UTIL) $(FUZZ_DEPS)
	$(FUZZ_LINK) $(top_srcdir)/testsuite/fuzz/fuzz_image_ref.c $(top_srcdir)/common/image_ref.c \
		$(FUZZ_UTIL)
testsuite/fuzz/fuzz_volume: $(top_srcdir)/testsuite/fuzz/fuzz_volume.c \
		$(top_srcdir)/common/volume.c $(FUZZ_UTIL) $(FUZZ_DEPS)
	$(FUZZ_LINK) $(top_srcdir)/testsuite/fuzz/fuzz_volume.c $(top_srcdir)/common/volume.c \
		$(FUZZ_UTIL)
testsuite/fuzz/fuzz_argv_wire: $(top_srcdir)/testsuite/fuzz/fuzz_argv_wire.c \
		$(top_srcdir)/common/argv_wire.c $(top_srcdir)/common/argv_wire.h $(FUZZ_UTIL) $(FUZZ_DEPS)
	$(FUZZ_LINK) $(top_srcdir)/testsuite/fuzz/fuzz_argv_wire.c $(top_srcdir)/common/argv_wire.c \
		$(FUZZ_UTIL)
testsuite/fuzz/fuzz_comment: $(top_srcdir)/testsuite/fuzz/fuzz_comment.c \
		$(top_srcdir)/common/job_wire.c $(top_srcdir)/common/image_ref.c $(FUZZ_UTIL) $(FUZZ_DEPS)
	$(FUZZ_LINK) $(top_srcdir)/testsuite/fuzz/fuzz_comment.c $(top_srcdir)/common/job_wire.c \
		$(top_srcdir)/common/image_ref.c $(FUZZ_UTIL)
testsuite/fuzz/fuzz_conf: $(top_srcdir)/testsuite/fuzz/fuzz_conf.c $(FUZZ_REQUEST_SRCS) \
		$(FUZZ_UTIL) $(FUZZ_DEPS)
	$(FUZZ_LINK) $(top_srcdir)/testsuite/fuzz/fuzz_conf.c $(FUZZ_REQUEST_SRCS) $(FUZZ_UTIL) \
		$(JSONC_LIBS)
testsuite/fuzz/fuzz_job_request: $(top_srcdir)/testsuite/fuzz/fuzz_job_request.c \
		$(FUZZ_REQUEST_SRCS) $(FUZZ_UTIL) $(FUZZ_DEPS)
	$(FUZZ_LINK) $(top_srcdir)/testsuite/fuzz/fuzz_job_request.c $(FUZZ_REQUEST_SRCS) \
		$(FUZZ_UTIL) $(JSONC_LIBS)
testsuite/fuzz/fuzz_job_spec: $(top_srcdir)/testsuite/fuzz/fuzz_job_spec.c \
		$(top_srcdir)/node/job_spec.c $(FUZZ_REQUEST_SRCS) \
		$(FUZZ_UTIL) $(FUZZ_DEPS)
	$(FUZZ_LINK) $(top_srcdir)/testsuite/fuzz/fuzz_job_spec.c $(top_srcdir)/node/job_spec.c \
		$(FUZZ_REQUEST_SRCS) $(FUZZ_UTIL) $(JSONC_LIBS)
testsuite/fuzz/fuzz_image_meta: $(top_srcdir)/testsuite/fuzz/fuzz_image_meta.c \
		$(top_srcdir)/testsuite/fuzz/fuzz_meta.c $(top_srcdir)/testsuite/fuzz/fuzz_meta.h \
		$(top_srcdir)/common/image_meta.c $(top_srcdir)/common/json_ascii.c $(FUZZ_UTIL) $(FUZZ_DEPS)
	$(FUZZ_LINK) $(top_srcdir)/testsuite/fuzz/fuzz_image_meta.c \
		$(top_srcdir)/testsuite/fuzz/fuzz_meta.c $(top_srcdir)/common/image_meta.c $(top_srcdir)/common/json_ascii.c \
		$(FUZZ_UTIL) $(JSONC_LIBS)
testsuite/fuzz/fuzz_oci_config: $(top_srcdir)/testsuite/fuzz/fuzz_oci_config.c \
		$(top_srcdir)/testsuite/fuzz/fuzz_meta.c $(top_srcdir)/testsuite/fuzz/fuzz_meta.h \
		$(top_srcdir)/common/image_meta.c $(top_srcdir)/common/json_ascii.c $(FUZZ_UTIL) $(FUZZ_DEPS)
	$(FUZZ_LINK) $(top_srcdir)/testsuite/fuzz/fuzz_oci_config.c \
		$(top_srcdir)/testsuite/fuzz/fuzz_meta.c $(top_srcdir)/common/image_meta.c $(top_srcdir)/common/json_ascii.c \
		$(FUZZ_UTIL) $(JSONC_LIBS)
testsuite/fuzz/fuzz_manifest: $(top_srcdir)/testsuite/fuzz/fuzz_manifest.c \
		$(FUZZ_REGISTRY_SRCS) $(FUZZ_UTIL) $(FUZZ_GATEWAY_DEPS)
	$(FUZZ_LINK) $(FUZZ_GATEWAY_CFLAGS) $(top_srcdir)/testsuite/fuzz/fuzz_manifest.c \
		$(FUZZ_REGISTRY_SRCS) $(FUZZ_UTIL) $(LIBCURL_LIBS) $(LIBCRYPTO_LIBS) $(JSONC_LIBS) -lpthread
testsuite/fuzz/fuzz_registry_auth: $(top_srcdir)/testsuite/fuzz/fuzz_registry_auth.c \
		$(FUZZ_REGISTRY_SRCS) $(FUZZ_UTIL) $(FUZZ_GATEWAY_DEPS)
	$(FUZZ_LINK) $(FUZZ_GATEWAY_CFLAGS) $(top_srcdir)/testsuite/fuzz/fuzz_registry_auth.c \
		$(FUZZ_REGISTRY_SRCS) $(FUZZ_UTIL) $(LIBCURL_LIBS) $(LIBCRYPTO_LIBS) $(JSONC_LIBS) -lpthread
FUZZ_CDI_SRCS = $(top_srcdir)/node/cdi_spec.c $(top_srcdir)/node/cdi_yaml.c $(FUZZ_REQUEST_SRCS)
testsuite/fuzz/fuzz_cdi: $(top_srcdir)/testsuite/fuzz/fuzz_cdi.c $(FUZZ_CDI_SRCS) $(FUZZ_UTIL) $(FUZZ_DEPS) \
		$(top_srcdir)/node/cdi_spec.h $(top_srcdir)/common/cdi_name.h
	$(FUZZ_LINK) $(YAML_CFLAGS) $(top_srcdir)/testsuite/fuzz/fuzz_cdi.c $(top_srcdir)/node/cdi_spec.c \
		$(top_srcdir)/node/cdi_yaml.c $(FUZZ_REQUEST_SRCS) $(FUZZ_UTIL) \
		$(JSONC_LIBS) $(YAML_LIBS)
testsuite/fuzz/fuzz_elf: $(top_srcdir)/testsuite/fuzz/fuzz_elf.c $(top_srcdir)/node/elf_deps.c \
		$(top_srcdir)/node/elf_deps.h $(FUZZ_UTIL) $(FUZZ_DEPS)
	$(FUZZ_LINK) $(top_srcdir)/testsuite/fuzz/fuzz_elf.c $(top_srcdir)/node/elf_deps.c $(FUZZ_UTIL)
FUZZ_GW_SRCS = $(top_srcdir)/testsuite/fuzz/fuzz_gw_request.c \
	$(top_srcdir)/testsuite/fuzz/fuzz_gw_stubs.c $(top_srcdir)/gateway/gw_http_json.c \
	$(top_srcdir)/gateway/gw_http_routes.c $(top_srcdir)/gateway/gw_auth.c \
	$(top_srcdir)/common/image_ref.c
testsuite/fuzz/fuzz_gw_request: $(FUZZ_GW_SRCS) $(FUZZ_UTIL) $(FUZZ_GATEWAY_DEPS)
	$(FUZZ_LINK) $(FUZZ_GATEWAY_CFLAGS) $(FUZZ_GW_SRCS) $(FUZZ_UTIL) $(MHD_LIBS) \
		$(MUNGE_LIBS) $(JSONC_LIBS)
FUZZ_FLATTEN_SRCS = $(top_srcdir)/testsuite/fuzz/fuzz_flatten.c $(top_srcdir)/gateway/flatten.c \
	$(top_srcdir)/gateway/flatten_layer.c $(top_srcdir)/gateway/flatten_stream.c \
	$(top_srcdir)/gateway/flatten_tree.c $(top_srcdir)/gateway/flatten_write.c \
	$(top_srcdir)/common/image_ref.c
testsuite/fuzz/fuzz_flatten: $(FUZZ_FLATTEN_SRCS) $(FUZZ_UTIL) $(FUZZ_GATEWAY_DEPS)
	$(FUZZ_LINK) $(FUZZ_GATEWAY_CFLAGS) $(FUZZ_FLATTEN_SRCS) $(FUZZ_UTIL) $(LIBARCHIVE_LIBS) \
		$(LIBSQUASHFS_LIBS) $(LIBCRYPTO_LIBS) $(ISAL_LIBS) -lz -lpthread

if ENABLE_FUZZING
FUZZ_BINS += testsuite/fuzz/fuzz_image_ref testsuite/fuzz/fuzz_volume \
	testsuite/fuzz/fuzz_comment testsuite/fuzz/fuzz_conf testsuite/fuzz/fuzz_job_request \
	testsuite/fuzz/fuzz_job_spec testsuite/fuzz/fuzz_image_meta testsuite/fuzz/fuzz_oci_config \
	testsuite/fuzz/fuzz_argv_wire \
	testsuite/fuzz/fuzz_cdi testsuite/fuzz/fuzz_elf
if BUILD_GATEWAY
FUZZ_BINS += testsuite/fuzz/fuzz_manifest testsuite/fuzz/fuzz_registry_auth \
	testsuite/fuzz/fuzz_gw_request testsuite/fuzz/fuzz_flatten
endif
endif
EXTRA_DIST += testsuite/fuzz/fuzz.mk testsuite/fuzz/fuzz_image_ref.c testsuite/fuzz/fuzz_volume.c \
	testsuite/fuzz/fuzz_comment.c testsuite/fuzz/fuzz_conf.c testsuite/fuzz/fuzz_job_request.c \
	testsuite/fuzz/fuzz_job_spec.c testsuite/fuzz/fuzz_image_meta.c testsuite/fuzz/fuzz_oci_config.c \
	testsuite/fuzz/fuzz_manifest.c testsuite/fuzz/fuzz_registry_auth.c \
	testsuite/fuzz/fuzz_gw_request.c testsuite/fuzz/fuzz_flatten.c testsuite/fuzz/fuzz_argv_wire.c testsuite/fuzz/fuzz_cdi.c \
	testsuite/fuzz/fuzz_elf.c
# (no fuzz_<name>.dict yet: run_long.sh passes one to libFuzzer where it exists;
# add it here with it)
CLEANFILES += $(FUZZ_BINS)

# `make fuzz-targets` builds them; the short run needs them first.
fuzz-targets: $(FUZZ_BINS)
testsuite/fuzz/check_fuzz.log: $(FUZZ_BINS)
clean-local: clean-fuzz-run
clean-fuzz-run:
	rm -rf testsuite/fuzz/check-run
.PHONY: fuzz-targets clean-fuzz-run
