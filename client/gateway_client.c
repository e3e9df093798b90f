/*
 * gateway_client.c - see gateway_client.h.  One curl easy handle and one
 * munge credential per call; the reply is read into a bounded buffer and
 * parsed by gateway_json.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <munge.h>

#include "gateway_client_int.h"

#define DEFAULT_TIMEOUT_MS 2000L
#define CONNECT_TIMEOUT_MAX_MS 10000L
#define SHOWN_REF_MAX 200

struct gw_request {
	const char *method;          /* "GET" or "POST" */
	const char *path;            /* "/api/v1/lookup" */
	const char *query_ref;       /* appended as ?ref=<escaped>, or NULL */
	const char *body;            /* JSON body, or NULL */
	int upload_fd;               /* tar upload (import), or -1 */
	off_t upload_size;
	const void *payload;         /* munge payload (login), or NULL */
	size_t payload_len;
	bool auth;                   /* send a munge credential */
	size_t reply_max;
};

struct gw_reply {
	long status;
	char *body;
	size_t len;
	size_t max;
	bool too_big;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void curl_init_once(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static long monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long total_timeout(const struct berth_gateway_opts *opts)
{
	return opts->timeout_ms > 0 ? opts->timeout_ms : DEFAULT_TIMEOUT_MS;
}

/* "http[s]://" + printable, no blanks; trailing '/' dropped into buf. */
static int check_url(const char *url, char *buf, size_t size, struct berth_error *err)
{
	char shown[SHOWN_REF_MAX + 4];
	size_t len, i;

	if (!url || !*url)
		return berth_error_set(err, EINVAL, "no image gateway URL (gateway_url in berth.conf)");
	len = strlen(url);
	for (i = 0; i < len; i++)
		if (url[i] <= 0x20 || url[i] >= 0x7f)
			break;
	if (i < len || len >= size ||
	    (strncmp(url, "http://", 7) && strncmp(url, "https://", 8)))
		return berth_error_set(err, EINVAL, "bad image gateway URL \"%s\" (use http://HOST:PORT)",
				       berth_gw_shown(shown, SHOWN_REF_MAX, url));
	while (len && url[len - 1] == '/')
		len--;
	memcpy(buf, url, len);
	buf[len] = '\0';
	return 0;
}

static int make_credential(const struct berth_gateway_opts *opts, const struct gw_request *req,
			   char **cred, struct berth_error *err)
{
	munge_ctx_t ctx = munge_ctx_create();
	munge_err_t merr;

	*cred = NULL;
	if (!ctx)
		return berth_error_set(err, ENOMEM, "out of memory");
	if (opts->munge_socket && *opts->munge_socket &&
	    munge_ctx_set(ctx, MUNGE_OPT_SOCKET, opts->munge_socket) != EMUNGE_SUCCESS) {
		munge_ctx_destroy(ctx);
		return berth_error_set(err, ENOMEM, "out of memory");
	}
	merr = munge_encode(cred, ctx, req->payload, (int)req->payload_len);
	if (merr != EMUNGE_SUCCESS) {
		char text[256];

		snprintf(text, sizeof(text), "%s", munge_ctx_strerror(ctx) ? munge_ctx_strerror(ctx)
			 : munge_strerror(merr));
		berth_error_sanitize(text);
		munge_ctx_destroy(ctx);
		free(*cred);
		*cred = NULL;
		return berth_error_set(err, ENOTCONN, "cannot get a munge credential: %s", text);
	}
	munge_ctx_destroy(ctx);
	return 0;
}

static size_t on_reply_data(char *data, size_t size, size_t nmemb, void *arg)
{
	struct gw_reply *reply = arg;
	size_t len = size * nmemb;
	char *grown;

	if (reply->len + len > reply->max) {
		reply->too_big = true;
		return 0;  /* CURLE_WRITE_ERROR */
	}
	grown = realloc(reply->body, reply->len + len + 1);
	if (!grown)
		return 0;
	reply->body = grown;
	memcpy(reply->body + reply->len, data, len);
	reply->len += len;
	reply->body[reply->len] = '\0';
	return len;
}

static size_t on_upload_data(char *buf, size_t size, size_t nmemb, void *arg)
{
	const struct gw_request *req = arg;
	ssize_t n;

	do
		n = read(req->upload_fd, buf, size * nmemb);
	while (n < 0 && errno == EINTR);
	return n < 0 ? CURL_READFUNC_ABORT : (size_t)n;
}

/* The curl failure as the user should read it. */
static int transport_error(CURL *curl, CURLcode rc, const char *url, long timeout_ms,
			   const struct gw_reply *reply, struct berth_error *err)
{
	long os_errno = 0;

	curl_easy_getinfo(curl, CURLINFO_OS_ERRNO, &os_errno);
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		return berth_error_set(err, ETIMEDOUT, "image gateway %s did not answer within %ld ms",
				       url, timeout_ms);
	case CURLE_COULDNT_CONNECT:
		if (os_errno == ENETUNREACH)
			os_errno = EHOSTUNREACH;
		if (os_errno != ECONNREFUSED && os_errno != EHOSTUNREACH)
			os_errno = ECONNREFUSED;
		return berth_error_set(err, (int)os_errno, "image gateway %s unreachable: %s",
				       url, strerror((int)os_errno));
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return berth_error_set(err, EHOSTUNREACH, "image gateway %s unreachable: %s",
				       url, curl_easy_strerror(rc));
	case CURLE_WRITE_ERROR:
		if (reply->too_big)
			return berth_error_set(err, EIO, "image gateway %s: reply larger than %zu bytes",
					       url, reply->max);
		return berth_error_set(err, ENOMEM, "out of memory");
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return berth_error_set(err, EINVAL, "bad image gateway URL \"%s\": %s",
				       url, curl_easy_strerror(rc));
	case CURLE_OUT_OF_MEMORY:
		return berth_error_set(err, ENOMEM, "out of memory");
	default:
		return berth_error_set(err, EIO, "image gateway %s: %s", url, curl_easy_strerror(rc));
	}
}

static int set_headers(const struct berth_gateway_opts *opts, const struct gw_request *req,
		       const char *cred, struct curl_slist **headers, struct berth_error *err)
{
	char line[64];
	struct curl_slist *list = NULL, *next;
	char *auth_line = NULL;

	if (cred && asprintf(&auth_line, "authentication: %s", cred) < 0)
		return berth_error_set(err, ENOMEM, "out of memory");
#define ADD(text) do { next = curl_slist_append(list, (text)); if (!next) goto nomem; list = next; } while (0)
	ADD("Accept: application/json");
	if (auth_line)
		ADD(auth_line);
	if (opts->on_behalf) {
		snprintf(line, sizeof(line), "x-berth-on-behalf-of: %lu", (unsigned long)opts->uid);
		ADD(line);
	}
	if (req->upload_fd >= 0) {
		ADD("Content-Type: application/x-tar");
	} else if (req->body) {
		ADD("Content-Type: application/json");
		ADD("Expect:");
	}
#undef ADD
	free(auth_line);
	*headers = list;
	return 0;
nomem:
	free(auth_line);
	curl_slist_free_all(list);
	return berth_error_set(err, ENOMEM, "out of memory");
}

static int set_target(CURL *curl, const char *base, const struct gw_request *req,
		      struct berth_error *err)
{
	char *escaped = NULL, *url = NULL;
	int n;

	if (req->query_ref) {
		escaped = curl_easy_escape(curl, req->query_ref, 0);
		if (!escaped)
			return berth_error_set(err, ENOMEM, "out of memory");
	}
	n = asprintf(&url, "%s%s%s%s", base, req->path, escaped ? "?ref=" : "",
		     escaped ? escaped : "");
	curl_free(escaped);
	if (n < 0)
		return berth_error_set(err, ENOMEM, "out of memory");
	n = curl_easy_setopt(curl, CURLOPT_URL, url) == CURLE_OK ? 0 : -1;
	free(url);
	if (n < 0)
		return berth_error_set(err, ENOMEM, "out of memory");
	return 0;
}

static void set_options(CURL *curl, const struct gw_request *req, struct gw_reply *reply,
			long timeout_ms)
{
	const char *proxy = getenv("BERTH_GATEWAY_PROXY");

	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
			 timeout_ms < CONNECT_TIMEOUT_MAX_MS ? timeout_ms : CONNECT_TIMEOUT_MAX_MS);
	curl_easy_setopt(curl, CURLOPT_PROXY, proxy && *proxy ? proxy : "");
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "berth/" PACKAGE_VERSION);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_reply_data);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, reply);
	if (req->upload_fd >= 0) {
		curl_easy_setopt(curl, CURLOPT_POST, 1L);
		curl_easy_setopt(curl, CURLOPT_READFUNCTION, on_upload_data);
		curl_easy_setopt(curl, CURLOPT_READDATA, req);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->upload_size);
	} else if (req->body) {
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, req->body);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)strlen(req->body));
	} else if (!strcmp(req->method, "POST")) {
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "");
	}
}

/* One request: *reply gets the status and body (free reply->body). */
static int perform(const struct berth_gateway_opts *opts, const struct gw_request *req,
		   struct gw_reply *reply, struct berth_error *err)
{
	struct curl_slist *headers = NULL;
	char base[1024], *cred = NULL;
	long timeout_ms = total_timeout(opts), start = monotonic_ms(), left;
	CURLcode rc;
	CURL *curl;
	int ret = -1;

	memset(reply, 0, sizeof(*reply));
	reply->max = req->reply_max;
	if (check_url(opts->url, base, sizeof(base), err) < 0)
		return -1;
	pthread_once(&curl_once, curl_init_once);
	if (curl_init_rc != CURLE_OK)
		return berth_error_set(err, EIO, "cannot initialise libcurl: %s",
				       curl_easy_strerror(curl_init_rc));
	if (req->auth && make_credential(opts, req, &cred, err) < 0)
		return -1;
	/* the credential counts against the caller's budget too */
	left = timeout_ms - (monotonic_ms() - start);
	if (left <= 0) {
		ret = berth_error_set(err, ETIMEDOUT, "image gateway %s did not answer within %ld ms",
				      base, timeout_ms);
		goto out_cred;
	}
	curl = curl_easy_init();
	if (!curl) {
		ret = berth_error_set(err, ENOMEM, "out of memory");
		goto out_cred;
	}
	if (set_target(curl, base, req, err) < 0 || set_headers(opts, req, cred, &headers, err) < 0)
		goto out;
	set_options(curl, req, reply, left);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	if (opts->socket && *opts->socket)
		curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, opts->socket);
	rc = curl_easy_perform(curl);
	if (rc != CURLE_OK) {
		transport_error(curl, rc, opts->socket && *opts->socket ? opts->socket : base,
				timeout_ms, reply, err);
		goto out;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply->status);
	ret = 0;
out:
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
out_cred:
	free(cred);
	if (ret < 0) {
		free(reply->body);
		reply->body = NULL;
		reply->len = 0;
	}
	return ret;
}

struct status_error {
	long status;
	int code;
	const char *text;
};

static const struct status_error status_errors[] = {
	{ 400, EINVAL, "bad request" },
	{ 401, EACCES, "munge credential rejected" },
	{ 403, EPERM, "not allowed" },
	{ 404, ENOENT, "not found" },
	{ 405, EIO, "method not allowed" },
	{ 409, EBUSY, "that image is being pulled or imported right now" },
	{ 413, EFBIG, "upload too large" },
	{ 500, EIO, "internal error" },
	{ 502, EREMOTEIO, "the registry failed" },
	{ 503, EAGAIN, "busy or shutting down, try again later" },
	{ 0, 0, NULL },
};

/* A status other than 200/202 as an error; ref_text names the image for 404. */
static int status_error(const struct berth_gateway_opts *opts, const struct gw_reply *reply,
			const char *ref_text, struct berth_error *err)
{
	char text[BERTH_ERROR_MSG_MAX], shown[SHOWN_REF_MAX + 4];
	size_t i;

	berth_gw_error_text(reply->body, reply->len, text, sizeof(text));
	for (i = 0; status_errors[i].status; i++)
		if (status_errors[i].status == reply->status)
			break;
	if (!status_errors[i].status)
		return berth_error_set(err, EIO, "image gateway %s: unexpected HTTP status %ld",
				       opts->url, reply->status);
	if (reply->status == 404 && ref_text)
		return berth_error_set(err, ENOENT, "image \"%s\" not found",
				       berth_gw_shown(shown, SHOWN_REF_MAX, ref_text));
	return berth_error_set(err, status_errors[i].code, "image gateway: %s",
			       text[0] ? text : status_errors[i].text);
}

/* perform + status check + record parse. */
static int record_call(const struct berth_gateway_opts *opts, const struct gw_request *req,
		       const char *ref_text, struct berth_gateway_image *out, long *status,
		       struct berth_error *err)
{
	struct gw_reply reply;
	int rc = -1;

	if (perform(opts, req, &reply, err) < 0)
		return -1;
	if (status)
		*status = reply.status;
	if (reply.status != 200 && reply.status != 202)
		status_error(opts, &reply, ref_text, err);
	else if (berth_gw_parse_record(reply.body, reply.len, out, err) < 0)
		berth_error_prefix(err, "image gateway %s", opts->url);
	else
		rc = 0;
	free(reply.body);
	return rc;
}

/* {"ref": ref_text} */
static char *ref_body(const char *ref_text, struct berth_error *err)
{
	struct json_object *obj = json_object_new_object();
	char *body = NULL;

	if (obj && !json_object_object_add(obj, "ref", json_object_new_string(ref_text ? ref_text : "")))
		body = strdup(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(obj);
	if (!body)
		berth_error_set(err, ENOMEM, "out of memory");
	return body;
}

static const struct gw_request request_defaults = {
	.method = "GET", .upload_fd = -1, .auth = true, .reply_max = BERTH_GW_REPLY_MAX,
};

int berth_gateway_lookup(const struct berth_gateway_opts *opts, const char *ref_text,
			 struct berth_gateway_image *out, struct berth_error *err)
{
	struct gw_request req = request_defaults;
	int rc;

	req.method = "POST";
	req.path = "/api/v1/lookup";
	req.body = ref_body(ref_text, err);
	if (!req.body)
		return -1;
	rc = record_call(opts, &req, ref_text, out, NULL, err);
	free((char *)req.body);
	return rc;
}

int berth_gateway_status(const struct berth_gateway_opts *opts, const char *ref_text,
			 struct berth_gateway_image *out, struct berth_error *err)
{
	struct gw_request req = request_defaults;

	req.path = "/api/v1/status";
	req.query_ref = ref_text ? ref_text : "";
	return record_call(opts, &req, ref_text, out, NULL, err);
}

static int add_names(struct json_object *obj, const char *key, const char *const *names)
{
	struct json_object *arr;
	size_t i;

	if (!names || !names[0])
		return 0;
	arr = json_object_new_array();
	if (!arr || json_object_object_add(obj, key, arr))
		return json_object_put(arr), -1;
	for (i = 0; names[i]; i++)
		if (json_object_array_add(arr, json_object_new_string(names[i])))
			return -1;
	return 0;
}

/* {"ref":..., "users":[...], "groups":[...]} */
static char *pull_body(const char *ref_text, const char *const *users,
		       const char *const *groups, struct berth_error *err)
{
	struct json_object *obj = json_object_new_object();
	char *body = NULL;

	if (obj && !json_object_object_add(obj, "ref", json_object_new_string(ref_text ? ref_text : "")) &&
	    !add_names(obj, "users", users) && !add_names(obj, "groups", groups))
		body = strdup(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(obj);
	if (!body)
		berth_error_set(err, ENOMEM, "out of memory");
	return body;
}

int berth_gateway_pull(const struct berth_gateway_opts *opts, const char *ref_text,
		       const char *const *users, const char *const *groups,
		       const struct berth_gateway_login *login,
		       struct berth_gateway_image *out, bool *accepted, struct berth_error *err)
{
	struct gw_request req = request_defaults;
	char *payload = NULL;
	size_t payload_len = 0;
	long status = 0;
	int rc = -1;

	if (login) {
		payload = berth_gw_login_payload(login, &payload_len, err);
		if (!payload)
			return -1;
		req.payload = payload;
		req.payload_len = payload_len;
	}
	req.method = "POST";
	req.path = "/api/v1/pull";
	req.body = pull_body(ref_text, users, groups, err);
	if (req.body) {
		rc = record_call(opts, &req, ref_text, out, &status, err);
		free((char *)req.body);
	}
	if (payload) {
		explicit_bzero(payload, payload_len);
		free(payload);
	}
	if (rc == 0 && accepted)
		*accepted = status == 202;
	return rc;
}

/* perform + status check for replies that are not one record. */
static int plain_call(const struct berth_gateway_opts *opts, const struct gw_request *req,
		      const char *ref_text, struct gw_reply *reply, struct berth_error *err)
{
	if (perform(opts, req, reply, err) < 0)
		return -1;
	if (reply->status == 200)
		return 0;
	status_error(opts, reply, ref_text, err);
	free(reply->body);
	reply->body = NULL;
	return -1;
}

int berth_gateway_list(const struct berth_gateway_opts *opts, bool in_progress_only,
		       struct berth_gateway_image **out, size_t *count, struct berth_error *err)
{
	struct gw_request req = request_defaults;
	struct gw_reply reply;
	int rc;

	*out = NULL;
	*count = 0;
	req.path = in_progress_only ? "/api/v1/status" : "/api/v1/list";
	req.reply_max = BERTH_GW_LIST_REPLY_MAX;
	if (plain_call(opts, &req, NULL, &reply, err) < 0)
		return -1;
	rc = berth_gw_parse_list(reply.body, reply.len, out, count, err);
	if (rc < 0)
		berth_error_prefix(err, "image gateway %s", opts->url);
	free(reply.body);
	return rc;
}

int berth_gateway_import(const struct berth_gateway_opts *opts, const char *ref_text,
			 const char *archive_path, struct berth_gateway_image *out,
			 struct berth_error *err)
{
	struct gw_request req = request_defaults;
	char shown[SHOWN_REF_MAX + 4];
	struct stat st;
	int rc;

	req.upload_fd = open(archive_path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (req.upload_fd < 0)
		return berth_error_errno(err, errno, "%s", berth_gw_shown(shown, SHOWN_REF_MAX,
									   archive_path));
	if (fstat(req.upload_fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(req.upload_fd);
		return berth_error_set(err, EINVAL, "%s: not a regular file (a tar archive)",
				       berth_gw_shown(shown, SHOWN_REF_MAX, archive_path));
	}
	req.upload_size = st.st_size;
	req.method = "POST";
	req.path = "/api/v1/import";
	req.query_ref = ref_text ? ref_text : "";
	rc = record_call(opts, &req, NULL, out, NULL, err);
	close(req.upload_fd);
	return rc;
}

static int expire_call(const struct berth_gateway_opts *opts, const char *path,
		       const char *ref_text, char ***expired, size_t *count,
		       struct berth_error *err)
{
	struct gw_request req = request_defaults;
	struct gw_reply reply;
	int rc;

	*expired = NULL;
	*count = 0;
	req.method = "POST";
	req.path = path;
	req.body = ref_text ? ref_body(ref_text, err) : strdup("{}");
	if (!req.body)
		return berth_error_set(err, ENOMEM, "out of memory");
	rc = plain_call(opts, &req, ref_text, &reply, err);
	free((char *)req.body);
	if (rc < 0)
		return -1;
	rc = berth_gw_parse_expired(reply.body, reply.len, expired, count, err);
	if (rc < 0)
		berth_error_prefix(err, "image gateway %s", opts->url);
	free(reply.body);
	return rc;
}

int berth_gateway_expire(const struct berth_gateway_opts *opts, const char *ref_text,
			 char ***expired, size_t *count, struct berth_error *err)
{
	return expire_call(opts, "/api/v1/expire", ref_text ? ref_text : "", expired, count, err);
}

int berth_gateway_autoexpire(const struct berth_gateway_opts *opts, char ***expired,
			     size_t *count, struct berth_error *err)
{
	return expire_call(opts, "/api/v1/autoexpire", NULL, expired, count, err);
}

int berth_gateway_health(const struct berth_gateway_opts *opts, char **json,
			 struct berth_error *err)
{
	struct gw_request req = request_defaults;
	struct gw_reply reply;
	struct json_object *obj;

	*json = NULL;
	req.path = "/api/v1/health";
	req.auth = false;
	if (plain_call(opts, &req, NULL, &reply, err) < 0)
		return -1;
	obj = berth_gw_json_parse(reply.body, reply.len, err);
	if (!obj) {
		free(reply.body);
		return berth_error_prefix(err, "image gateway %s", opts->url);
	}
	json_object_put(obj);
	*json = reply.body;
	return 0;
}
