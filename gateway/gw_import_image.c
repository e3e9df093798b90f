/*
 * gw_import_image.c - gw_import() and the worker's part of an import:
 * choose the image in the extracted archive (OCI layout or docker save),
 * verify its blobs, convert and publish.  Digests: see gw_import.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "berth_log.h"
#include "fs_util.h"
#include "gw_import_internal.h"

#define OCI_INDEX_MT      "application/vnd.oci.image.index.v1+json"
#define DOCKER_LIST_MT    "application/vnd.docker.distribution.manifest.list.v2+json"
#define OCI_REF_NAME      "org.opencontainers.image.ref.name"

static int blob_path(const char *dir, const char *digest, char *buf, size_t size,
		     struct berth_error *err)
{
	char q[BERTH_QUOTE_SIZE];

	if (!digest || !berth_digest_valid(digest))
		return berth_error_set(err, EINVAL, "import: bad digest \"%s\"",
				       digest ? berth_error_quote(q, digest, strlen(digest)) : "");
	snprintf(buf, size, "%s/blobs/sha256/%s", dir, digest + 7);
	return 0;
}

/* Blob digest of the OCI layout, checked against its name. */
static int verified_blob(const char *dir, const char *digest, char *path, size_t size,
			 struct berth_error *err)
{
	char got[BERTH_DIGEST_LEN + 1];
	uint64_t len;

	if (blob_path(dir, digest, path, size, err) < 0 || gw_imp_sha256_file(path, got, &len, err) < 0)
		return -1;
	if (strcmp(got, digest))
		return berth_error_set(err, EBADMSG, "import: blob %s: digest mismatch (got %s)", digest, got);
	return 0;
}

static struct json_object *read_json_blob(const char *dir, const char *digest, const char *what,
					  char **raw, size_t *raw_len, struct berth_error *err)
{
	char path[4096], *text;
	size_t len;
	struct json_object *o;

	if (verified_blob(dir, digest, path, sizeof(path), err) < 0 ||
	    gw_imp_read_small(path, &text, &len, err) < 0)
		return NULL;
	o = gw_imp_parse_json(text, len, what, err);
	if (raw && o) {
		*raw = text;
		*raw_len = len;
	} else {
		free(text);
	}
	return o;
}

static bool tag_matches(const char *name, const struct berth_image_ref *ref)
{
	char full[BERTH_REPOSITORY_MAX + BERTH_TAG_MAX + 16];

	if (!name)
		return false;
	if (!strcmp(name, ref->tag))
		return true;
	snprintf(full, sizeof(full), "%s:%s", ref->repository, ref->tag);
	if (!strcmp(name, full))
		return true;
	snprintf(full, sizeof(full), "localhost/%s:%s", ref->repository, ref->tag);
	return !strcmp(name, full);
}

/* The descriptor in array manifests for ref's tag (or the only one). */
static struct json_object *pick_by_tag(struct json_object *manifests, const struct berth_image_ref *ref,
				       struct berth_error *err)
{
	size_t n = json_object_is_type(manifests, json_type_array) ? json_object_array_length(manifests) : 0;

	for (size_t i = 0; i < n; i++) {
		struct json_object *d = json_object_array_get_idx(manifests, i), *ann;

		if (json_object_object_get_ex(d, "annotations", &ann) &&
		    tag_matches(gw_imp_get_str(ann, OCI_REF_NAME), ref))
			return d;
	}
	if (n == 1)
		return json_object_array_get_idx(manifests, 0);
	berth_error_set(err, EINVAL, "import: index.json: %s tagged \"%s\"",
			n ? "no image" : "no images", ref->tag);
	return NULL;
}

static bool platform_matches(struct json_object *d, const char *want)
{
	struct json_object *p;
	char have[128];
	const char *variant;

	if (!json_object_object_get_ex(d, "platform", &p))
		return false;
	variant = gw_imp_get_str(p, "variant");
	snprintf(have, sizeof(have), "%s/%s%s%s", gw_imp_get_str(p, "os") ?: "",
		 gw_imp_get_str(p, "architecture") ?: "", variant ? "/" : "", variant ?: "");
	return !strcmp(have, want) || (!strchr(want + strcspn(want, "/") + 1, '/') &&
				       !strncmp(have, want, strlen(want)) && have[strlen(want)] == '/');
}

/* A nested index: the manifest for the configured platform. */
static struct json_object *pick_platform(struct gw_service *svc, const char *dir, const char *digest,
					 struct json_object **holder, struct berth_error *err)
{
	const char *want = svc->cfg->platform && *svc->cfg->platform ? svc->cfg->platform : "linux/amd64";
	struct json_object *index = read_json_blob(dir, digest, "image index", NULL, NULL, err), *m;
	size_t n;

	if (!index)
		return NULL;
	*holder = index;
	n = json_object_object_get_ex(index, "manifests", &m) && json_object_is_type(m, json_type_array)
		? json_object_array_length(m) : 0;
	for (size_t i = 0; i < n; i++)
		if (platform_matches(json_object_array_get_idx(m, i), want))
			return json_object_array_get_idx(m, i);
	berth_error_set(err, ENOENT, "import: no image for platform \"%s\"", want);
	return NULL;
}

static int oci_layers(const char *dir, struct json_object *manifest, struct import_image *img,
		      struct berth_error *err)
{
	struct json_object *layers, *config;
	char path[4096];
	size_t n;

	if (!json_object_object_get_ex(manifest, "config", &config) ||
	    !json_object_object_get_ex(manifest, "layers", &layers) ||
	    !json_object_is_type(layers, json_type_array))
		return berth_error_set(err, EINVAL, "import: manifest without config or layers");
	n = json_object_array_length(layers);
	img->layers = calloc(n ? n : 1, sizeof(*img->layers));
	if (!img->layers)
		return berth_error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const char *digest = gw_imp_get_str(json_object_array_get_idx(layers, i), "digest");

		if (verified_blob(dir, digest, path, sizeof(path), err) < 0)
			return -1;
		img->layers[img->nlayers] = strdup(path);
		if (!img->layers[img->nlayers++])
			return berth_error_set(err, ENOMEM, "out of memory");
	}
	if (verified_blob(dir, gw_imp_get_str(config, "digest"), path, sizeof(path), err) < 0)
		return -1;
	return gw_imp_read_small(path, &img->config, &img->config_len, err);
}

static int choose_oci(struct gw_service *svc, const char *dir, const struct berth_image_ref *ref,
		      struct import_image *img, struct berth_error *err)
{
	char path[4096 + 64], *text = NULL;
	size_t len;
	struct json_object *index = NULL, *nested = NULL, *manifest = NULL, *list, *d = NULL;
	const char *mt;
	int rc = -1;

	snprintf(path, sizeof(path), "%s/index.json", dir);
	if (gw_imp_read_small(path, &text, &len, err) < 0 ||
	    !(index = gw_imp_parse_json(text, len, "index.json", err)))
		goto out;
	if (!json_object_object_get_ex(index, "manifests", &list) || !(d = pick_by_tag(list, ref, err)))
		goto out;
	mt = gw_imp_get_str(d, "mediaType");
	if (mt && (!strcmp(mt, OCI_INDEX_MT) || !strcmp(mt, DOCKER_LIST_MT)) &&
	    !(d = pick_platform(svc, dir, gw_imp_get_str(d, "digest"), &nested, err)))
		goto out;
	if (!gw_imp_get_str(d, "digest") || !berth_digest_valid(gw_imp_get_str(d, "digest"))) {
		berth_error_set(err, EINVAL, "import: index.json: manifest without a valid digest");
		goto out;
	}
	snprintf(img->digest, sizeof(img->digest), "%s", gw_imp_get_str(d, "digest"));
	manifest = read_json_blob(dir, img->digest, "manifest", NULL, NULL, err);
	rc = manifest ? oci_layers(dir, manifest, img, err) : -1;
out:
	free(text);
	if (manifest)
		json_object_put(manifest);
	if (nested)
		json_object_put(nested);
	if (index)
		json_object_put(index);
	return rc;
}

/* ------------------------------------------------------------ docker save */
static struct json_object *pick_docker(struct json_object *list, const struct berth_image_ref *ref,
				       struct berth_error *err)
{
	size_t n = json_object_is_type(list, json_type_array) ? json_object_array_length(list) : 0;

	for (size_t i = 0; i < n; i++) {
		struct json_object *tags;

		if (!json_object_object_get_ex(json_object_array_get_idx(list, i), "RepoTags", &tags) ||
		    !json_object_is_type(tags, json_type_array))
			continue;
		for (size_t t = 0; t < json_object_array_length(tags); t++)
			if (tag_matches(json_object_get_string(json_object_array_get_idx(tags, t)), ref))
				return json_object_array_get_idx(list, i);
	}
	if (n == 1)
		return json_object_array_get_idx(list, 0);
	berth_error_set(err, EINVAL, "import: manifest.json: %s tagged \"%s\"",
			n ? "no image" : "no images", ref->tag);
	return NULL;
}

/* dir/name for a file named in manifest.json (untrusted). */
static int docker_file(const char *dir, const char *name, char *path, size_t size,
		       struct berth_error *err)
{
	char q[BERTH_QUOTE_SIZE];
	struct stat st;

	if (!name || !*name || name[0] == '/' || !strcmp(name, "..") || !strncmp(name, "../", 3) ||
	    strstr(name, "/../") || (strlen(name) >= 3 && !strcmp(name + strlen(name) - 3, "/..")))
		return berth_error_set(err, EINVAL, "import: manifest.json: bad file name \"%s\"",
				       name ? berth_error_quote(q, name, strlen(name)) : "");
	snprintf(path, size, "%s/%s", dir, name);
	if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return berth_error_set(err, EINVAL, "import: manifest.json names \"%s\", which is not "
				       "a file in the archive", berth_error_quote(q, name, strlen(name)));
	return 0;
}

static int sha256_text(const char *text, size_t len, char *digest)
{
	unsigned char md[32];

	if (!EVP_Digest(text, len, md, NULL, EVP_sha256(), NULL))
		return -1;
	berth_digest_format(md, digest);
	return 0;
}

/* The synthesized OCI manifest of a docker save image (see gw_import.c). */
static int docker_digest(struct import_image *img, const char (*layer_digests)[BERTH_DIGEST_LEN + 1],
			 const uint64_t *layer_sizes, struct berth_error *err)
{
	char config_digest[BERTH_DIGEST_LEN + 1];
	size_t cap = 512 + img->nlayers * 192, len;
	char *m = malloc(cap);
	int rc;

	if (!m || sha256_text(img->config, img->config_len, config_digest) < 0) {
		free(m);
		return berth_error_set(err, ENOMEM, "out of memory");
	}
	len = (size_t)snprintf(m, cap, "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image."
			       "manifest.v1+json\",\"config\":{\"mediaType\":\"application/vnd.oci.image."
			       "config.v1+json\",\"digest\":\"%s\",\"size\":%zu},\"layers\":[",
			       config_digest, img->config_len);
	for (size_t i = 0; i < img->nlayers; i++)
		len += (size_t)snprintf(m + len, cap - len, "%s{\"mediaType\":\"application/vnd.oci.image."
					"layer.v1.tar\",\"digest\":\"%s\",\"size\":%llu}", i ? "," : "",
					layer_digests[i], (unsigned long long)layer_sizes[i]);
	len += (size_t)snprintf(m + len, cap - len, "]}");
	rc = sha256_text(m, len, img->digest);
	free(m);
	return rc < 0 ? berth_error_set(err, ENOMEM, "out of memory") : 0;
}

static int docker_layers(const char *dir, struct json_object *entry, struct import_image *img,
			 struct berth_error *err)
{
	struct json_object *layers;
	char path[4096], (*digests)[BERTH_DIGEST_LEN + 1];
	uint64_t *sizes;
	size_t n;
	int rc = 0;

	if (!json_object_object_get_ex(entry, "Layers", &layers) || !json_object_is_type(layers, json_type_array))
		return berth_error_set(err, EINVAL, "import: manifest.json: no Layers");
	n = json_object_array_length(layers);
	img->layers = calloc(n ? n : 1, sizeof(*img->layers));
	digests = calloc(n ? n : 1, sizeof(*digests));
	sizes = calloc(n ? n : 1, sizeof(*sizes));
	if (!img->layers || !digests || !sizes)
		rc = berth_error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; rc == 0 && i < n; i++) {
		rc = docker_file(dir, json_object_get_string(json_object_array_get_idx(layers, i)), path,
				 sizeof(path), err);
		if (rc == 0)
			rc = gw_imp_sha256_file(path, digests[i], &sizes[i], err);
		if (rc == 0 && !(img->layers[img->nlayers++] = strdup(path)))
			rc = berth_error_set(err, ENOMEM, "out of memory");
	}
	if (rc == 0)
		rc = docker_digest(img, (const char (*)[BERTH_DIGEST_LEN + 1])digests, sizes, err);
	free(digests);
	free(sizes);
	return rc;
}

static int choose_docker(const char *dir, const struct berth_image_ref *ref, struct import_image *img,
			 struct berth_error *err)
{
	char path[4096 + 64], *text = NULL;
	size_t len;
	struct json_object *list = NULL, *entry;
	int rc = -1;

	snprintf(path, sizeof(path), "%s/manifest.json", dir);
	if (gw_imp_read_small(path, &text, &len, err) < 0 ||
	    !(list = gw_imp_parse_json(text, len, "manifest.json", err)) ||
	    !(entry = pick_docker(list, ref, err)) ||
	    docker_file(dir, gw_imp_get_str(entry, "Config"), path, sizeof(path), err) < 0 ||
	    gw_imp_read_small(path, &img->config, &img->config_len, err) < 0)
		goto out;
	rc = docker_layers(dir, entry, img, err);
out:
	free(text);
	if (list)
		json_object_put(list);
	return rc;
}

/* ------------------------------------------------------------------ jobs */
static int import_extracted(struct gw_service *svc, struct gw_job *job, const char *dir,
			    struct berth_error *err)
{
	struct import_image img = { .nlayers = 0 };
	char index[4096 + 64];
	struct stat st;
	int rc;

	snprintf(index, sizeof(index), "%s/index.json", dir);
	rc = stat(index, &st) == 0 ? choose_oci(svc, dir, &job->ref, &img, err)
				   : choose_docker(dir, &job->ref, &img, err);
	if (rc == 0) {
		pthread_mutex_lock(&svc->lock);
		snprintf(job->digest, sizeof(job->digest), "%s", img.digest);
		job->progress.layers_total = job->progress.layers_done = (uint32_t)img.nlayers;
		pthread_mutex_unlock(&svc->lock);
		gw_store_update_id(svc->store, job->record_id, img.digest, GW_STATUS_CONVERTING, "", 0, 0, err);
		if (!(gw_store_digest_ready(svc->store, img.digest, err) == 1 && gw_published(svc, img.digest)))
			rc = gw_convert_publish(svc, job, (const char *const *)img.layers, img.nlayers,
						img.config, img.config_len, err);
	}
	gw_import_image_free(&img);
	return rc;
}

int gw_import_run(struct gw_service *svc, struct gw_job *job, struct berth_error *err)
{
	char dir[4096];
	struct berth_error e = BERTH_ERROR_INIT;
	int rc;

	gw_job_set_phase(svc, job, GW_STATUS_PULLING, "download");
	gw_tmp_name(svc, svc->tmp_dir, "import", dir, sizeof(dir));
	if (mkdir(dir, 0700) < 0)
		return berth_error_errno(err, errno, "import: mkdir %s", dir);
	rc = gw_imp_extract(job->archive_path, dir, err);
	unlink(job->archive_path);
	if (rc == 0)
		rc = import_extracted(svc, job, dir, err);
	if (berth_remove_tree(dir, &e) < 0)
		berth_err("gateway: %s", e.msg);
	return rc;
}

/* Under svc->lock: refuse, or record and queue the import. */
static int queue_import(struct gw_service *svc, const char *text, const struct berth_image_ref *ref,
			const char *archive_path, struct gw_image_record *out, struct berth_error *err)
{
	struct gw_store_pull p = { .ref = text, .owner = GW_OWNER_PUBLIC, .digest = "",
				   .status = GW_STATUS_PENDING, .now = gw_now() };
	struct gw_store_row row;
	struct gw_job *job;

	if (svc->stopping)
		return berth_error_set(err, ESHUTDOWN, "the gateway is shutting down");
	for (job = svc->jobs; job; job = job->next)
		if (job->kind == GW_JOB_IMPORT && !strcmp(job->ref_text, text))
			return berth_error_set(err, EBUSY, "image \"%s\" is being imported", text);
	if (svc->queued >= svc->cfg->queue_max)
		return berth_error_set(err, EAGAIN, "the work queue is full (%u waiting), try again later",
				       svc->queued);
	job = calloc(1, sizeof(*job));
	if (!job || !(job->archive_path = strdup(archive_path))) {
		free(job);
		return berth_error_set(err, ENOMEM, "out of memory");
	}
	if (gw_store_upsert(svc->store, &p, &row, err) < 0) {
		free(job->archive_path);
		free(job);
		return -1;
	}
	job->kind = GW_JOB_IMPORT;
	job->ref = *ref;
	job->record_id = row.id;
	job->status = GW_STATUS_PENDING;
	snprintf(job->ref_text, sizeof(job->ref_text), "%s", text);
	gw_job_enqueue(svc, job);
	*out = row.rec;
	return 0;
}

int gw_import(struct gw_service *svc, const struct gw_caller *caller,
	      const struct berth_image_ref *ref, const char *archive_path,
	      struct gw_image_record *out, struct berth_error *err)
{
	char text[GW_REF_MAX];
	int rc = -1;

	if (!caller->importer && !caller->admin)
		berth_error_set(err, EPERM, "only gateway importers may import images");
	else if (ref->type != BERTH_IMAGE_DOCKER || strcmp(ref->registry, "localhost") || ref->digest[0])
		berth_error_set(err, EINVAL, "imported images are named docker:localhost/NAME[:TAG]");
	else if (berth_image_ref_format(ref, text, sizeof(text), err) == 0 &&
		 gw_import_scan(archive_path, err) == 0) {
		pthread_mutex_lock(&svc->lock);
		rc = queue_import(svc, text, ref, archive_path, out, err);
		pthread_mutex_unlock(&svc->lock);
	}
	if (rc < 0)
		unlink(archive_path);   /* ours in every case; a queued job removes it when done */
	return rc;
}
