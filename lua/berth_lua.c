/*
 * berth_lua.c - the Lua module `berth` (berth.so in the Lua C module dir)
 * for job_submit.lua in slurmctld:
 *
 *   local berth = require("berth")
 *   berth.config("/etc/slurm/berth.conf")   -- optional; returns the path in use
 *   local t, err = berth.parse("busybox")    -- {type=, registry=, repository=,
 *                                            --  tag=, digest=, path=, canonical=}
 *   local digest, err = berth.resolve(ref, job_desc.user_id)
 *
 * berth.resolve is berth_image_resolve (client/image_resolve.h), the same
 * decision job_submit_berth.so makes: READY images only, a digest already
 * in the image dir without asking the gateway, bounded by lookup_timeout.
 * When uid is not the caller's own (slurmctld asking for a job's user) the
 * request goes on behalf of uid (the SlurmUser must be a trusted proxy of
 * the gateway).  berth.conf is read on every call (it is small), from the
 * berth.config path, else $BERTH_CONF, else beside $SLURM_CONF, else
 * /etc/slurm/berth.conf; munged's socket is libmunge's default unless
 * $BERTH_MUNGE_SOCKET names another.  Errors are returned (nil, message), never raised,
 * except for calls with arguments of the wrong type.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>

#include "image_resolve.h"

#define CONFIG_KEY "berth.config_path"
#define UID_MAX_VALUE 4294967294.0

/* The reference argument: a string without NUL bytes. */
static const char *ref_arg(lua_State *L, int idx)
{
	size_t len;
	const char *text = luaL_checklstring(L, idx, &len);

	if (strlen(text) != len)
		return NULL;
	return text;
}

static int fail(lua_State *L, const char *msg)
{
	lua_pushnil(L);
	lua_pushstring(L, msg);
	return 2;
}

static void set_field(lua_State *L, const char *key, const char *value)
{
	if (!value || !*value)
		return;
	lua_pushstring(L, value);
	lua_setfield(L, -2, key);
}

/* berth.parse(ref [, default_type]) -> table | nil, err */
static int l_parse(lua_State *L)
{
	struct berth_error err = BERTH_ERROR_INIT;
	const char *text = ref_arg(L, 1), *type_name = luaL_optstring(L, 2, "docker");
	enum berth_image_type type;
	struct berth_image_ref *ref;
	char canonical[BERTH_IMAGE_REF_MAX + 128];

	if (!text)
		return fail(L, "image reference holds a NUL byte");
	if (berth_image_type_from_name(type_name, &type) < 0)
		return fail(L, "unknown image type (use docker, id or local)");
	ref = lua_newuserdata(L, sizeof(*ref));  /* freed by Lua's GC */
	if (berth_image_ref_parse(text, type, ref, &err) < 0 ||
	    berth_image_ref_format(ref, canonical, sizeof(canonical), &err) < 0)
		return fail(L, err.msg);
	lua_createtable(L, 0, 7);
	set_field(L, "type", berth_image_type_name(ref->type));
	set_field(L, "registry", ref->registry);
	set_field(L, "repository", ref->repository);
	set_field(L, "tag", ref->tag);
	set_field(L, "digest", ref->digest);
	if (ref->type == BERTH_IMAGE_LOCAL)
		set_field(L, "path", ref->path);
	set_field(L, "canonical", canonical);
	return 1;
}

/* The berth.conf path: berth.config's, else berth_config_find. */
static int config_path(lua_State *L, char *buf, size_t size, bool *missing_ok,
		       struct berth_error *err)
{
	const char *set;
	int rc;

	lua_getfield(L, LUA_REGISTRYINDEX, CONFIG_KEY);
	set = lua_tostring(L, -1);
	rc = berth_config_find(set, NULL, buf, size, missing_ok, err);
	lua_pop(L, 1);
	return rc;
}

/* berth.resolve(ref, uid) -> digest | nil, err */
static int l_resolve(lua_State *L)
{
	struct berth_error err = BERTH_ERROR_INIT;
	const char *text = ref_arg(L, 1);
	lua_Number uid = luaL_checknumber(L, 2);
	struct berth_resolve_opts opts = { 0 };
	struct berth_resolved *out;
	struct berth_config cfg;
	char path[4096];
	bool missing_ok;
	int rc;

	if (!text)
		return fail(L, "image reference holds a NUL byte");
	if (uid < 0 || uid > UID_MAX_VALUE || uid != (lua_Number)(unsigned long)uid)
		return fail(L, "bad uid");
	opts.uid = (uid_t)uid;
	opts.on_behalf = opts.uid != geteuid();
	opts.munge_socket = getenv("BERTH_MUNGE_SOCKET");  /* NULL: libmunge's default */
	if (config_path(L, path, sizeof(path), &missing_ok, &err) < 0 ||
	    berth_config_load(path, missing_ok, &cfg, &err) < 0)
		return fail(L, err.msg);
	out = lua_newuserdata(L, sizeof(*out));
	rc = berth_image_resolve(&cfg, text, &opts, out, &err);
	berth_config_free(&cfg);
	if (rc < 0)
		return fail(L, err.msg);
	lua_pushstring(L, out->digest);
	return 1;
}

/* berth.config([path]) -> path in use (or nil when the default search
 * applies); path must be absolute. */
static int l_config(lua_State *L)
{
	const char *path = luaL_optstring(L, 1, NULL);

	if (path) {
		if (path[0] != '/' || strlen(path) >= 4096)
			return luaL_argerror(L, 1, "absolute path expected");
		lua_pushstring(L, path);
		lua_setfield(L, LUA_REGISTRYINDEX, CONFIG_KEY);
	}
	lua_getfield(L, LUA_REGISTRYINDEX, CONFIG_KEY);
	return 1;
}

int luaopen_berth(lua_State *L);

__attribute__((visibility("default"))) int luaopen_berth(lua_State *L)
{
	static const luaL_Reg functions[] = {
		{ "parse", l_parse },
		{ "resolve", l_resolve },
		{ "config", l_config },
		{ NULL, NULL },
	};

#if LUA_VERSION_NUM < 502  /* Lua 5.1: Slurm's job_submit/lua (lua/slurm.mk) */
	lua_newtable(L);
	luaL_register(L, NULL, functions);
#else
	luaL_newlib(L, functions);
#endif
	lua_pushstring(L, PACKAGE_VERSION);
	lua_setfield(L, -2, "version");
	return 1;
}
