# lua/slurm.mk: the Lua module `berth` built a second time, for the Lua that
# Slurm's job_submit/lua plugin embeds (Lua 5.1 in Debian 12's Slurm 22.05):
# the one job_submit.lua in slurmctld can require.  lua/slurm/berth.so in the
# build tree, $(libdir)/lua/5.1/berth.so installed.
if BUILD_LUA_SLURM
if HAVE_LIBCURL
luaslurmdir = $(libdir)/lua/5.1
luaslurm_LTLIBRARIES = lua/slurm/berth.la
lua_slurm_berth_la_SOURCES = lua/berth_lua.c
lua_slurm_berth_la_CPPFLAGS = $(AM_CPPFLAGS) $(CLIENT_CPPFLAGS)
lua_slurm_berth_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden $(LUA_SLURM_CFLAGS)
lua_slurm_berth_la_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -shared \
	-export-symbols-regex '^luaopen_'
lua_slurm_berth_la_LIBADD = $(CLIENT_LIBS)
endif
endif
