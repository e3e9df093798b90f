/*
 * registry.c - the client object and the calls of registry.h: manifests
 * (through an index if need be), blobs, JSON blobs.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "berth_log.h"
#include "registry_internal.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

#define MANIFEST_ACCEPT \
	REGISTRY_MT_OCI_INDEX ", " REGISTRY_MT_DOCKER_LIST ", " \
	REGISTRY_MT_OCI_MANIFEST ", " REGISTRY_MT_DOCKER_MANIFEST

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_result = CURLE_FAILED_INIT;

static void curl_init(void)
{
	curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* ---------------------------------------------------------------- client */

void registry_options_init(struct registry_options *opts)
{
	memset(opts, 0, sizeof(*opts));
	static const char *const any[] = { "*", NULL };

	opts->platform = "linux/amd64";
	opts->allow = any;
	opts->connect_timeout_ms = 10000;
	opts->timeout_ms = 60000;
	opts->blob_timeout_ms = 0;
	opts->low_speed_time_s = 60;
	opts->retries = 3;
	opts->backoff_initial_ms = 500;
	opts->backoff_max_ms = 10000;
}

static bool printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static int check_options(const struct registry_options *o, struct berth_error *err)
{
	if (o->connect_timeout_ms < 0 || o->timeout_ms < 0 || o->blob_timeout_ms < 0 ||
	    o->low_speed_time_s < 0 || o->backoff_initial_ms < 0 || o->backoff_max_ms < 0)
		return berth_error_set(err, EINVAL, "registry options: timeouts and delays must not be negative");
	if (o->retries > 10)
		return berth_error_set(err, EINVAL, "registry options: retries %u: at most 10", o->retries);
	if (o->user_agent && (!printable(o->user_agent) || strlen(o->user_agent) > 256))
		return berth_error_set(err, EINVAL, "registry options: user agent must be printable, at most 256 characters");
	for (size_t i = 0; o->insecure && o->insecure[i]; i++) {
		const char *h = o->insecure[i];

		if (!h[0] || strlen(h) > BERTH_REGISTRY_MAX || strpbrk(h, "/@?# \t") || !printable(h))
			return berth_error_set(err, EINVAL, "registry options: insecure registry \"%.80s\": expected host[:port]",
					       printable(h) ? h : "?");
	}
	for (int l = 0; l < 2; l++) {
		const char *const *list = l ? o->redirect_allow : o->allow;

		for (size_t i = 0; list && list[i]; i++) {
			const char *h = list[i];

			if (!h[0] || strlen(h) > BERTH_REGISTRY_MAX || strpbrk(h, "/@?# \t") || !printable(h) ||
			    (l && !strcmp(h, "*")))
				return berth_error_set(err, EINVAL, "registry options: %s \"%.80s\": expected host[:port]%s",
						       l ? "redirect_allow" : "allow", printable(h) ? h : "?",
						       l ? "" : " or *");
		}
	}
	return 0;
}

static int copy_list(const char *const *from, char ***to, size_t *count, struct berth_error *err)
{
	size_t n = 0;

	while (from && from[n])
		n++;
	*to = calloc(n + 1, sizeof(**to));
	if (!*to)
		return berth_error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		if (!((*to)[i] = strdup(from[i])))
			return berth_error_set(err, ENOMEM, "out of memory");
		*count = i + 1;
	}
	return 0;
}

static void free_list(char **list, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(list[i]);
	free(list);
}

static int copy_options(struct registry_client *c, const struct registry_options *o,
			struct berth_error *err)
{
	char agent[64];
	size_t n = 0;

	if (copy_list(o->allow, &c->allow, &c->nallow, err) < 0 ||
	    copy_list(o->redirect_allow, &c->redirect_allow, &c->nredirect_allow, err) < 0)
		return -1;
	while (o->insecure && o->insecure[n])
		n++;
	c->insecure = calloc(n + 1, sizeof(*c->insecure));
	if (!c->insecure)
		return berth_error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		if (!(c->insecure[i] = strdup(o->insecure[i])))
			return berth_error_set(err, ENOMEM, "out of memory");
		c->ninsecure = i + 1;
	}
	snprintf(agent, sizeof(agent), "berth-gatewayd/%s", PACKAGE_VERSION);
	c->user_agent = strdup(o->user_agent ? o->user_agent : agent);
	c->ca_file = o->ca_file ? strdup(o->ca_file) : NULL;
	if (!c->user_agent || (o->ca_file && !c->ca_file))
		return berth_error_set(err, ENOMEM, "out of memory");
	c->connect_timeout_ms = o->connect_timeout_ms;
	c->timeout_ms = o->timeout_ms;
	c->blob_timeout_ms = o->blob_timeout_ms;
	c->low_speed_time_s = o->low_speed_time_s;
	c->retries = o->retries;
	c->backoff_initial_ms = o->backoff_initial_ms;
	c->backoff_max_ms = o->backoff_max_ms;
	c->credentials = o->credentials;
	c->credentials_arg = o->credentials_arg;
	return 0;
}

struct registry_client *registry_client_create(const struct registry_options *opts,
					       struct berth_error *err)
{
	struct registry_client *c;

	pthread_once(&curl_once, curl_init);
	if (curl_init_result != CURLE_OK) {
		berth_error_set(err, EIO, "cannot initialise libcurl: %s", curl_easy_strerror(curl_init_result));
		return NULL;
	}
	if (!opts || check_options(opts, err) < 0) {
		if (!opts)
			berth_error_set(err, EINVAL, "registry options: missing");
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		berth_error_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	if (reg_platform_parse(opts->platform ? opts->platform : "linux/amd64", &c->platform, err) < 0) {
		berth_error_prefix(err, "registry options");
		goto fail;
	}
	if (copy_options(c, opts, err) < 0 || !(c->tokens = reg_token_cache_create(err)))
		goto fail;
	return c;
fail:
	registry_client_destroy(c);
	return NULL;
}

void registry_client_destroy(struct registry_client *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->ninsecure; i++)
		free(c->insecure[i]);
	free(c->insecure);
	free_list(c->allow, c->nallow);
	free_list(c->redirect_allow, c->nredirect_allow);
	free(c->ca_file);
	free(c->user_agent);
	reg_token_cache_destroy(c->tokens);
	free(c);
}

/* -------------------------------------------------------------- requests */

static int check_ref(const struct berth_image_ref *ref, struct berth_error *err)
{
	if (!ref || ref->type != BERTH_IMAGE_DOCKER || !ref->registry[0] || !ref->repository[0])
		return berth_error_set(err, EINVAL, "registry: not a docker image reference");
	return 0;
}

static int ref_error(const struct berth_image_ref *ref, struct berth_error *err)
{
	return berth_error_prefix(err, "registry %s: repository \"%s\"", ref->registry, ref->repository);
}

/* One manifest document; by digest it must hash to it (and have size, if known). */
static int fetch_document(struct reg_session *s, const char *reference, bool by_digest,
			  int64_t size, struct reg_body *body, char digest[BERTH_DIGEST_LEN + 1],
			  char content_type[REGISTRY_MEDIA_TYPE_MAX], char *what, size_t what_size,
			  struct berth_error *err)
{
	char path[REG_URL_MAX];

	snprintf(what, what_size, by_digest ? "manifest %s" : "manifest \"%s\"", reference);
	snprintf(path, sizeof(path), "/v2/%s/manifests/%s", s->repository, reference);
	if (reg_body_init(body, REGISTRY_MANIFEST_MAX, NULL, size, true, err) < 0 ||
	    reg_session_get(s, path, MANIFEST_ACCEPT, what, false, body, content_type, err) < 0)
		return -1;
	if (by_digest)
		return reg_body_verify(body, what, reference, err);
	reg_body_digest(body, digest);
	return 0;
}

/* The manifest for the platform, out of the index in body and root. */
static int follow_index(struct reg_session *s, struct reg_body *body, struct json_object **root,
			char digest[BERTH_DIGEST_LEN + 1], char media_type[REGISTRY_MEDIA_TYPE_MAX],
			struct registry_manifest *out, char *what, size_t what_size,
			struct berth_error *err)
{
	struct registry_descriptor child;
	char content_type[REGISTRY_MEDIA_TYPE_MAX];
	bool is_index;

	if (reg_index_select(*root, &s->client->platform, &child, out->platform, err) < 0)
		return berth_error_prefix(err, "%s", what);
	snprintf(out->index_digest, sizeof(out->index_digest), "%s", digest);
	json_object_put(*root);
	*root = NULL;
	reg_body_free(body);
	if (fetch_document(s, child.digest, true, (int64_t)child.size, body, digest, content_type,
			   what, what_size, err) < 0)
		return -1;
	snprintf(digest, BERTH_DIGEST_LEN + 1, "%s", child.digest);
	if (reg_manifest_classify(body->data, body->len, content_type, root, media_type, &is_index, err) < 0)
		return berth_error_prefix(err, "%s", what);
	if (is_index)
		return berth_error_set(err, ENOTSUP, "%s: an index inside an index is not supported", what);
	return 0;
}

static int get_manifest(struct reg_session *s, const struct berth_image_ref *ref,
			struct registry_manifest *out, struct berth_error *err)
{
	char digest[BERTH_DIGEST_LEN + 1] = "", content_type[REGISTRY_MEDIA_TYPE_MAX];
	char media_type[REGISTRY_MEDIA_TYPE_MAX], what[BERTH_DIGEST_LEN + BERTH_TAG_MAX + 32];
	bool by_digest = ref->digest[0] != '\0', is_index;
	const char *reference = by_digest ? ref->digest : ref->tag[0] ? ref->tag : "latest";
	struct json_object *root = NULL;
	struct reg_body body;
	int rc = -1;

	if (by_digest && reg_digest_check("manifest", ref->digest, err) < 0)
		return -1;
	if (fetch_document(s, reference, by_digest, -1, &body, digest, content_type, what,
			   sizeof(what), err) < 0)
		goto out;
	if (by_digest)
		snprintf(digest, sizeof(digest), "%s", ref->digest);
	if (reg_manifest_classify(body.data, body.len, content_type, &root, media_type, &is_index, err) < 0) {
		berth_error_prefix(err, "%s", what);
		goto out;
	}
	if (is_index && follow_index(s, &body, &root, digest, media_type, out, what, sizeof(what), err) < 0)
		goto out;
	if (reg_manifest_parse(root, media_type, out, err) < 0) {
		berth_error_prefix(err, "%s", what);
		goto out;
	}
	snprintf(out->digest, sizeof(out->digest), "%s", digest);
	out->raw = body.data;
	out->raw_len = body.len;
	body.data = NULL;
	berth_verbose("registry %s: %s: %s with %zu layers%s%s", s->registry, what, out->digest,
		      out->nlayers, out->platform[0] ? " for " : "", out->platform);
	rc = 0;
out:
	json_object_put(root);
	reg_body_free(&body);
	return rc;
}

int registry_get_manifest(struct registry_client *client, const struct berth_image_ref *ref,
			  struct registry_manifest *out, struct berth_error *err)
{
	struct reg_session s;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!client || check_ref(ref, err) < 0)
		return client ? -1 : berth_error_set(err, EINVAL, "registry: no client");
	rc = reg_session_open(&s, client, ref, err);
	if (rc == 0)
		rc = get_manifest(&s, ref, out, err);
	reg_session_close(&s);
	if (rc < 0) {
		registry_manifest_release(out);
		return ref_error(ref, err);
	}
	return 0;
}

void registry_manifest_release(struct registry_manifest *m)
{
	if (!m)
		return;
	free(m->layers);
	free(m->raw);
	memset(m, 0, sizeof(*m));
}

/* ----------------------------------------------------------------- blobs */

/* GET the blob into body (set up by the caller) and verify it. */
static int get_blob(struct registry_client *client, const struct berth_image_ref *ref,
		    const char *digest, struct reg_body *body, struct berth_error *err)
{
	char what[BERTH_DIGEST_LEN + 16], path[REG_URL_MAX];
	struct reg_session s;
	int rc;

	snprintf(what, sizeof(what), "blob %s", digest);
	snprintf(path, sizeof(path), "/v2/%s/blobs/%s", ref->repository, digest);
	rc = reg_session_open(&s, client, ref, err);
	if (rc == 0)
		rc = reg_session_get(&s, path, NULL, what, body->max == 0, body, NULL, err);
	if (rc == 0)
		rc = reg_body_verify(body, what, digest, err);
	reg_session_close(&s);
	return rc;
}

static int check_blob_args(struct registry_client *client, const struct berth_image_ref *ref,
			   const char *digest, struct berth_error *err)
{
	if (!client)
		return berth_error_set(err, EINVAL, "registry: no client");
	if (check_ref(ref, err) < 0)
		return -1;
	if (reg_digest_check("blob", digest, err) < 0) {
		err->code = err->code == EBADMSG ? EINVAL : err->code;
		return ref_error(ref, err);
	}
	return 0;
}

int registry_fetch_blob(struct registry_client *client, const struct berth_image_ref *ref,
			const char *digest, int64_t expected_size,
			const struct registry_sink *sink, struct berth_error *err)
{
	struct reg_body body;
	int rc;

	if (check_blob_args(client, ref, digest, err) < 0)
		return -1;
	if (!sink || !sink->write)
		return berth_error_set(err, EINVAL, "registry: blob %s: no sink", digest);
	if (reg_body_init(&body, 0, sink, expected_size, true, err) < 0)
		return ref_error(ref, err);
	rc = get_blob(client, ref, digest, &body, err);
	reg_body_free(&body);
	return rc < 0 ? ref_error(ref, err) : 0;
}

struct fd_sink {
	int fd;
	off_t start;          /* -1: not seekable */
};

static int fd_write(void *arg, const void *data, size_t len)
{
	const struct fd_sink *f = arg;
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(f->fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int fd_rewind(void *arg)
{
	const struct fd_sink *f = arg;

	if (f->start < 0 || ftruncate(f->fd, f->start) < 0 || lseek(f->fd, f->start, SEEK_SET) < 0)
		return -1;
	return 0;
}

int registry_fetch_blob_fd(struct registry_client *client, const struct berth_image_ref *ref,
			   const char *digest, int64_t expected_size, int fd,
			   struct berth_error *err)
{
	struct fd_sink f = { fd, -1 };
	struct registry_sink sink = { fd_write, fd_rewind, &f };
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0)
		return berth_error_set(err, EBADF, "registry: blob %s: bad file descriptor",
				       digest ? digest : "(none)");
	if (S_ISREG(st.st_mode))
		f.start = lseek(fd, 0, SEEK_CUR);
	return registry_fetch_blob(client, ref, digest, expected_size, &sink, err);
}

int registry_get_blob_json(struct registry_client *client, const struct berth_image_ref *ref,
			   const char *digest, int64_t expected_size, struct json_object **json,
			   char **raw, size_t *raw_len, struct berth_error *err)
{
	struct reg_body body;
	enum json_tokener_error jerr = json_tokener_success;
	int rc;

	*json = NULL;
	if (raw)
		*raw = NULL;
	if (check_blob_args(client, ref, digest, err) < 0)
		return -1;
	if (expected_size > (int64_t)REGISTRY_CONFIG_MAX) {
		berth_error_set(err, EFBIG, "blob %s: %lld bytes is over the %u byte limit", digest,
				(long long)expected_size, REGISTRY_CONFIG_MAX);
		return ref_error(ref, err);
	}
	if (reg_body_init(&body, REGISTRY_CONFIG_MAX, NULL, expected_size, true, err) < 0)
		return ref_error(ref, err);
	rc = get_blob(client, ref, digest, &body, err);
	if (rc == 0) {
		*json = json_tokener_parse_verbose(body.data ? body.data : "", &jerr);
		if (!*json || !json_object_is_type(*json, json_type_object) || strlen(body.data) != body.len) {
			rc = berth_error_set(err, EBADMSG, "blob %s: not a JSON object%s%s", digest,
					     *json ? "" : ": ", *json ? "" : json_tokener_error_desc(jerr));
			json_object_put(*json);
			*json = NULL;
		}
	}
	if (rc == 0 && raw) {
		*raw = body.data;
		body.data = NULL;
		if (raw_len)
			*raw_len = body.len;
	}
	reg_body_free(&body);
	return rc < 0 ? ref_error(ref, err) : 0;
}
