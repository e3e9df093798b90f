/*
 * registry_digest.c - response bodies (bounded buffers or streams to a sink)
 * hashed on the way, and digest checks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "registry_internal.h"

#define SHA256_PREFIX "sha256:"

int reg_body_init(struct reg_body *body, size_t max, const struct registry_sink *sink,
		  int64_t expected_size, bool hash, struct berth_error *err)
{
	memset(body, 0, sizeof(*body));
	body->max = max;
	body->sink = sink;
	body->expected_size = expected_size < 0 ? -1 : expected_size;
	if (hash) {
		body->sha = EVP_MD_CTX_new();
		if (!body->sha || EVP_DigestInit_ex(body->sha, EVP_sha256(), NULL) != 1) {
			EVP_MD_CTX_free(body->sha);
			body->sha = NULL;
			return berth_error_set(err, ENOMEM, "cannot set up sha256");
		}
	}
	return 0;
}

int reg_body_reset(struct reg_body *body)
{
	if (body->sink && body->received > 0) {
		if (!body->sink->rewind || body->sink->rewind(body->sink->arg) < 0)
			return -1;
	}
	body->len = 0;
	body->received = 0;
	body->sink_errno = 0;
	body->too_big = false;
	if (body->sha && EVP_DigestInit_ex(body->sha, EVP_sha256(), NULL) != 1)
		return -1;
	return 0;
}

static int body_buffer(struct reg_body *body, const void *data, size_t len)
{
	if (len > body->max - body->len) {
		body->too_big = true;
		return -1;
	}
	/* +1 keeps room for a terminating NUL */
	if (body->len + len + 1 > body->cap) {
		size_t cap = body->cap ? body->cap : 16384;
		char *grown;

		while (cap < body->len + len + 1)
			cap *= 2;
		if (cap > body->max + 1)
			cap = body->max + 1;
		grown = realloc(body->data, cap);
		if (!grown) {
			body->sink_errno = ENOMEM;
			return -1;
		}
		body->data = grown;
		body->cap = cap;
	}
	memcpy(body->data + body->len, data, len);
	body->len += len;
	body->data[body->len] = '\0';
	return 0;
}

int reg_body_append(struct reg_body *body, const void *data, size_t len)
{
	if (body->expected_size >= 0 && len > (uint64_t)body->expected_size - body->received) {
		body->too_big = true;
		return -1;
	}
	if (body->sha && EVP_DigestUpdate(body->sha, data, len) != 1) {
		body->sink_errno = ENOMEM;
		return -1;
	}
	if (body->max > 0) {
		if (body_buffer(body, data, len) < 0)
			return -1;
	} else if (body->sink) {
		errno = 0;
		if (body->sink->write(body->sink->arg, data, len) < 0) {
			body->sink_errno = errno ? errno : EIO;
			return -1;
		}
	}
	body->received += len;
	return 0;
}

void reg_body_digest(struct reg_body *body, char out[BERTH_DIGEST_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (!body->sha || EVP_DigestFinal_ex(body->sha, md, &mdlen) != 1 || mdlen != 32) {
		out[0] = '\0';
		return;
	}
	berth_digest_format(md, out);
}

void reg_body_free(struct reg_body *body)
{
	EVP_MD_CTX_free(body->sha);
	free(body->data);
	memset(body, 0, sizeof(*body));
}

void reg_sha256_digest(const void *data, size_t len, char out[BERTH_DIGEST_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32) {
		out[0] = '\0';
		return;
	}
	berth_digest_format(md, out);
}

int reg_digest_check(const char *what, const char *digest, struct berth_error *err)
{
	const char *colon;
	const char *hex;

	if (!digest)
		return berth_error_set(err, EBADMSG, "%s: no digest", what);
	colon = strchr(digest, ':');
	if (colon && colon != digest && strncmp(digest, SHA256_PREFIX, strlen(SHA256_PREFIX)) != 0 &&
	    strspn(digest, "abcdefghijklmnopqrstuvwxyz0123456789+._-") == (size_t)(colon - digest))
		return berth_error_set(err, ENOTSUP, "%s: unsupported digest algorithm \"%.*s\" (only sha256)",
				       what, (int)(colon - digest > 32 ? 32 : colon - digest), digest);
	hex = digest + strlen(SHA256_PREFIX);
	if (!colon || strncmp(digest, SHA256_PREFIX, strlen(SHA256_PREFIX)) != 0 ||
	    strlen(hex) != 64 || strspn(hex, "0123456789abcdef") != 64) {
		char shown[96];

		snprintf(shown, sizeof(shown), "%.80s", digest);
		berth_error_sanitize(shown);
		return berth_error_set(err, EBADMSG, "%s: invalid digest \"%s\"", what, shown);
	}
	return 0;
}

static uint64_t verify_failures;

void reg_count_verify_failure(void)
{
	__atomic_add_fetch(&verify_failures, 1, __ATOMIC_RELAXED);
}

uint64_t registry_verify_failures(void)
{
	return __atomic_load_n(&verify_failures, __ATOMIC_RELAXED);
}

int reg_digest_verify(const char *what, const char *expected, const char *got,
		      struct berth_error *err)
{
	if (strcmp(expected, got) != 0) {
		reg_count_verify_failure();
		return berth_error_set(err, EBADMSG, "%s: digest mismatch (got %s)", what, got);
	}
	return 0;
}

int reg_body_verify(struct reg_body *body, const char *what, const char *digest,
		    struct berth_error *err)
{
	char got[BERTH_DIGEST_LEN + 1];

	if (body->expected_size >= 0 && body->received != (uint64_t)body->expected_size) {
		reg_count_verify_failure();
		return berth_error_set(err, EBADMSG, "%s: size mismatch (got %llu bytes, expected %lld)",
				       what, (unsigned long long)body->received,
				       (long long)body->expected_size);
	}
	reg_body_digest(body, got);
	return reg_digest_verify(what, digest, got, err);
}
