/*
 * gw_service_pull.c - gw_pull(): resolve the manifest now, queue the rest
 * (single-flight per digest); the registry clients and their credentials.
 *
 * Registry clients: one shared client for anonymous pulls, which uses the
 * site credentials of credentials_file (the images stay public), and one
 * client per pull with a login, created for that pull and destroyed with its
 * job.  A private pull's tokens therefore never enter the shared client's
 * token cache, where an anonymous pull could reuse them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "berth_log.h"
#include "gw_service_internal.h"

/* ------------------------------------------------------------- registry */
static int site_credentials(void *arg, const char *registry, struct registry_credentials *out)
{
	struct gw_service *svc = arg;
	struct json_object *entry, *user, *pass;

	if (!svc->site_credentials ||
	    !json_object_object_get_ex(svc->site_credentials, registry, &entry) ||
	    !json_object_object_get_ex(entry, "username", &user) ||
	    !json_object_object_get_ex(entry, "password", &pass))
		return 0;
	snprintf(out->username, sizeof(out->username), "%s", json_object_get_string(user));
	snprintf(out->password, sizeof(out->password), "%s", json_object_get_string(pass));
	return 1;
}

static int login_credentials(void *arg, const char *registry, struct registry_credentials *out)
{
	const struct gw_registry_login *login = arg;

	(void)registry;
	snprintf(out->username, sizeof(out->username), "%s", login->username);
	snprintf(out->password, sizeof(out->password), "%s", login->password);
	return 1;
}

int gw_registry_create(struct gw_service *svc, const struct gw_registry_login *login,
		       struct registry_client **out, struct berth_error *err)
{
	const struct gw_config *cfg = svc->cfg;
	struct registry_options opts;

	registry_options_init(&opts);
	if (cfg->platform && *cfg->platform)
		opts.platform = cfg->platform;
	opts.insecure = (const char *const *)cfg->insecure_list;
	opts.allow = (const char *const *)cfg->allow_list;
	opts.redirect_allow = (const char *const *)cfg->redirect_allow_list;
	if (cfg->ca_file && *cfg->ca_file)
		opts.ca_file = cfg->ca_file;
	if (cfg->connect_timeout_ms)
		opts.connect_timeout_ms = (long)cfg->connect_timeout_ms;
	if (cfg->request_timeout_ms)
		opts.timeout_ms = (long)cfg->request_timeout_ms;
	opts.retries = cfg->retries;
	if (login) {
		opts.credentials = login_credentials;
		opts.credentials_arg = (void *)login;
	} else {
		opts.credentials = site_credentials;
		opts.credentials_arg = svc;
	}
	*out = registry_client_create(&opts, err);
	return *out ? 0 : -1;
}

int gw_registry_error(struct berth_error *err)
{
	switch (err->code) {
	case ENOENT: case EINVAL: case ENOMEM:
	case ECONNREFUSED: case EHOSTUNREACH: case ETIMEDOUT: case EPROTO: case EBADMSG:
		break;
	case EACCES:
		err->code = EPERM;
		break;
	case ENETUNREACH:
		err->code = EHOSTUNREACH;
		break;
	case EFBIG: case ENOTSUP:
		err->code = EBADMSG;
		break;
	default:   /* ECONNRESET, EIO, EAGAIN (5xx after the retries) */
		err->code = EPROTO;
		break;
	}
	return -1;
}

static void login_free(struct gw_registry_login *login)
{
	if (!login)
		return;
	explicit_bzero(login, sizeof(*login));
	free(login);
}

/* ----------------------------------------------------------------- pull */
struct pull_ctx {
	const struct gw_caller *caller;
	const struct gw_pull_request *req;
	const char *text;
	struct registry_manifest manifest;   /* moved into a new job */
	struct registry_client *client;      /* private: moved into a new job */
	struct gw_registry_login *login;
};

static uint64_t download_size(const struct registry_manifest *m)
{
	uint64_t total = 0;

	for (size_t i = 0; i < m->nlayers; i++)
		total += m->layers[i].size;
	return total;
}

/* A new job for ctx's digest, queued (svc->lock held). */
static int start_job(struct gw_service *svc, struct pull_ctx *ctx, const struct berth_image_ref *ref,
		     struct berth_error *err)
{
	struct gw_job *job;

	if (svc->queued >= svc->cfg->queue_max)
		return berth_error_set(err, EAGAIN, "the pull queue is full (%u waiting), try again later",
				       svc->queued);
	job = calloc(1, sizeof(*job));
	if (!job)
		return berth_error_set(err, ENOMEM, "out of memory");
	job->kind = GW_JOB_PULL;
	job->ref = *ref;
	snprintf(job->ref_text, sizeof(job->ref_text), "%s", ctx->text);
	snprintf(job->digest, sizeof(job->digest), "%s", ctx->manifest.digest);
	job->manifest = ctx->manifest;
	memset(&ctx->manifest, 0, sizeof(ctx->manifest));
	job->have_manifest = true;
	job->client = ctx->client;
	job->login = ctx->login;
	ctx->client = NULL;
	ctx->login = NULL;
	job->status = GW_STATUS_PENDING;
	job->progress.layers_total = (uint32_t)job->manifest.nlayers;
	job->progress.bytes_total = download_size(&job->manifest);
	gw_job_enqueue(svc, job);
	return 0;
}

static const struct gw_caller admin_caller = { .admin = true };

/* Under svc->lock: join the digest's job, or find it READY, or start a job;
 * then write the caller's record. */
static int pull_locked(struct gw_service *svc, struct pull_ctx *ctx, const struct berth_image_ref *ref,
		       struct gw_image_record *out, bool *accepted, struct berth_error *err)
{
	const struct gw_pull_request *req = ctx->req;
	struct gw_store_acl acl = { req ? req->users : NULL, req ? req->nusers : 0,
				    req ? req->groups : NULL, req ? req->ngroups : 0 };
	char digest[BERTH_DIGEST_LEN + 1];
	struct gw_store_pull p = { .ref = ctx->text, .digest = digest,
				   .owner = ctx->login ? (int64_t)ctx->caller->uid : GW_OWNER_PUBLIC,
				   .acl = &acl, .download_size = download_size(&ctx->manifest),
				   .now = gw_now(), .keep_ready = true };
	struct berth_error sync_err = BERTH_ERROR_INIT;
	struct gw_store_row row;
	struct gw_job *job;

	snprintf(digest, sizeof(digest), "%s", ctx->manifest.digest);   /* start_job() moves the manifest */
	if (svc->stopping)
		return berth_error_set(err, ESHUTDOWN, "the gateway is shutting down");
	job = gw_job_find_digest(svc, p.digest);
	if (!job && gw_store_digest_ready(svc->store, p.digest, err) == 1 && gw_published(svc, p.digest) &&
	    gw_store_find_digest(svc->store, p.digest, &admin_caller, &row, err) == 0 &&
	    row.rec.status == GW_STATUS_READY) {
		p.status = GW_STATUS_READY;
		p.size = row.rec.size;
	} else if (job) {
		p.status = job->status;
		GW_COUNT(svc, n_pull_joins);   /* single-flight: this digest is being pulled */
	} else {
		if (start_job(svc, ctx, ref, err) < 0)
			return -1;
		p.status = GW_STATUS_PENDING;
	}
	*accepted = p.status != GW_STATUS_READY;
	if (gw_store_upsert(svc->store, &p, &row, err) < 0)
		return -1;
	/* a READY record now (a published digest pulled by someone else, or
	 * publicly), or a moved tag's new ACL */
	if (gw_access_sync_all(svc, &sync_err) < 0)
		berth_err("gateway: %s", sync_err.msg);
	job = gw_job_find_digest(svc, p.digest);
	if (job)
		row.rec.progress = job->progress;
	*out = row.rec;
	return 0;
}

/* localhost/ is the namespace of imports: never contacted. */
static int pull_local(struct gw_service *svc, const struct gw_caller *caller, const char *text,
		      struct gw_image_record *out, bool *accepted, struct berth_error *err)
{
	struct gw_store_row row;

	if (gw_store_find_ref(svc->store, text, caller, &row, err) < 0)
		return berth_error_set(err, err->code, "image \"%s\" not found (localhost/ holds "
				       "imported images only)", text);
	*out = row.rec;
	*accepted = gw_status_in_progress(row.rec.status);
	return 0;
}

int gw_pull(struct gw_service *svc, const struct gw_caller *caller,
	    const struct berth_image_ref *ref, const struct gw_pull_request *req,
	    struct gw_image_record *out, bool *accepted, struct berth_error *err)
{
	char text[GW_REF_MAX];
	struct pull_ctx ctx = { .caller = caller, .req = req, .text = text };
	int rc = -1;

	if (ref->type != BERTH_IMAGE_DOCKER)
		return berth_error_set(err, EINVAL, "only docker: references can be pulled");
	if (berth_image_ref_format(ref, text, sizeof(text), err) < 0)
		return -1;
	GW_COUNT(svc, n_pulls);
	if (!strcmp(ref->registry, "localhost"))
		return pull_local(svc, caller, text, out, accepted, err);
	if (req && req->login) {
		ctx.login = malloc(sizeof(*ctx.login));
		if (!ctx.login)
			return berth_error_set(err, ENOMEM, "out of memory");
		*ctx.login = *req->login;
		if (gw_registry_create(svc, ctx.login, &ctx.client, err) < 0)
			goto out;
	}
	GW_COUNT(svc, n_manifest_fetches);
	if (registry_get_manifest(ctx.client ? ctx.client : svc->registry, ref, &ctx.manifest, err) < 0) {
		gw_registry_error(err);
		goto out;
	}
	pthread_mutex_lock(&svc->lock);
	rc = pull_locked(svc, &ctx, ref, out, accepted, err);
	pthread_mutex_unlock(&svc->lock);
	if (rc == 0)
		berth_verbose("gateway: pull %s uid %u -> %s %s", text, (unsigned)caller->uid,
			      out->digest, gw_status_name(out->status));
out:
	registry_manifest_release(&ctx.manifest);
	registry_client_destroy(ctx.client);
	login_free(ctx.login);
	return rc;
}
