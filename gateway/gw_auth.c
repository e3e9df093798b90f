/*
 * gw_auth.c - see gw_auth.h.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <munge.h>

#include "berth_log.h"
#include "gw_auth.h"

#define PW_BUF_SIZE 16384

void gw_auth_wipe(void *secret, size_t len)
{
	if (secret && len)
		explicit_bzero(secret, len);
}

void gw_auth_credential_clear(struct gw_credential *cred)
{
	if (!cred)
		return;
	if (cred->payload) {
		gw_auth_wipe(cred->payload, cred->payload_len);
		free(cred->payload);
	}
	cred->payload = NULL;
	cred->payload_len = 0;
}

unsigned gw_auth_http_status(int code)
{
	switch (code) {
	case EACCES:
		return 401;
	case EPERM:
		return 403;
	case EINVAL:
		return 400;
	case EAGAIN:
		return 503;
	default:
		return 500;
	}
}

/* munged could not be asked (its problem, not the caller's) vs a credential
 * that is not good. */
static int munge_error(munge_err_t e, struct berth_error *err)
{
	switch (e) {
	case EMUNGE_SOCKET:
	case EMUNGE_TIMEOUT:
	case EMUNGE_SNAFU:
	case EMUNGE_NO_MEMORY:
		return berth_error_set(err, EAGAIN, "cannot check credentials: munged: %s",
				       munge_strerror(e));
	default:
		return berth_error_set(err, EACCES, "munge credential rejected: %s",
				       munge_strerror(e));
	}
}

int gw_auth_decode(const char *munge_socket, const char *cred_text,
		   struct gw_credential *cred, struct berth_error *err)
{
	munge_ctx_t ctx;
	munge_err_t e;
	void *payload = NULL;
	int len = 0;
	uid_t uid;
	gid_t gid;

	memset(cred, 0, sizeof(*cred));
	if (!cred_text || !*cred_text)
		return berth_error_set(err, EACCES, "no munge credential (header \"%s\")",
				       GW_AUTH_HEADER);
	if (strlen(cred_text) > GW_CRED_MAX)
		return berth_error_set(err, EACCES, "munge credential longer than %d bytes",
				       GW_CRED_MAX);
	ctx = munge_ctx_create();
	if (!ctx)
		return berth_error_set(err, ENOMEM, "out of memory");
	if (munge_socket && *munge_socket &&
	    munge_ctx_set(ctx, MUNGE_OPT_SOCKET, munge_socket) != EMUNGE_SUCCESS) {
		munge_ctx_destroy(ctx);
		return berth_error_set(err, EAGAIN, "cannot use munge socket \"%s\"", munge_socket);
	}
	e = munge_decode(cred_text, ctx, &payload, &len, &uid, &gid);
	munge_ctx_destroy(ctx);
	if (e != EMUNGE_SUCCESS) {
		if (payload) {
			gw_auth_wipe(payload, (size_t)(len > 0 ? len : 0));
			free(payload);
		}
		return munge_error(e, err);
	}
	cred->uid = uid;
	cred->gid = gid;
	cred->payload = payload;
	cred->payload_len = len > 0 ? (size_t)len : 0;
	return 0;
}

static int parse_on_behalf(const char *text, uid_t *uid, struct berth_error *err)
{
	char quoted[BERTH_QUOTE_SIZE];
	unsigned long v;
	char *end;

	if (*text < '0' || *text > '9' || strlen(text) > 10)
		goto bad;
	errno = 0;
	v = strtoul(text, &end, 10);
	if (errno || *end || v >= (unsigned long)(uid_t)-1)
		goto bad;
	*uid = (uid_t)v;
	return 0;
bad:
	return berth_error_set(err, EINVAL, "%s: expected a numeric uid, got \"%s\"",
			       GW_ON_BEHALF_HEADER, berth_error_quote(quoted, text, strlen(text)));
}

static bool uid_listed(uid_t uid, const uid_t *list, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		if (list[i] == uid)
			return true;
	return false;
}

/* Primary gid (when want_gid) and groups of uid from passwd/group.  A uid
 * without a passwd entry: ENOENT. */
static int lookup_groups(uid_t uid, bool want_gid, struct gw_caller *caller,
			 struct berth_error *err)
{
	struct passwd pw, *res = NULL;
	char *buf;
	int n = GW_GROUPS_MAX, rc;

	buf = malloc(PW_BUF_SIZE);
	if (!buf)
		return berth_error_set(err, ENOMEM, "out of memory");
	rc = getpwuid_r(uid, &pw, buf, PW_BUF_SIZE, &res);
	if (rc || !res) {
		free(buf);
		return berth_error_set(err, ENOENT, "uid %u: no such user on the gateway host",
				       (unsigned)uid);
	}
	if (want_gid)
		caller->gid = res->pw_gid;
	if (getgrouplist(res->pw_name, caller->gid, caller->groups, &n) < 0) {
		berth_verbose("uid %u is in more than %d groups; the first %d are used",
			      (unsigned)uid, GW_GROUPS_MAX, GW_GROUPS_MAX);
		n = GW_GROUPS_MAX;
	}
	caller->ngroups = (size_t)n;
	free(buf);
	return 0;
}

int gw_auth_caller(const struct gw_config *cfg, const struct gw_credential *cred,
		   const char *on_behalf, struct gw_caller *caller, struct berth_error *err)
{
	bool proxied = on_behalf != NULL;

	memset(caller, 0, sizeof(*caller));
	caller->uid = cred->uid;
	caller->gid = cred->gid;
	if (proxied) {
		if (!uid_listed(cred->uid, cfg->proxy_uid_list, cfg->proxy_uid_count))
			return berth_error_set(err, EPERM,
					       "uid %u may not send %s (not in trusted_proxy_uids)",
					       (unsigned)cred->uid, GW_ON_BEHALF_HEADER);
		if (parse_on_behalf(on_behalf, &caller->uid, err) < 0)
			return -1;
	}
	if (lookup_groups(caller->uid, proxied, caller, err) < 0) {
		if (err && err->code == ENOMEM)
			return -1;
		if (proxied) {
			err->code = EINVAL;
			return berth_error_prefix(err, "%s", GW_ON_BEHALF_HEADER);
		}
		/* a credential's own uid needs no account here: its gid only */
		berth_error_clear(err);
		caller->groups[0] = caller->gid;
		caller->ngroups = 1;
	}
	caller->admin = caller->uid == 0 ||
			uid_listed(caller->uid, cfg->admin_uid_list, cfg->admin_uid_count);
	caller->importer = caller->admin ||
			   uid_listed(caller->uid, cfg->import_uid_list, cfg->import_uid_count);
	return 0;
}

static int login_field(struct json_object *obj, const char *key, char *dst, size_t size,
		       struct berth_error *err)
{
	struct json_object *val;
	const char *text;
	size_t len;

	if (!json_object_object_get_ex(obj, key, &val) || !json_object_is_type(val, json_type_string))
		return berth_error_set(err, EINVAL,
				       "registry login: \"%s\" missing or not a string", key);
	text = json_object_get_string(val);
	len = (size_t)json_object_get_string_len(val);
	if (len == 0 || len >= size || strlen(text) != len)
		return berth_error_set(err, EINVAL,
				       "registry login: \"%s\" must have 1..%zu bytes and no NUL",
				       key, size - 1);
	memcpy(dst, text, len + 1);
	return 0;
}

/* json-c keeps copies of the strings; they are wiped before the object is
 * released. */
static void wipe_json_strings(struct json_object *obj)
{
	json_object_object_foreach(obj, key, val) {
		(void)key;
		if (json_object_is_type(val, json_type_string))
			gw_auth_wipe((char *)json_object_get_string(val),
				     (size_t)json_object_get_string_len(val));
	}
}

int gw_auth_parse_login(const char *payload, size_t len, struct gw_registry_login *login,
			bool *has_login, struct berth_error *err)
{
	struct json_tokener *tok;
	struct json_object *obj;
	int rc = 0;

	memset(login, 0, sizeof(*login));
	*has_login = false;
	if (!payload || len == 0)
		return 0;
	tok = json_tokener_new();
	if (!tok)
		return berth_error_set(err, ENOMEM, "out of memory");
	obj = json_tokener_parse_ex(tok, payload, (int)len);
	if (!obj || json_tokener_get_parse_end(tok) != len ||
	    !json_object_is_type(obj, json_type_object)) {
		rc = berth_error_set(err, EINVAL, "registry login: credential payload is not a JSON object");
		goto out;
	}
	json_object_object_foreach(obj, key, val) {
		(void)val;
		if (strcmp(key, "username") && strcmp(key, "password")) {
			char quoted[BERTH_QUOTE_SIZE];

			rc = berth_error_set(err, EINVAL, "registry login: unknown field \"%s\"",
					     berth_error_quote(quoted, key, strlen(key)));
			goto out;
		}
	}
	if (login_field(obj, "username", login->username, sizeof(login->username), err) < 0 ||
	    login_field(obj, "password", login->password, sizeof(login->password), err) < 0) {
		gw_auth_wipe(login, sizeof(*login));
		rc = -1;
		goto out;
	}
	*has_login = true;
out:
	if (obj) {
		if (json_object_is_type(obj, json_type_object))
			wipe_json_strings(obj);
		json_object_put(obj);
	}
	json_tokener_free(tok);
	return rc;
}
