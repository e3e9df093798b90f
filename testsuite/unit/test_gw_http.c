/*
 * test_gw_http.c - berth-gatewayd's HTTP layer: listen addresses, status
 * codes, request bodies, registry-login payloads, callers (roles, proxy),
 * and a live server on a free port for what needs no munge credential
 * (health, 404, 405, 401, 503 when munged is unreachable).  Credentials
 * themselves are tested against a real munged in
 * testsuite/gateway/test_gatewayd_live.py.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "berth_log.h"
#include "gw_auth.h"
#include "gw_http.h"
#include "gw_http_internal.h"
#include "unit.h"

/* ---- listen addresses ---------------------------------------------------- */
START_TEST(listen_ipv4)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct sockaddr_storage ss;
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	socklen_t len;

	ck_assert_int_eq(gw_http_parse_listen("10.77.0.1:7050", &ss, &len, &err), 0);
	ck_assert_int_eq(a4->sin_family, AF_INET);
	ck_assert_int_eq(ntohs(a4->sin_port), 7050);
	ck_assert_uint_eq(ntohl(a4->sin_addr.s_addr), 0x0a4d0001);
	ck_assert_int_eq(len, sizeof(*a4));
	ck_assert_int_eq(gw_http_parse_listen("*:80", &ss, &len, &err), 0);
	ck_assert_uint_eq(a4->sin_addr.s_addr, htonl(INADDR_ANY));
	ck_assert_int_eq(gw_http_parse_listen("127.0.0.1:0", &ss, &len, &err), 0);
}
END_TEST

START_TEST(listen_ipv6)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct sockaddr_storage ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;

	ck_assert_int_eq(gw_http_parse_listen("[::1]:65535", &ss, &len, &err), 0);
	ck_assert_int_eq(a6->sin6_family, AF_INET6);
	ck_assert_int_eq(ntohs(a6->sin6_port), 65535);
	ck_assert(IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr));
	ck_assert_int_eq(len, sizeof(*a6));
}
END_TEST

static const struct {
	const char *text;
	const char *msg;
} bad_listen[] = {
	{ "::1:7050", "listen: expected IPV4:PORT, [IPV6]:PORT or *:PORT, got \"::1:7050\"" },
	{ "localhost:7050", "listen: expected IPV4:PORT, [IPV6]:PORT or *:PORT, got \"localhost:7050\"" },
	{ "7050", "listen: expected IPV4:PORT, [IPV6]:PORT or *:PORT, got \"7050\"" },
	{ ":7050", "listen: expected IPV4:PORT, [IPV6]:PORT or *:PORT, got \":7050\"" },
	{ "[::1]7050", "listen: expected IPV4:PORT, [IPV6]:PORT or *:PORT, got \"[::1]7050\"" },
	{ "[1.2.3.4]:1", "listen: expected IPV4:PORT, [IPV6]:PORT or *:PORT, got \"[1.2.3.4]:1\"" },
	{ "1.2.3.400:1", "listen: expected IPV4:PORT, [IPV6]:PORT or *:PORT, got \"1.2.3.400:1\"" },
	{ "127.0.0.1:65536", "listen: bad port \"65536\"" },
	{ "127.0.0.1:", "listen: bad port \"\"" },
	{ "127.0.0.1:-1", "listen: bad port \"-1\"" },
	{ "127.0.0.1:80x", "listen: bad port \"80x\"" },
	{ "127.0.0.1:0000080", "listen: bad port \"0000080\"" },
};

START_TEST(listen_bad)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct sockaddr_storage ss;
	socklen_t len;

	ck_assert_int_eq(gw_http_parse_listen(bad_listen[_i].text, &ss, &len, &err), -1);
	ck_assert_int_eq(err.code, EINVAL);
	ck_assert_str_eq(err.msg, bad_listen[_i].msg);
}
END_TEST

/* ---- status codes -------------------------------------------------------- */
START_TEST(status_codes)
{
	ck_assert_uint_eq(gw_http_status_for_error(EINVAL), 400);
	ck_assert_uint_eq(gw_http_status_for_error(ENOENT), 404);
	ck_assert_uint_eq(gw_http_status_for_error(EPERM), 403);
	ck_assert_uint_eq(gw_http_status_for_error(EBUSY), 409);
	ck_assert_uint_eq(gw_http_status_for_error(EAGAIN), 503);
	ck_assert_uint_eq(gw_http_status_for_error(ESHUTDOWN), 503);
	ck_assert_uint_eq(gw_http_status_for_error(EHOSTUNREACH), 502);
	ck_assert_uint_eq(gw_http_status_for_error(ECONNREFUSED), 502);
	ck_assert_uint_eq(gw_http_status_for_error(ETIMEDOUT), 502);
	ck_assert_uint_eq(gw_http_status_for_error(EPROTO), 502);
	ck_assert_uint_eq(gw_http_status_for_error(EBADMSG), 502);
	ck_assert_uint_eq(gw_http_status_for_error(EIO), 500);
	ck_assert_uint_eq(gw_http_status_for_error(ENOMEM), 500);
	ck_assert_uint_eq(gw_http_status_for_error(EACCES), 500);
	ck_assert_uint_eq(gw_http_status_for_error(0), 500);
	ck_assert_uint_eq(gw_auth_http_status(EACCES), 401);
	ck_assert_uint_eq(gw_auth_http_status(EPERM), 403);
	ck_assert_uint_eq(gw_auth_http_status(EINVAL), 400);
	ck_assert_uint_eq(gw_auth_http_status(EAGAIN), 503);
	ck_assert_uint_eq(gw_auth_http_status(ENOMEM), 500);
}
END_TEST

START_TEST(error_body_one_line)
{
	struct gw_reply reply = { 0 };

	gw_reply_error(&reply, 404, "image \"x\"\nnot found\t/ here");
	ck_assert_uint_eq(reply.status, 404);
	ck_assert_str_eq(reply.body, "{\"error\":\"image \\\"x\\\"?not found?/ here\"}");
	ck_assert_str_eq(reply.message, "image \"x\"?not found?/ here");
	free(reply.body);
}
END_TEST

/* ---- JSON bodies --------------------------------------------------------- */
static const char *const ref_keys[] = { "ref", "users", NULL };

static const struct {
	const char *body;
	const char *msg;
} bad_bodies[] = {
	{ "", "empty body: expected a JSON object" },
	{ "{\"ref\": ", "body is not JSON: unexpected end" },
	{ "{\"ref\": \"a\"} x", "body is not JSON: text after the value" },
	{ "{\"ref\": \"a\"}{}", "body is not JSON: text after the value" },
	{ "[\"ref\"]", "body is not a JSON object" },
	{ "\"ref\"", "body is not a JSON object" },
	{ "{\"ref\": \"a\", \"Ref\": 1}", "unknown field \"Ref\"" },
	{ "{ref: 1}", NULL },  /* json-c's own message */
};

START_TEST(body_bad)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct json_object *obj = (struct json_object *)1;
	const char *body = bad_bodies[_i].body;

	ck_assert_int_eq(gw_json_parse_object(body, strlen(body), ref_keys, &obj, &err), -1);
	ck_assert_ptr_null(obj);
	ck_assert_int_eq(err.code, EINVAL);
	if (bad_bodies[_i].msg)
		ck_assert_str_eq(err.msg, bad_bodies[_i].msg);
	else
		ck_assert_str_eq(err.msg, "body is not JSON: quoted object property name expected");
}
END_TEST

START_TEST(body_nul_byte)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct json_object *obj;

	ck_assert_int_eq(gw_json_parse_object("{\"ref\":\"a\0b\"}", 13, ref_keys, &obj, &err), -1);
	ck_assert_str_eq(err.msg, "body is not JSON: NUL byte");
}
END_TEST

START_TEST(body_ref)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_image_ref ref;
	struct json_object *obj;
	const char *body = "{\"ref\": \"busybox\"}\n";

	ck_assert_int_eq(gw_json_parse_object(body, strlen(body), ref_keys, &obj, &err), 0);
	ck_assert_int_eq(gw_json_ref(obj, &ref, &err), 0);
	ck_assert_int_eq(ref.type, BERTH_IMAGE_DOCKER);
	ck_assert_str_eq(ref.registry, "docker.io");
	ck_assert_str_eq(ref.repository, "library/busybox");
	ck_assert_str_eq(ref.tag, "latest");
	json_object_put(obj);
}
END_TEST

static const struct {
	const char *body;
	const char *msg;
} bad_refs[] = {
	{ "{}", "field \"ref\" missing" },
	{ "{\"ref\": 7}", "field \"ref\" must be a string" },
	{ "{\"ref\": null}", "field \"ref\" must be a string" },
	{ "{\"ref\": \"local:/x.sqfs\"}", "ref: local: images are on the nodes, not in the gateway" },
	{ "{\"ref\": \"docker:Ubuntu\"}", "ref: repository \"Ubuntu\": must be lowercase" },
	{ "{\"ref\": \"a\\u0000b\"}", "ref: NUL byte" },
};

START_TEST(ref_bad)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_image_ref ref;
	struct json_object *obj;
	const char *body = bad_refs[_i].body;

	ck_assert_int_eq(gw_json_parse_object(body, strlen(body), ref_keys, &obj, &err), 0);
	ck_assert_int_eq(gw_json_ref(obj, &ref, &err), -1);
	ck_assert_int_eq(err.code, EINVAL);
	ck_assert_str_eq(err.msg, bad_refs[_i].msg);
	json_object_put(obj);
}
END_TEST

START_TEST(users_and_groups)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct json_object *obj;
	const char *body = "{\"users\": [\"root\", \"2002\", 2003], \"groups\": [\"root\", \"44\"]}";
	uid_t *uids;
	gid_t *gids;
	size_t n;

	obj = json_tokener_parse(body);
	ck_assert_int_eq(gw_json_uids(obj, "users", &uids, &n, &err), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(uids[0], 0);
	ck_assert_uint_eq(uids[1], 2002);
	ck_assert_uint_eq(uids[2], 2003);
	free(uids);
	ck_assert_int_eq(gw_json_gids(obj, "groups", &gids, &n, &err), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(gids[0], 0);
	ck_assert_uint_eq(gids[1], 44);
	free(gids);
	ck_assert_int_eq(gw_json_uids(obj, "absent", &uids, &n, &err), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(uids);
	json_object_put(obj);
}
END_TEST

static const struct {
	const char *body;
	bool users;
	const char *msg;
} bad_ids[] = {
	{ "{\"users\": [\"no-such-user-berth\"]}", true, "users: unknown user \"no-such-user-berth\"" },
	{ "{\"groups\": [\"no-such-group-berth\"]}", false, "groups: unknown group \"no-such-group-berth\"" },
	{ "{\"users\": \"root\"}", true, "field \"users\" must be an array" },
	{ "{\"users\": [-1]}", true, "users: user id -1 out of range" },
	{ "{\"users\": [4294967295]}", true, "users: user id 4294967295 out of range" },
	{ "{\"users\": [\"12x\"]}", true, "users: bad user id \"12x\"" },
	{ "{\"groups\": [true]}", false, "groups: group: expected a name or a number" },
	{ "{\"users\": [\"bad\\nname\"]}", true, "users: unknown user \"bad?name\"" },
};

START_TEST(ids_bad)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct json_object *obj = json_tokener_parse(bad_ids[_i].body);
	unsigned *ids = (unsigned *)1;
	size_t n = 7;
	int rc;

	ck_assert_ptr_nonnull(obj);
	rc = bad_ids[_i].users ? gw_json_uids(obj, "users", &ids, &n, &err) :
				 gw_json_gids(obj, "groups", &ids, &n, &err);
	ck_assert_int_eq(rc, -1);
	ck_assert_ptr_null(ids);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(err.code, EINVAL);
	ck_assert_str_eq(err.msg, bad_ids[_i].msg);
	json_object_put(obj);
}
END_TEST

START_TEST(ids_too_many)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct json_object *obj = json_object_new_object(), *arr = json_object_new_array();
	uid_t *ids;
	size_t n;
	int i;

	for (i = 0; i <= GW_LIST_NAMES_MAX; i++)
		json_object_array_add(arr, json_object_new_int(i));
	json_object_object_add(obj, "users", arr);
	ck_assert_int_eq(gw_json_uids(obj, "users", &ids, &n, &err), -1);
	ck_assert_str_eq(err.msg, "field \"users\": more than 256 entries");
	json_object_put(obj);
}
END_TEST

/* ---- records ------------------------------------------------------------- */
START_TEST(record_json)
{
	struct gw_image_record rec;
	struct json_object *obj, *val;

	memset(&rec, 0, sizeof(rec));
	strcpy(rec.ref, "docker:127.0.0.1:15000/busybox:latest");
	strcpy(rec.digest, "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	rec.status = GW_STATUS_PULLING;
	rec.is_private = true;
	rec.download_size = 5000000000ULL;
	rec.created = 1763900000;
	strcpy(rec.progress.phase, "download");
	rec.progress.layers_total = 3;
	rec.progress.bytes_done = 4000000000ULL;
	obj = gw_json_record(&rec);
	ck_assert_str_eq(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
		"{\"ref\":\"docker:127.0.0.1:15000/busybox:latest\","
		"\"digest\":\"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\","
		"\"status\":\"PULLING\",\"message\":\"\",\"private\":true,\"size\":0,"
		"\"download_size\":5000000000,\"created\":1763900000,\"last_pull\":0,\"last_lookup\":0,"
		"\"progress\":{\"phase\":\"download\",\"layers_total\":3,\"layers_done\":0,"
		"\"bytes_total\":0,\"bytes_done\":4000000000}}");
	json_object_put(obj);
	rec.status = GW_STATUS_READY;
	obj = gw_json_record(&rec);
	ck_assert(!json_object_object_get_ex(obj, "progress", &val));
	ck_assert_str_eq(json_object_get_string(json_object_object_get(obj, "status")), "READY");
	json_object_put(obj);
	rec.status = GW_STATUS_FAILURE;
	obj = gw_json_record(&rec);
	ck_assert(!json_object_object_get_ex(obj, "progress", &val));
	json_object_put(obj);
}
END_TEST

/* ---- registry login payload ---------------------------------------------- */
START_TEST(login_ok)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct gw_registry_login login;
	const char *p = "{\"username\":\"alice\",\"password\":\"won der/land\"}";
	bool has = true;

	ck_assert_int_eq(gw_auth_parse_login(NULL, 0, &login, &has, &err), 0);
	ck_assert(!has);
	ck_assert_int_eq(gw_auth_parse_login(p, strlen(p), &login, &has, &err), 0);
	ck_assert(has);
	ck_assert_str_eq(login.username, "alice");
	ck_assert_str_eq(login.password, "won der/land");
}
END_TEST

static const struct {
	const char *payload;
	const char *msg;
} bad_logins[] = {
	{ "alice:secret", "registry login: credential payload is not a JSON object" },
	{ "[]", "registry login: credential payload is not a JSON object" },
	{ "{\"username\":\"a\"}", "registry login: \"password\" missing or not a string" },
	{ "{\"username\":1,\"password\":\"p\"}", "registry login: \"username\" missing or not a string" },
	{ "{\"username\":\"\",\"password\":\"p\"}", "registry login: \"username\" must have 1..255 bytes and no NUL" },
	{ "{\"username\":\"a\",\"password\":\"p\",\"x\":1}", "registry login: unknown field \"x\"" },
	{ "{\"username\":\"a\",\"password\":\"p\"} {}", "registry login: credential payload is not a JSON object" },
};

START_TEST(login_bad)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct gw_registry_login login;
	const char *p = bad_logins[_i].payload;
	bool has = true;

	ck_assert_int_eq(gw_auth_parse_login(p, strlen(p), &login, &has, &err), -1);
	ck_assert(!has);
	ck_assert_int_eq(err.code, EINVAL);
	ck_assert_str_eq(err.msg, bad_logins[_i].msg);
	ck_assert_str_eq(login.password, "");
}
END_TEST

START_TEST(login_too_long)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct gw_registry_login login;
	char p[1200];
	bool has;

	snprintf(p, sizeof(p), "{\"username\":\"a\",\"password\":\"%01030d\"}", 0);
	ck_assert_int_eq(gw_auth_parse_login(p, strlen(p), &login, &has, &err), -1);
	ck_assert_str_eq(err.msg, "registry login: \"password\" must have 1..1023 bytes and no NUL");
}
END_TEST

/* ---- callers -------------------------------------------------------------- */
static struct gw_config cfg;

static void setup_cfg(void)
{
	static uid_t proxies[] = { 0, 64000 };
	static uid_t admins[] = { 64001 };
	static uid_t importers[] = { 64002 };

	memset(&cfg, 0, sizeof(cfg));
	cfg.proxy_uid_list = proxies;
	cfg.proxy_uid_count = 2;
	cfg.admin_uid_list = admins;
	cfg.admin_uid_count = 1;
	cfg.import_uid_list = importers;
	cfg.import_uid_count = 1;
}

START_TEST(caller_roles)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct gw_credential cred = { 0, 0, NULL, 0 };
	struct gw_caller c;

	setup_cfg();
	ck_assert_int_eq(gw_auth_caller(&cfg, &cred, NULL, &c, &err), 0);
	ck_assert(c.admin && c.importer);
	ck_assert_uint_eq(c.uid, 0);
	ck_assert_uint_ge(c.ngroups, 1);
	ck_assert_uint_eq(c.groups[0], 0);
	/* uids without an account on this host: their credential's gid only */
	cred.uid = 64001;
	cred.gid = 64101;
	ck_assert_int_eq(gw_auth_caller(&cfg, &cred, NULL, &c, &err), 0);
	ck_assert(c.admin && c.importer);
	ck_assert_uint_eq(c.ngroups, 1);
	ck_assert_uint_eq(c.groups[0], 64101);
	cred.uid = 64002;
	ck_assert_int_eq(gw_auth_caller(&cfg, &cred, NULL, &c, &err), 0);
	ck_assert(!c.admin && c.importer);
	cred.uid = 64003;
	ck_assert_int_eq(gw_auth_caller(&cfg, &cred, NULL, &c, &err), 0);
	ck_assert(!c.admin && !c.importer);
}
END_TEST

START_TEST(caller_on_behalf)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct gw_credential cred = { 0, 0, NULL, 0 };
	struct passwd *nobody = getpwnam("nobody");
	char text[16];
	struct gw_caller c;

	ck_assert_ptr_nonnull(nobody);
	setup_cfg();
	snprintf(text, sizeof(text), "%u", (unsigned)nobody->pw_uid);
	ck_assert_int_eq(gw_auth_caller(&cfg, &cred, text, &c, &err), 0);
	ck_assert_uint_eq(c.uid, nobody->pw_uid);
	ck_assert_uint_eq(c.gid, nobody->pw_gid);   /* from passwd, not the proxy's */
	ck_assert_uint_ge(c.ngroups, 1);
	ck_assert_uint_eq(c.groups[0], nobody->pw_gid);
	ck_assert(!c.admin && !c.importer);         /* roles of the uid asked for */
	/* the proxy's own rights do not carry over; on behalf of root is root */
	ck_assert_int_eq(gw_auth_caller(&cfg, &cred, "0", &c, &err), 0);
	ck_assert(c.admin);
}
END_TEST

static const struct {
	uid_t proxy;
	const char *header;
	int code;
	const char *msg;
} bad_behalf[] = {
	{ 2001, "2002", EPERM, "uid 2001 may not send x-berth-on-behalf-of (not in trusted_proxy_uids)" },
	{ 0, "alice", EINVAL, "x-berth-on-behalf-of: expected a numeric uid, got \"alice\"" },
	{ 0, "", EINVAL, "x-berth-on-behalf-of: expected a numeric uid, got \"\"" },
	{ 0, "-1", EINVAL, "x-berth-on-behalf-of: expected a numeric uid, got \"-1\"" },
	{ 0, "1 ", EINVAL, "x-berth-on-behalf-of: expected a numeric uid, got \"1 \"" },
	{ 0, "4294967295", EINVAL, "x-berth-on-behalf-of: expected a numeric uid, got \"4294967295\"" },
	{ 0, "99999999999", EINVAL, "x-berth-on-behalf-of: expected a numeric uid, got \"99999999999\"" },
	{ 64000, "64999", EINVAL, "x-berth-on-behalf-of: uid 64999: no such user on the gateway host" },
};

START_TEST(caller_on_behalf_bad)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct gw_credential cred = { bad_behalf[_i].proxy, 0, NULL, 0 };
	struct gw_caller c;

	setup_cfg();
	ck_assert_int_eq(gw_auth_caller(&cfg, &cred, bad_behalf[_i].header, &c, &err), -1);
	ck_assert_int_eq(err.code, bad_behalf[_i].code);
	ck_assert_str_eq(err.msg, bad_behalf[_i].msg);
}
END_TEST

START_TEST(decode_missing)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct gw_credential cred;

	ck_assert_int_eq(gw_auth_decode(NULL, NULL, &cred, &err), -1);
	ck_assert_int_eq(err.code, EACCES);
	ck_assert_str_eq(err.msg, "no munge credential (header \"authentication\")");
	ck_assert_int_eq(gw_auth_decode(NULL, "", &cred, &err), -1);
	ck_assert_int_eq(err.code, EACCES);
}
END_TEST

START_TEST(decode_no_munged)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct gw_credential cred;

	ck_assert_int_eq(gw_auth_decode("/nonexistent/berth/munge.socket", "MUNGE:AAAA:", &cred, &err), -1);
	ck_assert_int_eq(err.code, EAGAIN);
	ck_assert_str_eq(err.msg, "cannot check credentials: munged: Socket communication error");
	ck_assert_ptr_null(cred.payload);
}
END_TEST

/* ---- berth-gateway.conf --------------------------------------------------- */
static int load_config_text(const char *text, struct gw_config *out, struct berth_error *err)
{
	char path[] = "/tmp/berth-test-gw-conf.XXXXXX";
	int fd = mkstemp(path), rc;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	rc = gw_config_load(path, out, err);
	unlink(path);
	/* the temporary name in messages becomes "CONF" */
	if (rc < 0 && !strncmp(err->msg, path, strlen(path))) {
		char rest[BERTH_ERROR_MSG_MAX];

		snprintf(rest, sizeof(rest), "CONF%s", err->msg + strlen(path));
		snprintf(err->msg, sizeof(err->msg), "%s", rest);
	}
	return rc;
}

START_TEST(config_defaults_and_lists)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct gw_config c;

	ck_assert_int_eq(load_config_text("trusted_proxy_uids = root, 2001\nimport_uids = nobody\n"
					  "insecure_registries = a:5000,b\n", &c, &err), 0);
	ck_assert(!c.allow_root);
	ck_assert_str_eq(c.listen, "127.0.0.1:7050");
	ck_assert_str_eq(c.log_level, "info");
	ck_assert_str_eq(c.pid_file, "");
	ck_assert_uint_eq(c.autoexpire_interval_ms, 3600 * 1000);
	ck_assert_uint_eq(c.proxy_uid_count, 2);
	ck_assert_uint_eq(c.proxy_uid_list[0], 0);
	ck_assert_uint_eq(c.proxy_uid_list[1], 2001);
	ck_assert_uint_eq(c.import_uid_count, 1);
	ck_assert_uint_eq(c.import_uid_list[0], getpwnam("nobody")->pw_uid);
	ck_assert_uint_eq(c.header_timeout_ms, 10000);
	ck_assert_uint_eq(c.body_timeout_ms, 60000);
	ck_assert_uint_eq(c.connection_limit, 1000);
	ck_assert_uint_eq(c.per_ip_connection_limit, 64);
	ck_assert_str_eq(c.proxy_socket, "");
	ck_assert_uint_eq(c.proxy_socket_perm, 0660);
	ck_assert_str_eq(c.allow_list[0], "*");
	ck_assert_ptr_null(c.allow_list[1]);
	ck_assert_ptr_null(c.redirect_allow_list[0]);
	ck_assert_str_eq(c.insecure_list[0], "a:5000");
	ck_assert_str_eq(c.insecure_list[1], "b");
	ck_assert_ptr_null(c.insecure_list[2]);
	gw_config_free(&c);
}
END_TEST

static const struct {
	const char *text;
	const char *msg;
} bad_configs[] = {
	{ "log_level = loud\n", "CONF: log_level: expected error, info, verbose or debug, got \"loud\"" },
	{ "pid_file = run/gw.pid\n", "CONF: pid_file: expected an absolute path" },
	{ "log_file = gw.log\n", "CONF: log_file: expected an absolute path" },
	{ "allow_root = maybe\n", NULL },
	{ "autoexpire_interval = soon\n", NULL },
	{ "autoexpire_interval = -5s\n", NULL },
	{ "admin_uids = root, no-such-user-berth\n", "CONF: admin_uids: unknown user \"no-such-user-berth\"" },
	{ "listen = 7050\n", "CONF: listen: expected ADDR:PORT, got \"7050\"" },
	{ "proxy_socket = run/gw.sock\n", "CONF: proxy_socket: expected an absolute path under 108 bytes" },
	{ "proxy_socket_mode = 0999\n", "CONF: proxy_socket_mode: expected octal permission bits, got \"0999\"" },
	{ "proxy_socket_mode = 1777\n", "CONF: proxy_socket_mode: expected octal permission bits, got \"1777\"" },
	{ "header_timeout = 500ms\n", "CONF: header_timeout: at least 1s" },
};

START_TEST(config_bad)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct gw_config c;

	ck_assert_int_eq(load_config_text(bad_configs[_i].text, &c, &err), -1);
	ck_assert_int_eq(err.code, EINVAL);
	if (bad_configs[_i].msg)
		ck_assert_str_eq(err.msg, bad_configs[_i].msg);
	ck_assert_ptr_null(c.listen);   /* freed */
}
END_TEST

/* ---- documentation -------------------------------------------------------- */
static char *read_source_file(const char *rel)
{
	const char *srcdir = getenv("srcdir");
	char path[1024], *text;
	FILE *f;
	long len;

	snprintf(path, sizeof(path), "%s/%s", srcdir ? srcdir : ".", rel);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)len + 1);
	ck_assert_uint_eq(fread(text, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	return text;
}

/* every key of the schema in berth-gateway.conf(5) and the example file */
START_TEST(every_key_documented)
{
	char *man = read_source_file("doc/berth-gateway.conf.5");
	char *example = read_source_file("etc/berth-gateway.conf.example");
	const struct berth_conf_key *key;
	char want[128], set[128];

	for (key = gw_config_schema; key->name; key++) {
		snprintf(want, sizeof(want), "\n.BI %s \" = ", key->name);
		ck_assert_msg(strstr(man, want), "%s not in doc/berth-gateway.conf.5", key->name);
		snprintf(want, sizeof(want), "\n#%s =", key->name);
		snprintf(set, sizeof(set), "\n%s =", key->name);
		ck_assert_msg(strstr(example, want) || strstr(example, set),
			      "%s not in etc/berth-gateway.conf.example", key->name);
	}
	free(man);
	free(example);
}
END_TEST

#include "test_gw_http.h"

static Suite *gw_http_suite(void)
{
	Suite *s = suite_create("gw_http");
	TCase *tc = tcase_create("pure");

	tcase_add_test(tc, listen_ipv4);
	tcase_add_test(tc, listen_ipv6);
	tcase_add_loop_test(tc, listen_bad, 0, ARRAY_LEN(bad_listen));
	tcase_add_test(tc, status_codes);
	tcase_add_test(tc, error_body_one_line);
	tcase_add_loop_test(tc, body_bad, 0, ARRAY_LEN(bad_bodies));
	tcase_add_test(tc, body_nul_byte);
	tcase_add_test(tc, body_ref);
	tcase_add_loop_test(tc, ref_bad, 0, ARRAY_LEN(bad_refs));
	tcase_add_test(tc, users_and_groups);
	tcase_add_loop_test(tc, ids_bad, 0, ARRAY_LEN(bad_ids));
	tcase_add_test(tc, ids_too_many);
	tcase_add_test(tc, record_json);
	tcase_add_test(tc, login_ok);
	tcase_add_loop_test(tc, login_bad, 0, ARRAY_LEN(bad_logins));
	tcase_add_test(tc, login_too_long);
	tcase_add_test(tc, caller_roles);
	tcase_add_test(tc, caller_on_behalf);
	tcase_add_loop_test(tc, caller_on_behalf_bad, 0, ARRAY_LEN(bad_behalf));
	tcase_add_test(tc, decode_missing);
	tcase_add_test(tc, decode_no_munged);
	tcase_add_test(tc, every_key_documented);
	tcase_add_test(tc, config_defaults_and_lists);
	tcase_add_loop_test(tc, config_bad, 0, ARRAY_LEN(bad_configs));
	suite_add_tcase(s, tc);
	suite_add_tcase(s, gw_http_live_tcase());
	return s;
}

int main(void)
{
	berth_log_set_level(BERTH_LOG_ERROR);
	return unit_run(gw_http_suite());
}
