/*
 * registry_tool.c - a command-line face of gateway/registry.h, driven by
 * test_registry_live.py against real registries and small test servers.
 *
 *   registry_tool [OPTIONS] manifest REF
 *   registry_tool [OPTIONS] blob REF DIGEST SIZE FILE
 *   registry_tool [OPTIONS] config REF DIGEST SIZE
 *   registry_tool [OPTIONS] pull REF DIR JOBS
 *
 * REF is host[:port]/repository[:tag][@sha256:...].  OPTIONS: --platform P,
 * --insecure HOST[:PORT] (repeatable; also allowed unless --allow is given),
 * --allow HOST[:PORT]|* and --redirect-allow HOST[:PORT] (repeatable: the
 * registry_allow policy), --creds REGISTRY=USER:PASSWORD
 * (repeatable), --retries N, --backoff-ms N, --timeout-ms N,
 * --connect-timeout-ms N.  Results are JSON on stdout; a failure prints
 * "error: <message>" and "errno: <name>" on stderr and exits 1.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE   /* strerrorname_np */
#endif
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "berth_log.h"
#include "registry.h"

#define MAX_LIST 16

static const char *insecure[MAX_LIST + 1];
static const char *allow[2 * MAX_LIST + 2];     /* --allow, else --insecure hosts and "*" */
static const char *redirect_allow[MAX_LIST + 1];
static const char *creds[MAX_LIST + 1];

static int lookup_creds(void *arg, const char *registry, struct registry_credentials *out)
{
	size_t len = strlen(registry);

	(void)arg;
	for (int i = 0; creds[i]; i++) {
		const char *c = creds[i], *colon;

		if (strncmp(c, registry, len) != 0 || c[len] != '=')
			continue;
		colon = strchr(c + len + 1, ':');
		if (!colon)
			return 0;
		snprintf(out->username, sizeof(out->username), "%.*s", (int)(colon - c - len - 1), c + len + 1);
		snprintf(out->password, sizeof(out->password), "%s", colon + 1);
		return 1;
	}
	return 0;
}

static int fail(const struct berth_error *err)
{
	fprintf(stderr, "error: %s\nerrno: %s\n", err->msg, strerrorname_np(err->code) ? strerrorname_np(err->code) : "?");
	return 1;
}

static int usage(void)
{
	fprintf(stderr, "usage: registry_tool [OPTIONS] manifest REF | blob REF DIGEST SIZE FILE | "
		"config REF DIGEST SIZE | pull REF DIR JOBS\n");
	return 2;
}

/* host[:port]/repo[:tag][@digest], without image_ref.c's normalisation. */
static int parse_ref(const char *text, struct berth_image_ref *ref)
{
	const char *slash = strchr(text, '/'), *at = strchr(text, '@'), *colon;
	size_t end;

	memset(ref, 0, sizeof(*ref));
	ref->type = BERTH_IMAGE_DOCKER;
	if (!slash)
		return -1;
	snprintf(ref->registry, sizeof(ref->registry), "%.*s", (int)(slash - text), text);
	end = at ? (size_t)(at - text) : strlen(text);
	if (at)
		snprintf(ref->digest, sizeof(ref->digest), "%s", at + 1);
	colon = memchr(slash, ':', end - (size_t)(slash - text));
	if (colon) {
		snprintf(ref->tag, sizeof(ref->tag), "%.*s", (int)(text + end - colon - 1), colon + 1);
		end = (size_t)(colon - text);
	} else if (!at) {
		strcpy(ref->tag, "latest");
	}
	snprintf(ref->repository, sizeof(ref->repository), "%.*s", (int)(end - (size_t)(slash - text) - 1), slash + 1);
	return 0;
}

static struct json_object *descriptor_json(const struct registry_descriptor *d)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "mediaType", json_object_new_string(d->media_type));
	json_object_object_add(o, "digest", json_object_new_string(d->digest));
	json_object_object_add(o, "size", json_object_new_int64((int64_t)d->size));
	json_object_object_add(o, "compression", json_object_new_int(d->compression));
	return o;
}

static void print_manifest(const struct registry_manifest *m)
{
	struct json_object *o = json_object_new_object(), *layers = json_object_new_array();

	json_object_object_add(o, "digest", json_object_new_string(m->digest));
	json_object_object_add(o, "index_digest", json_object_new_string(m->index_digest));
	json_object_object_add(o, "media_type", json_object_new_string(m->media_type));
	json_object_object_add(o, "platform", json_object_new_string(m->platform));
	json_object_object_add(o, "config", descriptor_json(&m->config));
	for (size_t i = 0; i < m->nlayers; i++)
		json_object_array_add(layers, descriptor_json(&m->layers[i]));
	json_object_object_add(o, "layers", layers);
	json_object_object_add(o, "raw_len", json_object_new_int64((int64_t)m->raw_len));
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

/* ------------------------------------------------------------------ pull */

struct pull {
	struct registry_client *client;
	const struct berth_image_ref *ref;
	const struct registry_manifest *m;
	const char *dir;
	pthread_mutex_t lock;
	size_t next;
	int failed;
	struct berth_error err;
};

static void *pull_worker(void *arg)
{
	struct pull *p = arg;

	for (;;) {
		struct berth_error err = BERTH_ERROR_INIT;
		const struct registry_descriptor *d;
		char path[4096];
		size_t i;
		int fd, rc;

		pthread_mutex_lock(&p->lock);
		i = p->next++;
		pthread_mutex_unlock(&p->lock);
		if (i >= p->m->nlayers)
			return NULL;
		d = &p->m->layers[i];
		snprintf(path, sizeof(path), "%s/%s", p->dir, d->digest + strlen("sha256:"));
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0) {
			berth_error_errno(&err, errno, "%s", path);
			rc = -1;
		} else {
			rc = registry_fetch_blob_fd(p->client, p->ref, d->digest, (int64_t)d->size, fd, &err);
			close(fd);
		}
		if (rc < 0) {
			pthread_mutex_lock(&p->lock);
			if (!p->failed++)
				p->err = err;
			pthread_mutex_unlock(&p->lock);
		}
	}
}

static int pull(struct registry_client *client, const struct berth_image_ref *ref, const char *dir,
		int jobs, struct berth_error *err)
{
	struct registry_manifest m;
	struct json_object *config;
	struct pull p = { .client = client, .ref = ref, .m = &m, .dir = dir };
	pthread_t threads[16];
	int started = 0;

	if (jobs < 1 || jobs > 16)
		return berth_error_set(err, EINVAL, "jobs: 1 to 16");
	if (registry_get_manifest(client, ref, &m, err) < 0)
		return -1;
	if (registry_get_blob_json(client, ref, m.config.digest, (int64_t)m.config.size, &config, NULL, NULL, err) < 0) {
		registry_manifest_release(&m);
		return -1;
	}
	json_object_put(config);
	pthread_mutex_init(&p.lock, NULL);
	for (int i = 0; i < jobs; i++)
		if (pthread_create(&threads[started], NULL, pull_worker, &p) == 0)
			started++;
	for (int i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	pthread_mutex_destroy(&p.lock);
	if (p.failed)
		*err = p.err;
	else
		print_manifest(&m);
	registry_manifest_release(&m);
	return p.failed ? -1 : 0;
}

/* --------------------------------------------------------------- commands */

static int run(struct registry_client *client, int argc, char **argv, struct berth_error *err)
{
	struct berth_image_ref ref;
	const char *cmd = argv[0];

	if (argc < 2 || parse_ref(argv[1], &ref) < 0)
		return berth_error_set(err, EINVAL, "bad arguments");
	if (strcmp(cmd, "manifest") == 0 && argc == 2) {
		struct registry_manifest m;

		if (registry_get_manifest(client, &ref, &m, err) < 0)
			return -1;
		print_manifest(&m);
		registry_manifest_release(&m);
		return 0;
	}
	if (strcmp(cmd, "blob") == 0 && argc == 5) {
		int fd = strcmp(argv[4], "-") == 0 ? dup(1) : open(argv[4], O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int rc;

		if (fd < 0)
			return berth_error_errno(err, errno, "%s", argv[4]);
		rc = registry_fetch_blob_fd(client, &ref, argv[2], strtoll(argv[3], NULL, 10), fd, err);
		close(fd);
		return rc;
	}
	if (strcmp(cmd, "config") == 0 && argc == 4) {
		struct json_object *json;
		char *raw;
		size_t len;

		if (registry_get_blob_json(client, &ref, argv[2], strtoll(argv[3], NULL, 10), &json, &raw,
					   &len, err) < 0)
			return -1;
		fwrite(raw, 1, len, stdout);
		json_object_put(json);
		free(raw);
		return 0;
	}
	if (strcmp(cmd, "pull") == 0 && argc == 4)
		return pull(client, &ref, argv[2], atoi(argv[3]), err);
	return berth_error_set(err, EINVAL, "bad arguments");
}

int main(int argc, char **argv)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct registry_options opts;
	struct registry_client *client;
	int ninsecure = 0, ncreds = 0, nallow = 0, nredirect = 0, i, rc;

	registry_options_init(&opts);
	opts.credentials = lookup_creds;
	for (i = 1; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
		const char *o = argv[i], *v = argv[i + 1];

		if (strcmp(o, "--platform") == 0)
			opts.platform = v;
		else if (strcmp(o, "--insecure") == 0 && ninsecure < MAX_LIST)
			insecure[ninsecure++] = v;
		else if (strcmp(o, "--allow") == 0 && nallow < MAX_LIST)
			allow[nallow++] = v;
		else if (strcmp(o, "--redirect-allow") == 0 && nredirect < MAX_LIST)
			redirect_allow[nredirect++] = v;
		else if (strcmp(o, "--creds") == 0 && ncreds < MAX_LIST)
			creds[ncreds++] = v;
		else if (strcmp(o, "--retries") == 0)
			opts.retries = (unsigned int)atoi(v);
		else if (strcmp(o, "--backoff-ms") == 0)
			opts.backoff_initial_ms = atol(v);
		else if (strcmp(o, "--timeout-ms") == 0)
			opts.timeout_ms = opts.blob_timeout_ms = atol(v);
		else if (strcmp(o, "--connect-timeout-ms") == 0)
			opts.connect_timeout_ms = atol(v);
		else
			return usage();
	}
	if (i >= argc)
		return usage();
	opts.insecure = insecure;
	/* the tests' registries are on loopback: listed by name unless a test
	 * gives its own --allow list */
	if (!nallow) {
		for (int k = 0; k < ninsecure; k++)
			allow[nallow++] = insecure[k];
		allow[nallow++] = "*";
	}
	opts.allow = allow;
	opts.redirect_allow = redirect_allow;
	if (getenv("REGISTRY_TOOL_DEBUG"))
		berth_log_set_level(BERTH_LOG_DEBUG);
	else
		berth_log_set_level(BERTH_LOG_ERROR);
	client = registry_client_create(&opts, &err);
	if (!client)
		return fail(&err);
	rc = run(client, argc - i, argv + i, &err);
	registry_client_destroy(client);
	if (rc < 0 && strcmp(err.msg, "bad arguments") == 0)
		return usage();
	return rc < 0 ? fail(&err) : 0;
}
