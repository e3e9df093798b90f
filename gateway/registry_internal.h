/*
 * registry_internal.h - what the registry_*.c files share (and the unit
 * tests reach): not for the rest of the gateway, which uses registry.h.
 */
#ifndef BERTH_REGISTRY_INTERNAL_H_
#define BERTH_REGISTRY_INTERNAL_H_

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <curl/curl.h>
#include <openssl/evp.h>

#include "registry.h"

#define REG_URL_MAX             4096
#define REG_ORIGIN_MAX          (BERTH_REGISTRY_MAX + 32)
#define REG_SCOPE_MAX           1024
#define REG_TOKEN_MAX           (64u << 10)   /* one token, in a header */
#define REG_TOKEN_RESPONSE_MAX  (1u << 20)
#define REG_ERROR_BODY_MAX      1024          /* kept of a non-2xx body */
#define REG_HEADER_MAX          (16u << 10)   /* kept of one header value */
#define REG_REDIRECTS_MAX       10
#define REG_PLATFORM_PART_MAX   32

struct reg_platform {
	char os[REG_PLATFORM_PART_MAX];
	char arch[REG_PLATFORM_PART_MAX];
	char variant[REG_PLATFORM_PART_MAX];   /* "" when not given */
};

struct reg_token_cache;

struct registry_client {
	struct reg_platform platform;
	char **insecure;                 /* "host[:port]", lowercase */
	size_t ninsecure;
	char **allow;                    /* registry_policy.c */
	size_t nallow;
	char **redirect_allow;
	size_t nredirect_allow;
	char *ca_file;
	char *user_agent;
	long connect_timeout_ms;
	long timeout_ms;
	long blob_timeout_ms;
	long low_speed_time_s;
	unsigned int retries;
	long backoff_initial_ms;
	long backoff_max_ms;
	registry_credentials_fn credentials;
	void *credentials_arg;
	struct reg_token_cache *tokens;
};

/* One API call against one repository: the curl handle (reused for every
 * request of the call, so connections are too) and the auth state. */
struct reg_session {
	struct registry_client *client;
	const char *registry;               /* name as in references: credentials, cache, messages */
	const char *repository;
	char base[REG_ORIGIN_MAX];          /* "https://host[:port]" requests go to */
	char origin[REG_ORIGIN_MAX];        /* normalised: "https://host:443" */
	char scope[REG_SCOPE_MAX];          /* "repository:<repo>:pull" */
	char *authorization;                /* header value sent to origin, or NULL */
	char auth_user[REGISTRY_USERNAME_MAX]; /* whose credentials it carries, "" if none */
	bool auth_fresh;                    /* got from the token server or credentials in this call */
	CURL *curl;
	char curl_error[CURL_ERROR_SIZE];
	bool registry_listed;               /* named in allow: any address will do */
	bool url_listed;                    /* the same for the URL being fetched */
	bool addr_refused;                  /* the policy refused an address of it */
};

/* ------------------------------------------------------------ registry_policy.c */

/* A public unicast address (not private, loopback, link-local, ...). */
bool reg_addr_public(const struct sockaddr *sa);
/* At session open: may s->registry be used at all (EACCES if not)? */
int reg_policy_registry(struct reg_session *s, struct berth_error *err);
/* Before fetching url (origin: reg_url_origin's): is its host allowed?
 * Sets what the connect-time check allows for it. */
int reg_policy_url(struct reg_session *s, const char *url, const char *origin, const char *what,
		   struct berth_error *err);
/* CURLOPT_OPENSOCKETFUNCTION (data: the session): the address check. */
curl_socket_t reg_policy_open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *addr);

/* ---------------------------------------------------------- registry_digest.c */

/* A response body: into a bounded buffer (max > 0) or streamed to a sink
 * (max == 0), hashed with sha256 on the way when hash is set. */
struct reg_body {
	size_t max;
	char *data;
	size_t len, cap;
	const struct registry_sink *sink;
	EVP_MD_CTX *sha;
	int64_t expected_size;              /* -1: unknown */
	uint64_t received;
	int sink_errno;                     /* the sink failed with this */
	bool too_big;                       /* over max or expected_size */
};

int reg_body_init(struct reg_body *body, size_t max, const struct registry_sink *sink,
		  int64_t expected_size, bool hash, struct berth_error *err);
/* Start again (for a retry); -1 if what was streamed cannot be taken back. */
int reg_body_reset(struct reg_body *body);
/* 0, or -1 with too_big or sink_errno set. */
int reg_body_append(struct reg_body *body, const void *data, size_t len);
/* The sha256 of everything appended, "sha256:<hex>". */
void reg_body_digest(struct reg_body *body, char out[BERTH_DIGEST_LEN + 1]);
void reg_body_free(struct reg_body *body);

void reg_sha256_digest(const void *data, size_t len, char out[BERTH_DIGEST_LEN + 1]);
/* digest must be "sha256:<64 lowercase hex>": EBADMSG "WHAT: invalid digest
 * "..."", or ENOTSUP for another algorithm. */
int reg_digest_check(const char *what, const char *digest, struct berth_error *err);
/* Count a digest or size mismatch (registry_verify_failures). */
void reg_count_verify_failure(void);
/* "WHAT: digest mismatch (got GOT)" unless they are equal. */
int reg_digest_verify(const char *what, const char *expected, const char *got,
		      struct berth_error *err);
/* WHAT: the body's size and digest against the expected ones. */
int reg_body_verify(struct reg_body *body, const char *what, const char *digest,
		    struct berth_error *err);

/* -------------------------------------------------------- registry_manifest.c */

/* "os/arch[/variant]"; arm64 without a variant means v8. */
int reg_platform_parse(const char *text, struct reg_platform *out, struct berth_error *err);
void reg_platform_format(const struct reg_platform *platform, char *buf, size_t size);

/* Parse a manifest body and tell an index from an image manifest.  The media
 * type is the document's mediaType, else the Content-Type (may be NULL).
 * Rejects schema1 and unknown types.  *root: json_object_put() it. */
int reg_manifest_classify(const char *body, size_t len, const char *content_type,
			  struct json_object **root, char media_type[REGISTRY_MEDIA_TYPE_MAX],
			  bool *is_index, struct berth_error *err);
/* The index entry for platform: its descriptor and "os/arch[/variant]". */
int reg_index_select(struct json_object *root, const struct reg_platform *platform,
		     struct registry_descriptor *chosen, char chosen_platform[REGISTRY_PLATFORM_MAX],
		     struct berth_error *err);
/* Config and layers of an image manifest into out (digest, raw: the caller). */
int reg_manifest_parse(struct json_object *root, const char *media_type,
		       struct registry_manifest *out, struct berth_error *err);

/* ------------------------------------------------------------ registry_auth.c */

enum reg_auth_scheme {
	REG_AUTH_NONE = 0,
	REG_AUTH_BASIC,
	REG_AUTH_BEARER,
};

struct reg_challenge {
	enum reg_auth_scheme scheme;
	char realm[1024];
	char service[256];
	char scope[REG_SCOPE_MAX];
	char error[64];
};

/* A WWW-Authenticate value (several headers joined with ", "): the Bearer
 * challenge if there is one, else the Basic one.  Other schemes are skipped;
 * malformed syntax is an error (EPROTO). */
int reg_challenge_parse(const char *header, struct reg_challenge *out, struct berth_error *err);
/* A token server's answer: "token" or "access_token", and expires_in
 * (seconds, at least 60).  *token: free() it. */
int reg_token_parse(const char *body, size_t len, char **token, long *expires_in,
		    struct berth_error *err);
/* "Basic base64(user:pass)"; NULL with err set on failure. */
char *reg_basic_authorization(const struct registry_credentials *creds, struct berth_error *err);

struct reg_token_cache *reg_token_cache_create(struct berth_error *err);
void reg_token_cache_destroy(struct reg_token_cache *cache);
/* A copy of a live cached Authorization value, or NULL. */
char *reg_token_cache_get(struct reg_token_cache *cache, const char *registry, const char *scope,
			  char user[REGISTRY_USERNAME_MAX]);
void reg_token_cache_put(struct reg_token_cache *cache, const char *registry, const char *scope,
			 const char *authorization, const char *user, long lifetime_s);
/* Forget the entry if it still holds authorization (the registry refused it). */
void reg_token_cache_drop(struct reg_token_cache *cache, const char *registry, const char *scope,
			  const char *authorization);

/* After a 401 from the registry: a new s->authorization from the challenge
 * (a cached or new token, or Basic credentials).  Fails if there is nothing
 * new to try. */
int reg_auth_respond(struct reg_session *s, const char *www_authenticate, struct berth_error *err);
/* At the start of a call: what the cache knows for (registry, scope). */
void reg_auth_preload(struct reg_session *s);
/* Replace s->authorization (takes ownership; wipes the old value). */
void reg_session_set_auth(struct reg_session *s, char *authorization, const char *user, bool fresh);

/* ------------------------------------------------------------ registry_http.c */

struct reg_http_req {
	const char *url;
	const char *accept;            /* NULL: curl's default */
	const char *authorization;     /* NULL: none */
	const char *auth_origin;       /* authorization goes only to this origin */
	bool blob;                     /* blob timeouts */
	struct reg_body *body;         /* gets the body of a 2xx answer */
	const char *what;              /* "manifest \"latest\"", for messages */
};

struct reg_http_resp {
	long status;
	unsigned int attempts;
	bool at_auth_origin;           /* the final answer came from auth_origin */
	char content_type[REGISTRY_MEDIA_TYPE_MAX];
	char *www_authenticate;        /* NULL if none */
	char error_body[REG_ERROR_BODY_MAX];
};

/* GET with redirects and retries (connection errors, 429, 5xx).  0 with the
 * final status (any), or -1 when no answer was had (network, redirect, sink
 * errors). */
int reg_http_get(struct reg_session *s, const struct reg_http_req *req,
		 struct reg_http_resp *resp, struct berth_error *err);
void reg_http_resp_free(struct reg_http_resp *resp);

/* "scheme://host:port" with the default port filled in, lowercase host;
 * hostport (optional) gets "host[:port]" as written in the URL. */
int reg_url_origin(const char *url, char *out, size_t size, char *hostport, size_t hostport_size,
		   struct berth_error *err);
/* host[:port] is in the client's insecure list (plain http allowed). */
bool reg_insecure(const struct registry_client *client, const char *hostport);

int reg_session_open(struct reg_session *s, struct registry_client *client,
		     const struct berth_image_ref *ref, struct berth_error *err);
void reg_session_close(struct reg_session *s);
/* GET base + path from the registry, answering auth challenges; 0 on 2xx,
 * else the error for the status, naming what. */
int reg_session_get(struct reg_session *s, const char *path, const char *accept,
		    const char *what, bool blob, struct reg_body *body,
		    char content_type[REGISTRY_MEDIA_TYPE_MAX], struct berth_error *err);

/* Wipe and free a secret string. */
void reg_free_secret(char *secret);

#endif
