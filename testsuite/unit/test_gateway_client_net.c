/*
 * test_gateway_client_net.c - the gateway client over real sockets: a port
 * nobody listens on, a listener that never answers, and a one-shot server
 * with scripted replies (status mapping, bounds, what goes over the wire:
 * munge credential, login payload, on-behalf header); berth_image_resolve
 * on top.  Credentials come from a private munged.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fs_util.h"
#include "gateway_client_int.h"
#include "image_resolve.h"
#include "test_gateway_client_util.h"
#include "unit.h"

#define DIGEST "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define OTHER  "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define RECORD(status, digest, extra) \
	"{\"ref\":\"docker:docker.io/library/busybox:latest\",\"digest\":\"" digest "\"," \
	"\"status\":\"" status "\"" extra "}"

static char url[64];
static struct berth_gateway_opts opts;

static void opts_for(unsigned port, long timeout_ms)
{
	snprintf(url, sizeof(url), "http://127.0.0.1:%u", port);
	memset(&opts, 0, sizeof(opts));
	opts.url = url;
	opts.timeout_ms = timeout_ms;
	opts.munge_socket = test_munged_socket();
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

START_TEST(connection_refused)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_gateway_image img;
	char want[128];

	opts_for(closed_port(), 2000);
	ck_assert_int_eq(berth_gateway_lookup(&opts, "docker:busybox", &img, &err), -1);
	ck_assert_int_eq(err.code, ECONNREFUSED);
	snprintf(want, sizeof(want), "image gateway %s unreachable: Connection refused", url);
	ck_assert_str_eq(err.msg, want);
}
END_TEST

START_TEST(never_answers)
{
	static const long timeouts[] = { 300, 1000 };
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_gateway_image img;
	unsigned port;
	int fd = silent_listener(&port);
	long start, took;
	char want[128];

	opts_for(port, timeouts[_i]);
	start = now_ms();
	ck_assert_int_eq(berth_gateway_lookup(&opts, "docker:busybox", &img, &err), -1);
	took = now_ms() - start;
	close(fd);
	ck_assert_int_eq(err.code, ETIMEDOUT);
	snprintf(want, sizeof(want), "image gateway %s did not answer within %ld ms", url,
		 timeouts[_i]);
	ck_assert_str_eq(err.msg, want);
	ck_assert_msg(took >= timeouts[_i] - 20 && took <= timeouts[_i] + 200,
		      "took %ld ms for a %ld ms timeout", took, timeouts[_i]);
}
END_TEST

START_TEST(no_munged)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_gateway_image img;

	opts_for(closed_port(), 500);
	opts.munge_socket = "/nonexistent/munge.socket";
	ck_assert_int_eq(berth_gateway_lookup(&opts, "docker:busybox", &img, &err), -1);
	ck_assert_int_eq(err.code, ENOTCONN);
	ck_assert_msg(!strncmp(err.msg, "cannot get a munge credential: ", 31), "%s", err.msg);
}
END_TEST

/* Status codes and bodies -> err.code and the user's message. */
static const struct {
	int status;
	const char *body;
	int code;
	const char *msg;   /* "%s" is the URL */
} status_cases[] = {
	{ 400, "{\"error\":\"bad reference: repository \\\"A\\\": must be lowercase\"}", EINVAL,
	  "image gateway: bad reference: repository \"A\": must be lowercase" },
	{ 400, "not json", EINVAL, "image gateway: bad request" },
	{ 401, "{\"error\":\"credential replayed\"}", EACCES, "image gateway: credential replayed" },
	{ 401, "", EACCES, "image gateway: munge credential rejected" },
	{ 403, "{\"error\":\"x-berth-on-behalf-of: uid 0 is not a trusted proxy\"}", EPERM,
	  "image gateway: x-berth-on-behalf-of: uid 0 is not a trusted proxy" },
	{ 404, "{\"error\":\"not found\"}", ENOENT, "image \"docker:busy\nbox\" not found" },
	{ 405, "", EIO, "image gateway: method not allowed" },
	{ 409, "", EBUSY, "image gateway: that image is being pulled or imported right now" },
	{ 413, "", EFBIG, "image gateway: upload too large" },
	{ 500, "{\"error\":\"database\\nlocked\"}", EIO, "image gateway: database?locked" },
	{ 502, "{\"error\":\"registry 127.0.0.1:1: Connection refused\"}", EREMOTEIO,
	  "image gateway: registry 127.0.0.1:1: Connection refused" },
	{ 503, "", EAGAIN, "image gateway: busy or shutting down, try again later" },
	{ 418, "", EIO, "image gateway %s: unexpected HTTP status 418" },
	{ 302, "", EIO, "image gateway %s: unexpected HTTP status 302" },
	{ 200, "{\"ref\":", EIO, "image gateway %s: bad reply: JSON cut short" },
	{ 200, "{\"ref\":\"r\",\"digest\":\"\",\"status\":\"GONE\"}", EIO,
	  "image gateway %s: bad reply: unknown status \"GONE\"" },
};

/* msg with its "%s" replaced by the URL */
static void expand_url(char *buf, size_t size, const char *msg)
{
	const char *at = strstr(msg, "%s");

	if (at)
		snprintf(buf, size, "%.*s%s%s", (int)(at - msg), msg, url, at + 2);
	else
		snprintf(buf, size, "%s", msg);
}

START_TEST(status_mapping)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_gateway_image img;
	struct canned_server srv;
	char want[BERTH_ERROR_MSG_MAX], *nl;

	canned_start(&srv, status_cases[_i].status, status_cases[_i].body);
	opts_for(srv.port, 5000);
	ck_assert_int_eq(berth_gateway_lookup(&opts, "docker:busy\nbox", &img, &err), -1);
	canned_join(&srv);
	ck_assert_int_eq(err.code, status_cases[_i].code);
	expand_url(want, sizeof(want), status_cases[_i].msg);
	/* the ref shown in messages is sanitised */
	if ((nl = strchr(want, '\n')))
		*nl = '?';
	ck_assert_str_eq(err.msg, want);
}
END_TEST

START_TEST(reply_too_big)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_gateway_image img;
	struct canned_server srv;
	char want[128];

	canned_start_big(&srv, BERTH_GW_REPLY_MAX + 1);
	opts_for(srv.port, 5000);
	ck_assert_int_eq(berth_gateway_status(&opts, "docker:busybox", &img, &err), -1);
	canned_join(&srv);
	ck_assert_int_eq(err.code, EIO);
	snprintf(want, sizeof(want), "image gateway %s: reply larger than %u bytes", url,
		 BERTH_GW_REPLY_MAX);
	ck_assert_str_eq(err.msg, want);
}
END_TEST

/* The credential in the request is fresh munge from our uid, with an empty
 * payload; the body is the ref; no on-behalf header unless asked. */
START_TEST(lookup_wire)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_gateway_image img;
	struct canned_server srv;
	char cred[2048], line[256], *payload;
	uid_t uid;

	canned_start(&srv, 200, RECORD("READY", DIGEST, ",\"size\":42"));
	opts_for(srv.port, 5000);
	ck_assert_msg(berth_gateway_lookup(&opts, "docker:busybox", &img, &err) == 0, "%s", err.msg);
	canned_join(&srv);
	ck_assert_str_eq(img.digest, DIGEST);
	ck_assert_uint_eq(img.size, 42);
	canned_request_line(&srv, line, sizeof(line));
	ck_assert_str_eq(line, "POST /api/v1/lookup HTTP/1.1");
	ck_assert_str_eq(canned_body(&srv), "{\"ref\":\"docker:busybox\"}");
	ck_assert(canned_header(&srv, "content-type", line, sizeof(line)));
	ck_assert_str_eq(line, "application/json");
	ck_assert(!canned_header(&srv, "x-berth-on-behalf-of", line, sizeof(line)));
	ck_assert(canned_header(&srv, "authentication", cred, sizeof(cred)));
	ck_assert(test_munge_decode(cred, &payload, &uid));
	ck_assert_uint_eq(uid, getuid());
	ck_assert_ptr_null(payload);
}
END_TEST

START_TEST(on_behalf_wire)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_gateway_image img;
	struct canned_server srv;
	char line[256];

	canned_start(&srv, 200, RECORD("READY", DIGEST, ""));
	opts_for(srv.port, 5000);
	opts.on_behalf = true;
	opts.uid = 2001;
	ck_assert_msg(berth_gateway_status(&opts, "docker:a/b:c d", &img, &err) == 0, "%s", err.msg);
	canned_join(&srv);
	ck_assert(canned_header(&srv, "x-berth-on-behalf-of", line, sizeof(line)));
	ck_assert_str_eq(line, "2001");
	canned_request_line(&srv, line, sizeof(line));
	ck_assert_str_eq(line, "GET /api/v1/status?ref=docker%3Aa%2Fb%3Ac%20d HTTP/1.1");
}
END_TEST

/* Registry credentials travel inside the munge payload, never in clear. */
START_TEST(pull_login_wire)
{
	static const char *const users[] = { "alice", "2002", NULL };
	static const char *const groups[] = { "hpc", NULL };
	struct berth_gateway_login login = { "reg\"user", "s3cret-pass" };
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_gateway_image img;
	struct canned_server srv;
	char cred[4096], line[256], *payload;
	bool accepted = false;
	uid_t uid;

	canned_start(&srv, 202, RECORD("PENDING", "", ",\"private\":true"));
	opts_for(srv.port, 5000);
	ck_assert_msg(berth_gateway_pull(&opts, "docker:busybox", users, groups, &login, &img,
					 &accepted, &err) == 0, "%s", err.msg);
	canned_join(&srv);
	ck_assert(accepted);
	ck_assert(img.is_private);
	ck_assert_str_eq(canned_body(&srv),
			 "{\"ref\":\"docker:busybox\",\"users\":[\"alice\",\"2002\"],\"groups\":[\"hpc\"]}");
	ck_assert_ptr_null(strstr(srv.request, "s3cret"));
	ck_assert(canned_header(&srv, "authentication", cred, sizeof(cred)));
	ck_assert(test_munge_decode(cred, &payload, &uid));
	ck_assert_str_eq(payload, "{\"username\":\"reg\\\"user\",\"password\":\"s3cret-pass\"}");
	free(payload);
	canned_request_line(&srv, line, sizeof(line));
	ck_assert_str_eq(line, "POST /api/v1/pull HTTP/1.1");
	/* 200: already READY */
	canned_start(&srv, 200, RECORD("READY", DIGEST, ""));
	opts_for(srv.port, 5000);
	ck_assert(berth_gateway_pull(&opts, "docker:busybox", NULL, NULL, NULL, &img, &accepted,
				     &err) == 0);
	canned_join(&srv);
	ck_assert(!accepted);
	ck_assert_str_eq(canned_body(&srv), "{\"ref\":\"docker:busybox\"}");
}
END_TEST

START_TEST(list_and_expire_wire)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_gateway_image *list;
	struct canned_server srv;
	char **expired, line[256], *health;
	size_t n;

	canned_start(&srv, 200, "{\"images\":[" RECORD("READY", DIGEST, "") "]}");
	opts_for(srv.port, 5000);
	ck_assert_msg(berth_gateway_list(&opts, false, &list, &n, &err) == 0, "%s", err.msg);
	canned_join(&srv);
	ck_assert_uint_eq(n, 1);
	free(list);
	canned_request_line(&srv, line, sizeof(line));
	ck_assert_str_eq(line, "GET /api/v1/list HTTP/1.1");

	canned_start(&srv, 200, "{\"images\":[]}");
	opts_for(srv.port, 5000);
	ck_assert(berth_gateway_list(&opts, true, &list, &n, &err) == 0);
	canned_join(&srv);
	canned_request_line(&srv, line, sizeof(line));
	ck_assert_str_eq(line, "GET /api/v1/status HTTP/1.1");

	canned_start(&srv, 200, "{\"expired\":[\"docker:docker.io/library/busybox:latest\"]}");
	opts_for(srv.port, 5000);
	ck_assert(berth_gateway_expire(&opts, "docker:busybox", &expired, &n, &err) == 0);
	canned_join(&srv);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(expired[0], "docker:docker.io/library/busybox:latest");
	berth_gateway_strings_free(expired, n);
	ck_assert_str_eq(canned_body(&srv), "{\"ref\":\"docker:busybox\"}");

	canned_start(&srv, 200, "{\"expired\":[]}");
	opts_for(srv.port, 5000);
	ck_assert(berth_gateway_autoexpire(&opts, &expired, &n, &err) == 0);
	canned_join(&srv);
	ck_assert_uint_eq(n, 0);
	berth_gateway_strings_free(expired, n);
	ck_assert_str_eq(canned_body(&srv), "{}");

	/* health: no credential at all */
	canned_start(&srv, 200, "{\"status\":\"ok\"}");
	opts_for(srv.port, 5000);
	opts.munge_socket = "/nonexistent";
	ck_assert_msg(berth_gateway_health(&opts, &health, &err) == 0, "%s", err.msg);
	canned_join(&srv);
	ck_assert_str_eq(health, "{\"status\":\"ok\"}");
	free(health);
	ck_assert(!canned_header(&srv, "authentication", line, sizeof(line)));
}
END_TEST

START_TEST(import_wire)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_gateway_image img;
	struct canned_server srv;
	char path[] = "/tmp/berth-test-import.XXXXXX", line[256];
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "TARDATA", 7), 7);
	close(fd);
	canned_start(&srv, 202, "{\"ref\":\"docker:localhost/x:1\",\"digest\":\"\",\"status\":\"CONVERTING\"}");
	opts_for(srv.port, 5000);
	ck_assert_msg(berth_gateway_import(&opts, "docker:localhost/x:1", path, &img, &err) == 0,
		      "%s", err.msg);
	canned_join(&srv);
	ck_assert_str_eq(canned_body(&srv), "TARDATA");
	ck_assert(canned_header(&srv, "content-type", line, sizeof(line)));
	ck_assert_str_eq(line, "application/x-tar");
	canned_request_line(&srv, line, sizeof(line));
	ck_assert_str_eq(line, "POST /api/v1/import?ref=docker%3Alocalhost%2Fx%3A1 HTTP/1.1");
	unlink(path);
	ck_assert_int_eq(berth_gateway_import(&opts, "docker:localhost/x:1", "/", &img, &err), -1);
	ck_assert_str_eq(err.msg, "/: not a regular file (a tar archive)");
	ck_assert_int_eq(berth_gateway_import(&opts, "docker:localhost/x:1", path, &img, &err), -1);
	ck_assert_int_eq(err.code, ENOENT);
}
END_TEST

/* ------------------------------------------------------------ resolve */

static char image_dir[64];
static struct berth_config cfg;

static void resolve_setup(void)
{
	char path[256];
	int fd;

	snprintf(image_dir, sizeof(image_dir), "/tmp/berth-test-images.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(image_dir));
	memset(&cfg, 0, sizeof(cfg));
	cfg.image_dir = image_dir;
	cfg.default_type = BERTH_IMAGE_DOCKER;
	cfg.lookup_timeout_ms = 3000;
	snprintf(path, sizeof(path), "%s/%s.sqfs", image_dir, DIGEST);
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	ck_assert_int_ge(fd, 0);
	close(fd);
}

static void resolve_teardown(void)
{
	berth_remove_tree(image_dir, NULL);
}

/* Resolve ref against a one-shot server answering status + body. */
static int resolve_with(int status, const char *body, const char *ref,
			const struct berth_resolve_opts *ropts, struct berth_resolved *out,
			struct canned_server *srv, struct berth_error *err)
{
	char gw_url[64];
	int rc;

	canned_start(srv, status, body);
	snprintf(gw_url, sizeof(gw_url), "http://127.0.0.1:%u", srv->port);
	cfg.gateway_url = gw_url;
	rc = berth_image_resolve(&cfg, ref, ropts, out, err);
	canned_join(srv);
	cfg.gateway_url = NULL;
	return rc;
}

START_TEST(resolve_ready)
{
	struct berth_resolve_opts ropts = { .uid = 2001, .on_behalf = true };
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_resolved out;
	struct canned_server srv;
	char line[64];

	ropts.munge_socket = test_munged_socket();
	ck_assert_msg(resolve_with(200, RECORD("READY", OTHER, ""), "busybox", &ropts, &out, &srv,
				   &err) == 0, "%s", err.msg);
	ck_assert_str_eq(out.digest, OTHER);
	ck_assert(!out.from_image_dir);
	ck_assert_str_eq(out.canonical, "docker:docker.io/library/busybox:latest");
	/* the canonical ref is what the gateway is asked */
	ck_assert_str_eq(canned_body(&srv), "{\"ref\":\"docker:docker.io/library/busybox:latest\"}");
	ck_assert(canned_header(&srv, "x-berth-on-behalf-of", line, sizeof(line)));
	ck_assert_str_eq(line, "2001");
}
END_TEST

/* Not READY, not known, wrong digest: refused with what to do next. */
static const struct {
	int status;
	const char *body, *ref;
	int code;
	const char *msg;
} resolve_refusals[] = {
	{ 200, RECORD("PULLING", "", ""), "busybox", EINPROGRESS,
	  "image \"busybox\" is PULLING; run `berth pull busybox` to follow it and resubmit when `berth images` shows it READY" },
	{ 200, RECORD("PENDING", "", ""), "busybox", EINPROGRESS,
	  "image \"busybox\" is PENDING; run `berth pull busybox` to follow it and resubmit when `berth images` shows it READY" },
	{ 200, RECORD("FAILURE", "", ",\"message\":\"manifest unknown\""), "busybox", ENODATA,
	  "image \"busybox\" failed to pull: manifest unknown; run `berth pull busybox` to try again" },
	{ 200, RECORD("EXPIRED", DIGEST, ""), "busybox", ENODATA,
	  "image \"busybox\" has expired; run `berth pull busybox` and resubmit when `berth images` shows it READY" },
	{ 404, "{\"error\":\"not found\"}", "busybox", ENOENT,
	  "image \"busybox\" is not known to the image gateway (or not visible to you); run `berth pull busybox` and resubmit when `berth images` shows it READY" },
	{ 404, "{\"error\":\"not found\"}", "id:" OTHER, ENOENT,
	  "image \"id:" OTHER "\" is neither in the image directory nor known to the image gateway" },
	{ 200, RECORD("READY", DIGEST, ""), "busybox@" OTHER, EIO,
	  "image gateway answered digest " DIGEST " for image \"busybox@" OTHER "\"" },
	{ 403, "{\"error\":\"uid 0 is not a trusted proxy\"}", "busybox", EPERM,
	  "image gateway: uid 0 is not a trusted proxy" },
};

START_TEST(resolve_refused)
{
	struct berth_resolve_opts ropts = { .uid = getuid() };
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_resolved out;
	struct canned_server srv;

	ropts.munge_socket = test_munged_socket();
	ck_assert_int_eq(resolve_with(resolve_refusals[_i].status, resolve_refusals[_i].body,
				      resolve_refusals[_i].ref, &ropts, &out, &srv, &err), -1);
	ck_assert_int_eq(err.code, resolve_refusals[_i].code);
	ck_assert_str_eq(err.msg, resolve_refusals[_i].msg);
	ck_assert_str_eq(out.digest, "");
}
END_TEST

/* A digest already in the image dir needs no gateway: the URL points at
 * a closed port and would fail. */
START_TEST(resolve_from_image_dir)
{
	struct berth_resolve_opts ropts = { .uid = getuid() };
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_resolved out;
	char gw_url[64], path[256];

	ropts.munge_socket = test_munged_socket();
	snprintf(gw_url, sizeof(gw_url), "http://127.0.0.1:%u", closed_port());
	cfg.gateway_url = gw_url;
	ck_assert_msg(berth_image_resolve(&cfg, "id:" DIGEST, &ropts, &out, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(out.digest, DIGEST);
	ck_assert(out.from_image_dir);
	ck_assert_msg(berth_image_resolve(&cfg, "docker:busybox@" DIGEST, &ropts, &out, &err) == 0,
		      "%s", err.msg);
	ck_assert(out.from_image_dir);
	ck_assert_msg(berth_image_resolve(&cfg, "reg.example/x:1@" DIGEST, &ropts, &out, &err) == 0,
		      "%s", err.msg);
	/* a digest not in the dir goes to the gateway (closed here) */
	ck_assert_int_eq(berth_image_resolve(&cfg, "id:" OTHER, &ropts, &out, &err), -1);
	ck_assert_int_eq(err.code, ECONNREFUSED);
	/* a tag always goes to the gateway */
	ck_assert_int_eq(berth_image_resolve(&cfg, "busybox", &ropts, &out, &err), -1);
	ck_assert_int_eq(err.code, ECONNREFUSED);
	/* a directory of that name is not an image */
	snprintf(path, sizeof(path), "%s/%s.sqfs", image_dir, OTHER);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(gw_url, sizeof(gw_url), "http://127.0.0.1:%u", closed_port());
	ck_assert_int_eq(berth_image_resolve(&cfg, "id:" OTHER, &ropts, &out, &err), -1);
	ck_assert_int_eq(err.code, ECONNREFUSED);
	cfg.gateway_url = NULL;
}
END_TEST

/* A private image (its .access says so, or cannot be read) is the
 * gateway's to grant: no shortcut, whoever names its digest. */
START_TEST(resolve_private_needs_the_gateway)
{
	static const char *const texts[] = { "public = no\nuids = \",2001,\"\n", "garbage\n",
					     "public = yes\n" };
	struct berth_resolve_opts ropts = { .uid = getuid() };
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_resolved out;
	char gw_url[64], path[256];
	FILE *f;

	ropts.munge_socket = test_munged_socket();
	snprintf(gw_url, sizeof(gw_url), "http://127.0.0.1:%u", closed_port());
	cfg.gateway_url = gw_url;
	snprintf(path, sizeof(path), "%s/%s.access", image_dir, DIGEST);
	for (size_t i = 0; i < ARRAY_LEN(texts); i++) {
		ck_assert_ptr_nonnull(f = fopen(path, "w"));
		fputs(texts[i], f);
		fclose(f);
		if (i < 2) {
			ck_assert_int_eq(berth_image_resolve(&cfg, "id:" DIGEST, &ropts, &out, &err), -1);
			ck_assert_int_eq(err.code, ECONNREFUSED);
			ck_assert_int_eq(berth_image_resolve(&cfg, "x@" DIGEST, &ropts, &out, &err), -1);
			ck_assert_int_eq(err.code, ECONNREFUSED);
		} else {
			ck_assert_msg(berth_image_resolve(&cfg, "id:" DIGEST, &ropts, &out, &err) == 0,
				      "%s", err.msg);
			ck_assert(out.from_image_dir);
		}
	}
	unlink(path);
	cfg.gateway_url = NULL;
}
END_TEST

START_TEST(resolve_bad_input)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_resolved out;

	cfg.gateway_url = "http://127.0.0.1:1";
	ck_assert_int_eq(berth_image_resolve(&cfg, "Busybox", NULL, &out, &err), -1);
	ck_assert_int_eq(err.code, EINVAL);
	ck_assert_str_eq(err.msg, "repository \"Busybox\": must be lowercase");
	ck_assert_int_eq(berth_image_resolve(&cfg, "local:/images/x.sqfs", NULL, &out, &err), -1);
	ck_assert_int_eq(err.code, EINVAL);
	ck_assert_str_eq(err.msg, "image \"local:/images/x.sqfs\": node-local images are not resolved");
	ck_assert_int_eq(berth_image_resolve(&cfg, NULL, NULL, &out, &err), -1);
	ck_assert_str_eq(err.msg, "no image given");
	cfg.gateway_url = NULL;
}
END_TEST

static Suite *gateway_client_net_suite(void)
{
	Suite *s = suite_create("gateway_client_net");
	TCase *tc = tcase_create("net");
	TCase *res = tcase_create("resolve");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, connection_refused);
	tcase_add_loop_test(tc, never_answers, 0, 2);
	tcase_add_test(tc, no_munged);
	tcase_add_loop_test(tc, status_mapping, 0, ARRAY_LEN(status_cases));
	tcase_add_test(tc, reply_too_big);
	tcase_add_test(tc, lookup_wire);
	tcase_add_test(tc, on_behalf_wire);
	tcase_add_test(tc, pull_login_wire);
	tcase_add_test(tc, list_and_expire_wire);
	tcase_add_test(tc, import_wire);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(res, resolve_setup, resolve_teardown);
	tcase_set_timeout(res, 30);
	tcase_add_test(res, resolve_ready);
	tcase_add_loop_test(res, resolve_refused, 0, ARRAY_LEN(resolve_refusals));
	tcase_add_test(res, resolve_from_image_dir);
	tcase_add_test(res, resolve_private_needs_the_gateway);
	tcase_add_test(res, resolve_bad_input);
	suite_add_tcase(s, res);
	return s;
}

int main(void)
{
	int rc;

	if (!test_munged_start())
		return 77;
	rc = unit_run(gateway_client_net_suite());
	test_munged_stop();
	return rc;
}
