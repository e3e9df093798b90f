/*
 * test_gw_http_live.c - berth-gatewayd's HTTP layer on a free loopback
 * port with the real core behind it: what can be asked without a munge
 * credential.  munge_socket points nowhere, so a credential cannot be
 * checked (503), which is not the caller's fault.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "berth_error.h"
#include "fs_util.h"
#include "gw_config.h"
#include "gw_http.h"
#include "gw_service.h"
#include "test_gw_http.h"
#include "unit.h"

static char dir[64];
static struct gw_config cfg;
static struct gw_service *svc;
static struct gw_http *http;
static bool request6;   /* ask [::1] instead of 127.0.0.1 */
static const char *request_socket;   /* ask over this UNIX socket */

struct reply {
	long status;
	char body[4096];
	size_t len;
	char allow[64];
};

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct reply *r = arg;
	size_t len = size * n, room = sizeof(r->body) - 1 - r->len;

	memcpy(r->body + r->len, data, len < room ? len : room);
	r->len += len < room ? len : room;
	r->body[r->len] = '\0';
	return len;
}

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
	struct reply *r = arg;
	size_t len = size * n;

	if (len > 7 && !strncasecmp(data, "Allow: ", 7))
		snprintf(r->allow, sizeof(r->allow), "%.*s", (int)(len - 9), data + 7);
	return len;
}

static void request(const char *method, const char *path, const char *body,
		    const char *header, struct reply *r)
{
	struct curl_slist *headers = NULL;
	char url[256];
	CURL *curl = curl_easy_init();

	memset(r, 0, sizeof(*r));
	snprintf(url, sizeof(url), "http://%s:%u%s", request6 ? "[::1]" : "127.0.0.1", gw_http_port(http), path);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	if (request_socket)
		curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, request_socket);
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 10000L);
	if (body) {
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	if (header)
		headers = curl_slist_append(headers, header);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, r);
	ck_assert_int_eq(curl_easy_perform(curl), CURLE_OK);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
}

static void server_up(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	char path[256];
	FILE *f;

	snprintf(dir, sizeof(dir), "/tmp/berth-test-gw-http.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/gw.conf", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "listen = 127.0.0.1:0\nhttp_threads = 2\nmunge_socket = %s/no-munged\n"
		"image_dir = %s/images\nstate_dir = %s/state\nworkers = 1\n", dir, dir, dir);
	fclose(f);
	ck_assert_msg(gw_config_load(path, &cfg, &err) == 0, "%s", err.msg);
	svc = gw_service_create(&cfg, &err);
	ck_assert_msg(svc != NULL, "%s", err.msg);
	http = gw_http_start(&cfg, svc, &err);
	ck_assert_msg(http != NULL, "%s", err.msg);
	ck_assert_uint_gt(gw_http_port(http), 0);
}

static void server_down(void)
{
	gw_http_stop(http);
	gw_service_destroy(svc);
	gw_config_free(&cfg);
	berth_remove_tree(dir, NULL);
}

START_TEST(health)
{
	struct json_object *obj, *counters, *val;
	struct reply r;

	request("GET", "/api/v1/health", NULL, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(r.body[r.len - 1], '\n');
	ck_assert_ptr_null(memchr(r.body, '\n', r.len - 1));
	obj = json_tokener_parse(r.body);
	ck_assert_ptr_nonnull(obj);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(obj, "status")), "ok");
	ck_assert(json_object_object_get_ex(obj, "counters", &counters));
	ck_assert(json_object_object_get_ex(counters, "blob_downloads", &val));
	ck_assert(json_object_is_type(val, json_type_int));
	ck_assert(json_object_object_get_ex(obj, "workers", &val));
	json_object_put(obj);
}
END_TEST

START_TEST(unknown_endpoint)
{
	static const char *const paths[] = { "/", "/api/v1", "/api/v1/lookup/", "/api/v2/lookup",
					     "/api/v1/LOOKUP", "/api/v1/health/x" };
	struct reply r;
	size_t i;

	for (i = 0; i < ARRAY_LEN(paths); i++) {
		request("GET", paths[i], NULL, NULL, &r);
		ck_assert_int_eq(r.status, 404);
		ck_assert_str_eq(r.body, "{\"error\":\"no such endpoint (see doc/gateway-api.md)\"}\n");
	}
}
END_TEST

START_TEST(wrong_method)
{
	static const struct { const char *method, *path, *allow; } cases[] = {
		{ "POST", "/api/v1/health", "GET" }, { "GET", "/api/v1/lookup", "POST" },
		{ "PUT", "/api/v1/pull", "POST" }, { "DELETE", "/api/v1/list", "GET" },
		{ "POST", "/api/v1/status", "GET" }, { "GET", "/api/v1/import", "POST" },
		{ "GET", "/api/v1/expire", "POST" }, { "GET", "/api/v1/autoexpire", "POST" },
	};
	char expect[128];
	struct reply r;
	size_t i;

	for (i = 0; i < ARRAY_LEN(cases); i++) {
		request(cases[i].method, cases[i].path, NULL, NULL, &r);
		ck_assert_int_eq(r.status, 405);
		ck_assert_str_eq(r.allow, cases[i].allow);
		snprintf(expect, sizeof(expect), "{\"error\":\"method not allowed: use %s\"}\n", cases[i].allow);
		ck_assert_str_eq(r.body, expect);
	}
}
END_TEST

START_TEST(body_where_none_belongs)
{
	struct reply r;

	request("GET", "/api/v1/health", "{}", NULL, &r);
	ck_assert_int_eq(r.status, 400);
	ck_assert_str_eq(r.body, "{\"error\":\"/api/v1/health takes no body\"}\n");
}
END_TEST

START_TEST(no_credential)
{
	static const char *const posts[] = { "/api/v1/lookup", "/api/v1/pull", "/api/v1/expire",
					     "/api/v1/autoexpire", "/api/v1/import?ref=localhost/x" };
	struct reply r;
	size_t i;

	for (i = 0; i < ARRAY_LEN(posts); i++) {
		request("POST", posts[i], "{\"ref\":\"busybox\"}", NULL, &r);
		ck_assert_int_eq(r.status, 401);
		ck_assert_str_eq(r.body, "{\"error\":\"no munge credential (header \\\"authentication\\\")\"}\n");
	}
	request("GET", "/api/v1/list", NULL, NULL, &r);
	ck_assert_int_eq(r.status, 401);
	request("GET", "/api/v1/status?ref=busybox", NULL, "authentication:", &r);
	ck_assert_int_eq(r.status, 401);
}
END_TEST

START_TEST(munged_unreachable)
{
	struct reply r;

	request("POST", "/api/v1/lookup", "{\"ref\":\"busybox\"}", "authentication: MUNGE:AAAA:", &r);
	ck_assert_int_eq(r.status, 503);
	ck_assert_str_eq(r.body, "{\"error\":\"cannot check credentials: munged: Socket communication error\"}\n");
}
END_TEST

START_TEST(ipv6_listen)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct gw_config cfg6 = cfg;
	struct gw_http *v6, *v4 = http;
	char listen6[] = "[::1]:0";
	struct reply r;

	cfg6.listen = listen6;
	v6 = gw_http_start(&cfg6, svc, &err);
	if (!v6 && err.code == EADDRNOTAVAIL)
		return;   /* no IPv6 loopback here */
	ck_assert_msg(v6 != NULL, "%s", err.msg);
	http = v6;
	request6 = true;
	request("GET", "/api/v1/health", NULL, NULL, &r);
	request6 = false;
	http = v4;
	gw_http_stop(v6);
	ck_assert_int_eq(r.status, 200);
}
END_TEST

START_TEST(listen_busy)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct gw_config busy = cfg;
	char listen[32], expect[96];

	snprintf(listen, sizeof(listen), "127.0.0.1:%u", gw_http_port(http));
	snprintf(expect, sizeof(expect), "cannot listen on %s: Address already in use", listen);
	busy.listen = listen;
	ck_assert_ptr_null(gw_http_start(&busy, svc, &err));
	ck_assert_int_eq(err.code, EADDRINUSE);
	ck_assert_str_eq(err.msg, expect);
}
END_TEST

/* The trusted proxy's UNIX socket: the same API, its own threads; mode
 * from the config, a stale socket replaced, removed at stop. */
START_TEST(proxy_socket)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct gw_config pcfg = cfg;
	struct gw_http *tcp = http;
	char path[128], listen[] = "127.0.0.1:0", expect[256];
	struct stat st;
	struct reply r;
	int fd;

	snprintf(path, sizeof(path), "%s/gw.sock", dir);
	pcfg.listen = listen;
	pcfg.proxy_socket = path;
	pcfg.proxy_socket_perm = 0600;
	fd = open(path, O_WRONLY | O_CREAT, 0600);   /* not a socket: refused */
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_ptr_null(gw_http_start(&pcfg, svc, &err));
	snprintf(expect, sizeof(expect), "proxy_socket: \"%s\" exists and is not a socket", path);
	ck_assert_str_eq(err.msg, expect);
	unlink(path);
	for (int round = 0; round < 2; round++) {   /* the second finds a stale socket */
		http = gw_http_start(&pcfg, svc, &err);
		ck_assert_msg(http != NULL, "%s", err.msg);
		ck_assert_int_eq(stat(path, &st), 0);
		ck_assert(S_ISSOCK(st.st_mode));
		ck_assert_uint_eq(st.st_mode & 07777, 0600);
		request_socket = path;
		request("GET", "/api/v1/health", NULL, NULL, &r);
		ck_assert_int_eq(r.status, 200);
		request("POST", "/api/v1/lookup", "{\"ref\":\"busybox\"}", NULL, &r);
		ck_assert_int_eq(r.status, 401);   /* munge decides here too */
		request_socket = NULL;
		if (round == 0) {
			gw_http_stop(http);
			ck_assert_int_eq(access(path, F_OK), -1);
			ck_assert_int_eq(mknod(path, S_IFSOCK | 0600, 0), 0);
		}
	}
	gw_http_stop(http);
	http = tcp;
}
END_TEST

TCase *gw_http_live_tcase(void)
{
	TCase *tc = tcase_create("live");

	/* a server per test, in the test's process: its threads are stopped
	 * before the process ends (what LeakSanitizer needs in a fork) */
	tcase_add_checked_fixture(tc, server_up, server_down);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, health);
	tcase_add_test(tc, unknown_endpoint);
	tcase_add_test(tc, wrong_method);
	tcase_add_test(tc, body_where_none_belongs);
	tcase_add_test(tc, no_credential);
	tcase_add_test(tc, munged_unreachable);
	tcase_add_test(tc, ipv6_listen);
	tcase_add_test(tc, listen_busy);
	tcase_add_test(tc, proxy_socket);
	return tc;
}
