/*
 * fuzz_gw_request.c - what berth-gatewayd takes from a network peer before
 * (and besides) the work: the route of a URL, each route's JSON body
 * (gw_json_parse_object with its allowed keys, gw_json_ref, the users and
 * groups of a pull), the ?ref= query value (gw_parse_ref), the registry
 * login in a munge credential's payload (gw_auth_parse_login) and the
 * trusted proxy's x-berth-on-behalf-of value (gw_auth_caller); and the
 * error reply each failure becomes (gw_reply_service_error).  No socket:
 * the functions gw_http.c calls with the request's bytes.
 *
 * Input: byte 0 picks what the rest is: 0 lookup body, 1 pull body,
 * 2 expire body, 3 autoexpire body, 4 query ref, 5 login payload,
 * 6 on-behalf value, 7 URL path.  Checks: an accepted body is an object
 * with allowed keys only, its ref is docker: or id:; pull ids are in range;
 * a login has 1..size-1 bytes of username and password without NUL; an
 * error reply is one line of JSON {"error": "..."} with a 4xx/5xx status.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "gw_http_internal.h"

static const char *const lookup_keys[] = { "ref", NULL };
static const char *const pull_keys[] = { "ref", "users", "groups", NULL };
static const char *const autoexpire_keys[] = { NULL };

static void check_reply(const struct berth_error *err)
{
	struct gw_reply reply;
	struct json_object *obj, *msg;

	memset(&reply, 0, sizeof(reply));
	gw_reply_service_error(&reply, err);
	FZ_CHECK(reply.status >= 400 && reply.status < 600 && reply.body, "status %u", reply.status);
	FZ_CHECK(!strchr(reply.body, '\n') && !strchr(reply.body, '\r'), "reply is not one line");
	obj = json_tokener_parse(reply.body);
	FZ_CHECK(obj && json_object_object_get_ex(obj, "error", &msg) &&
		 json_object_is_type(msg, json_type_string) && json_object_object_length(obj) == 1,
		 "reply \"%s\"", reply.body);
	json_object_put(obj);
	free(reply.body);
}

static bool failed(int rc, const struct berth_error *err, const char *call)
{
	if (rc == 0)
		return false;
	fz_check_error(err, call);
	check_reply(err);
	return true;
}

static void check_ref(const struct berth_image_ref *ref)
{
	FZ_CHECK(ref->type == BERTH_IMAGE_DOCKER || ref->type == BERTH_IMAGE_ID, "type %d", (int)ref->type);
}

static void body(const char *data, size_t len, const char *const *keys, bool with_ref, bool pull)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct json_object *obj = NULL;
	struct berth_image_ref ref;
	uid_t *users = NULL;
	gid_t *groups = NULL;
	size_t nusers = 0, ngroups = 0;

	if (failed(gw_json_parse_object(data, len, keys, &obj, &err), &err, "gw_json_parse_object"))
		return;
	FZ_CHECK(json_object_is_type(obj, json_type_object), "not an object");
	json_object_object_foreach(obj, key, val) {
		bool known = false;

		(void)val;
		for (const char *const *k = keys; *k; k++)
			known |= !strcmp(*k, key);
		FZ_CHECK(known, "key \"%s\" accepted", key);
	}
	if (with_ref && !failed(gw_json_ref(obj, &ref, &err), &err, "gw_json_ref"))
		check_ref(&ref);
	if (pull && !failed(gw_json_uids(obj, "users", &users, &nusers, &err), &err, "gw_json_uids") &&
	    !failed(gw_json_gids(obj, "groups", &groups, &ngroups, &err), &err, "gw_json_gids")) {
		FZ_CHECK(nusers <= GW_LIST_NAMES_MAX && ngroups <= GW_LIST_NAMES_MAX, "too many ids");
		for (size_t i = 0; i < nusers; i++)
			FZ_CHECK(users[i] != (uid_t)-1, "uid -1");
		for (size_t i = 0; i < ngroups; i++)
			FZ_CHECK(groups[i] != (gid_t)-1, "gid -1");
	}
	free(users);
	free(groups);
	json_object_put(obj);
}

static void login(const char *payload, size_t len)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct gw_registry_login l;
	bool has = true;

	if (failed(gw_auth_parse_login(payload, len, &l, &has, &err), &err, "gw_auth_parse_login")) {
		FZ_CHECK(!has, "login after a failure");
		return;
	}
	if (!has)
		return;
	FZ_CHECK(strnlen(l.username, sizeof(l.username)) < sizeof(l.username) && l.username[0] &&
		 strnlen(l.password, sizeof(l.password)) < sizeof(l.password) && l.password[0], "login");
	gw_auth_wipe(&l, sizeof(l));
}

static void on_behalf(const char *text)
{
	struct berth_error err = BERTH_ERROR_INIT;
	static uid_t proxies[] = { 4242 };
	struct gw_credential cred = { 4242, 4242, NULL, 0 };
	struct gw_caller caller;
	struct gw_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.proxy_uid_list = proxies;
	cfg.proxy_uid_count = 1;
	if (failed(gw_auth_caller(&cfg, &cred, text, &caller, &err), &err, "gw_auth_caller"))
		return;
	FZ_CHECK(caller.uid != (uid_t)-1 && caller.ngroups >= 1 && caller.ngroups <= GW_GROUPS_MAX, "caller");
	FZ_CHECK(text[0] >= '0' && text[0] <= '9' && strspn(text, "0123456789") == strlen(text),
		 "on-behalf-of \"%s\" accepted", text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_image_ref ref;
	char *text;

	if (size < 1)
		return 0;
	/* bodies are bytes with a length (gw_http.c adds a NUL after them) */
	text = fz_strndup(data + 1, size - 1);
	switch (data[0] % 8) {
	case 0:
		body(text, size - 1, lookup_keys, true, false);
		break;
	case 1:
		body(text, size - 1, pull_keys, true, true);
		break;
	case 2:
		body(text, size - 1, lookup_keys, true, false);
		break;
	case 3:
		body(text, size - 1, autoexpire_keys, false, false);
		break;
	case 4:
		if (!failed(gw_parse_ref(text, &ref, &err), &err, "gw_parse_ref"))
			check_ref(&ref);
		break;
	case 5:
		login(text, size - 1);
		break;
	case 6:
		on_behalf(text);
		break;
	case 7:
		if (gw_http_find_route(text))
			FZ_CHECK(!strncmp(text, "/api/v1/", 8) && gw_http_allowed(text)[0], "route \"%s\"", text);
		else
			FZ_CHECK(gw_http_allowed(text)[0] == '\0', "allowed without a route");
		break;
	}
	free(text);
	return 0;
}
