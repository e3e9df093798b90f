# lua/: the Lua module `berth` for job_submit.lua (berth.so in the Lua C
# module dir); lua5.x symbols come from the interpreter that loads it.
if BUILD_LUA
if HAVE_LIBCURL
luacmoddir = $(libdir)/lua/$(LUA_VERSION)
luacmod_LTLIBRARIES = lua/berth.la
lua_berth_la_SOURCES = lua/berth_lua.c
lua_berth_la_CPPFLAGS = $(AM_CPPFLAGS) $(CLIENT_CPPFLAGS)
lua_berth_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden $(LUA_CFLAGS)
lua_berth_la_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -shared -export-symbols-regex '^luaopen_'
lua_berth_la_LIBADD = $(CLIENT_LIBS)

# berth.parse / berth.resolve from the lua interpreter (skips without it).
TESTS += lua/run_lua_tests.sh
EXTRA_DIST += lua/run_lua_tests.sh lua/test_berth.lua
endif
endif
include lua/slurm.mk
