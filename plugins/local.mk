# plugins/: the three Slurm plugins, thin entry points over the rooms:
# berth.so (SPANK) links client/ and node/, job_submit_berth.so client/ only
# (slurmctld never loads node code), job_container_berth.so node/ only.
# All three land in plugins/.libs/ so one PluginDir entry finds them in the
# build tree; each exports only Slurm's symbols (version scripts).
# The node plugin is job_container/berth up to Slurm 25.05 and
# namespace/berth (namespace_berth.so) from 25.11: one source, the file name
# and plugin_type follow the release built against.
slurmplugin_LTLIBRARIES = plugins/berth.la plugins/job_submit_berth.la
if SLURM_NAMESPACE_PLUGIN
slurmplugin_LTLIBRARIES += plugins/namespace_berth.la
else
slurmplugin_LTLIBRARIES += plugins/job_container_berth.la
endif

PLUGIN_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -shared -rpath $(slurmplugindir)
PLUGIN_LIBADD = common/libberth_common.la

plugins_berth_la_SOURCES = \
	plugins/spank/spank_dispatch.c \
	plugins/spank/spank_options.c \
	plugins/spank/spank_client.c \
	plugins/spank/spank_prolog.c \
	plugins/spank/spank_remote.c \
	plugins/spank/spank_enter.c \
	plugins/spank/spank_resolve.c \
	plugins/spank/spank_ssh.c \
	plugins/spank/spank_step.c plugins/spank/spank_devices.c \
	plugins/spank/spank_plugin.h plugins/slurm_compat.h
plugins_berth_la_CPPFLAGS = $(AM_CPPFLAGS) $(CLIENT_CPPFLAGS) $(NODE_CPPFLAGS)
plugins_berth_la_LDFLAGS = $(PLUGIN_LDFLAGS) -Wl,--version-script=$(srcdir)/plugins/spank/spank.lds
plugins_berth_la_LIBADD = client/libberth_client.la node/libberth_node.la $(PLUGIN_LIBADD) $(LIBCAP_LIBS)
EXTRA_plugins_berth_la_DEPENDENCIES = plugins/spank/spank.lds

plugins_job_submit_berth_la_SOURCES = \
	plugins/job_submit/job_submit_berth.c \
	plugins/job_submit/js_pin.c plugins/job_submit/js_pin.h \
	plugins/job_submit/js_env.c plugins/job_submit/js_env.h \
	plugins/job_submit/js_cache.c plugins/job_submit/js_cache.h \
	plugins/slurm_shim.c plugins/slurm_shim.h
plugins_job_submit_berth_la_CPPFLAGS = $(AM_CPPFLAGS) $(CLIENT_CPPFLAGS)
plugins_job_submit_berth_la_LDFLAGS = $(PLUGIN_LDFLAGS) -Wl,--version-script=$(srcdir)/plugins/job_submit/job_submit.lds
plugins_job_submit_berth_la_LIBADD = client/libberth_client.la $(PLUGIN_LIBADD) -lpthread
EXTRA_plugins_job_submit_berth_la_DEPENDENCIES = plugins/job_submit/job_submit.lds

NODE_PLUGIN_SOURCES = \
	plugins/job_container/job_container_berth.c \
	plugins/job_container/jc_container.c plugins/job_container/jc_container.h \
	plugins/slurm_compat.h \
	plugins/slurm_shim.c plugins/slurm_shim.h
NODE_PLUGIN_CPPFLAGS = $(AM_CPPFLAGS) $(NODE_CPPFLAGS)
NODE_PLUGIN_LDFLAGS = $(PLUGIN_LDFLAGS) -Wl,--version-script=$(srcdir)/plugins/job_container/job_container.lds
NODE_PLUGIN_LIBADD = node/libberth_node.la $(PLUGIN_LIBADD)
plugins_job_container_berth_la_SOURCES = $(NODE_PLUGIN_SOURCES)
plugins_job_container_berth_la_CPPFLAGS = $(NODE_PLUGIN_CPPFLAGS)
plugins_job_container_berth_la_LDFLAGS = $(NODE_PLUGIN_LDFLAGS)
plugins_job_container_berth_la_LIBADD = $(NODE_PLUGIN_LIBADD)
EXTRA_plugins_job_container_berth_la_DEPENDENCIES = plugins/job_container/job_container.lds
plugins_namespace_berth_la_SOURCES = $(NODE_PLUGIN_SOURCES)
plugins_namespace_berth_la_CPPFLAGS = $(NODE_PLUGIN_CPPFLAGS)
plugins_namespace_berth_la_LDFLAGS = $(NODE_PLUGIN_LDFLAGS)
plugins_namespace_berth_la_LIBADD = $(NODE_PLUGIN_LIBADD)
EXTRA_plugins_namespace_berth_la_DEPENDENCIES = plugins/job_container/job_container.lds

plugins_berth_la_SOURCES += plugins/slurm_shim.c plugins/slurm_shim.h

EXTRA_DIST += plugins/spank/spank.lds plugins/job_submit/job_submit.lds plugins/job_container/job_container.lds
