# helper/: the `berth` command (doc/berth.1), for users' shells.
if HAVE_LIBCURL
bin_PROGRAMS += helper/berth
helper_berth_SOURCES = helper/berth.c helper/helper.h helper/cmd_pull.c helper/cmd_images.c \
	helper/cmd_login.c helper/auth_store.c \
	helper/cmd_check.c helper/preflight.h helper/preflight_slurm.c helper/preflight_kernel.c helper/preflight_report.c
helper_berth_CPPFLAGS = $(AM_CPPFLAGS) $(CLIENT_CPPFLAGS)
helper_berth_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) $(MUNGE_CFLAGS)
helper_berth_LDADD = $(CLIENT_LIBS) $(JSONC_LIBS) $(MUNGE_LIBS)
dist_man_MANS += doc/berth.1
endif
