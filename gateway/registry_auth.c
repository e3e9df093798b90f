/*
 * registry_auth.c - WWW-Authenticate challenges (untrusted input, RFC 7235
 * syntax), Bearer tokens from the realm and their cache, Basic credentials.
 * Credentials and tokens are never logged and are wiped when dropped.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "berth_log.h"
#include "registry_internal.h"

#define CACHE_SLOTS   64
#define BASIC_MARKER  "Basic"   /* cached: "this registry wants Basic", no secret */

/* ------------------------------------------------------ challenge parser */

static bool is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool is_token68_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("-._~+/", c));
}

static size_t token_len(const char *p)
{
	size_t n = 0;

	while (is_tchar(p[n]))
		n++;
	return n;
}

static const char *skip_ows(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* A token or quoted-string at *pp into out; *pp moves past it. */
static int parse_value(const char **pp, const char *name, size_t name_len, char *out,
		       size_t size, struct berth_error *err)
{
	const char *p = *pp;
	size_t n = 0;

	if (*p != '"') {
		n = token_len(p);
		if (n == 0)
			return berth_error_set(err, EPROTO, "WWW-Authenticate: parameter \"%.*s\" has no value",
					       (int)name_len, name);
		if (n >= size)
			goto too_long;
		memcpy(out, p, n);
		out[n] = '\0';
		*pp = p + n;
		return 0;
	}
	for (p++; *p != '"'; p++) {
		if (*p == '\\')
			p++;
		if (*p == '\0')
			return berth_error_set(err, EPROTO, "WWW-Authenticate: unterminated quoted string");
		if ((unsigned char)*p < 0x20 && *p != '\t')
			return berth_error_set(err, EPROTO, "WWW-Authenticate: control character in parameter \"%.*s\"",
					       (int)name_len, name);
		if (n + 1 >= size)
			goto too_long;
		out[n++] = *p;
	}
	out[n] = '\0';
	*pp = p + 1;
	return 0;
too_long:
	return berth_error_set(err, EPROTO, "WWW-Authenticate: parameter \"%.*s\" is longer than %zu bytes",
			       (int)name_len, name, size - 1);
}

/* Where a parameter of a challenge we use goes (NULL: ignored); *index
 * tells the parameters apart to catch duplicates. */
static char *param_slot(struct reg_challenge *c, const char *name, size_t len, size_t *size,
			unsigned int *index)
{
	struct {
		const char *name;
		char *slot;
		size_t size;
	} slots[] = {
		{ "realm", c->realm, sizeof(c->realm) },
		{ "service", c->service, sizeof(c->service) },
		{ "scope", c->scope, sizeof(c->scope) },
		{ "error", c->error, sizeof(c->error) },
	};

	for (unsigned int i = 0; i < sizeof(slots) / sizeof(slots[0]); i++) {
		if (strlen(slots[i].name) == len && strncasecmp(name, slots[i].name, len) == 0) {
			*size = slots[i].size;
			*index = i;
			return slots[i].slot;
		}
	}
	return NULL;
}

/* The auth-params of one challenge, from just after its scheme.  Returns
 * where the next challenge starts. */
static const char *parse_params(const char *p, struct reg_challenge *c, struct berth_error *err)
{
	char scratch[REG_HEADER_MAX];
	unsigned int seen = 0;
	bool first = true;

	for (;;) {
		const char *q = skip_ows(p), *name, *r;
		size_t n, size = sizeof(scratch);
		unsigned int index = 0;
		char *slot;

		if (!first) {
			if (*q != ',')
				break;
			while (*q == ',' || *q == ' ' || *q == '\t')
				q++;
		} else if (q == p) {
			break;          /* "Basic," or end: no parameters */
		}
		name = q;
		n = token_len(q);
		r = skip_ows(q + n);
		if (n == 0 || *r != '=')
			break;          /* the next challenge, or a token68 */
		r = skip_ows(r + 1);
		slot = param_slot(c, name, n, &size, &index);
		if (slot) {
			unsigned int bit = 1u << index;

			if (seen & bit) {
				berth_error_set(err, EPROTO, "WWW-Authenticate: duplicate parameter \"%.*s\"", (int)n, name);
				return NULL;
			}
			seen |= bit;
		}
		if (parse_value(&r, name, n, slot ? slot : scratch, size, err) < 0)
			return NULL;
		p = r;
		first = false;
	}
	return p;
}

/* A token68 right after the scheme ("Negotiate abc=="): skip it. */
static const char *skip_token68(const char *p)
{
	const char *q = skip_ows(p), *t = q, *r;

	if (q == p)
		return p;
	while (is_token68_char(*t))
		t++;
	while (*t == '=')
		t++;
	r = skip_ows(t);
	return (t > q && (*r == ',' || *r == '\0')) ? r : p;
}

int reg_challenge_parse(const char *header, struct reg_challenge *out, struct berth_error *err)
{
	struct reg_challenge bearer, basic, other;
	bool have_bearer = false, have_basic = false;
	const char *p = header ? header : "";

	memset(out, 0, sizeof(*out));
	for (;;) {
		struct reg_challenge *c = &other;
		size_t n;

		while (*p == ',' || *p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		n = token_len(p);
		if (n == 0)
			return berth_error_set(err, EPROTO, "WWW-Authenticate: unexpected character '%c' where an auth scheme was expected",
					       (unsigned char)*p >= 0x20 && *p != 0x7f ? *p : '?');
		if (n == 6 && strncasecmp(p, "Bearer", 6) == 0 && !have_bearer)
			c = &bearer, have_bearer = true;
		else if (n == 5 && strncasecmp(p, "Basic", 5) == 0 && !have_basic)
			c = &basic, have_basic = true;
		memset(c, 0, sizeof(*c));
		p = skip_token68(p + n);
		p = parse_params(p, c, err);
		if (!p)
			return -1;
		p = skip_ows(p);
		if (*p != ',' && *p != '\0')
			return berth_error_set(err, EPROTO, "WWW-Authenticate: expected ',' between parameters");
	}
	if (have_bearer) {
		if (!bearer.realm[0])
			return berth_error_set(err, EPROTO, "WWW-Authenticate: Bearer challenge without realm");
		*out = bearer;
		out->scheme = REG_AUTH_BEARER;
	} else if (have_basic) {
		*out = basic;
		out->scheme = REG_AUTH_BASIC;
	} else {
		return berth_error_set(err, EPROTO, "WWW-Authenticate: no Bearer or Basic challenge");
	}
	return 0;
}

/* ---------------------------------------------------------------- tokens */

int reg_token_parse(const char *body, size_t len, char **token, long *expires_in,
		    struct berth_error *err)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *root = NULL, *v;
	const char *text = NULL;
	size_t n;

	*token = NULL;
	*expires_in = 60;
	if (!tok)
		return berth_error_set(err, ENOMEM, "out of memory");
	root = json_tokener_parse_ex(tok, body, (int)len);
	json_tokener_free(tok);
	if (!root || !json_object_is_type(root, json_type_object)) {
		json_object_put(root);
		return berth_error_set(err, EPROTO, "answer is not a JSON object");
	}
	if ((json_object_object_get_ex(root, "token", &v) && json_object_is_type(v, json_type_string)) ||
	    (json_object_object_get_ex(root, "access_token", &v) && json_object_is_type(v, json_type_string)))
		text = json_object_get_string(v);
	n = text ? strlen(text) : 0;
	if (n == 0 || n > REG_TOKEN_MAX) {
		json_object_put(root);
		return berth_error_set(err, EPROTO, n ? "token longer than %u bytes" : "answer has no token",
				       REG_TOKEN_MAX);
	}
	/* it goes into a header line: no spaces, no control characters */
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)text[i] <= 0x20 || (unsigned char)text[i] >= 0x7f) {
			json_object_put(root);
			return berth_error_set(err, EPROTO, "token contains a character not allowed in a header");
		}
	}
	if (json_object_object_get_ex(root, "expires_in", &v) && json_object_is_type(v, json_type_int)) {
		int64_t s = json_object_get_int64(v);

		*expires_in = s < 60 ? 60 : s > 86400 ? 86400 : (long)s;
	}
	*token = strdup(text);
	json_object_put(root);
	if (!*token)
		return berth_error_set(err, ENOMEM, "out of memory");
	return 0;
}

char *reg_basic_authorization(const struct registry_credentials *creds, struct berth_error *err)
{
	size_t ulen = strnlen(creds->username, sizeof(creds->username));
	size_t plen = strnlen(creds->password, sizeof(creds->password));
	char pair[REGISTRY_USERNAME_MAX + REGISTRY_PASSWORD_MAX + 1];
	char *out;

	if (ulen == sizeof(creds->username) || plen == sizeof(creds->password) || ulen == 0 ||
	    strchr(creds->username, ':')) {
		berth_error_set(err, EINVAL, "credentials: user name must be 1 to %d characters without ':'",
				REGISTRY_USERNAME_MAX - 1);
		return NULL;
	}
	out = malloc(strlen("Basic ") + 4 * ((ulen + 1 + plen + 2) / 3) + 1);
	if (!out) {
		berth_error_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	memcpy(pair, creds->username, ulen);
	pair[ulen] = ':';
	memcpy(pair + ulen + 1, creds->password, plen);
	strcpy(out, "Basic ");
	EVP_EncodeBlock((unsigned char *)out + 6, (const unsigned char *)pair, (int)(ulen + 1 + plen));
	OPENSSL_cleanse(pair, sizeof(pair));
	return out;
}

void reg_free_secret(char *secret)
{
	if (secret) {
		OPENSSL_cleanse(secret, strlen(secret));
		free(secret);
	}
}

/* ----------------------------------------------------------------- cache */

struct cache_entry {
	char *registry;
	char *scope;
	char *authorization;
	char user[REGISTRY_USERNAME_MAX];
	time_t expires;
};

struct reg_token_cache {
	pthread_mutex_t lock;
	struct cache_entry slots[CACHE_SLOTS];
};

static time_t now_monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static void entry_clear(struct cache_entry *e)
{
	free(e->registry);
	free(e->scope);
	reg_free_secret(e->authorization);
	memset(e, 0, sizeof(*e));
}

static struct cache_entry *entry_find(struct reg_token_cache *cache, const char *registry,
				      const char *scope)
{
	for (int i = 0; i < CACHE_SLOTS; i++) {
		struct cache_entry *e = &cache->slots[i];

		if (e->registry && strcmp(e->registry, registry) == 0 && strcmp(e->scope, scope) == 0)
			return e;
	}
	return NULL;
}

struct reg_token_cache *reg_token_cache_create(struct berth_error *err)
{
	struct reg_token_cache *cache = calloc(1, sizeof(*cache));

	if (!cache || pthread_mutex_init(&cache->lock, NULL) != 0) {
		free(cache);
		berth_error_set(err, ENOMEM, "cannot create the token cache");
		return NULL;
	}
	return cache;
}

void reg_token_cache_destroy(struct reg_token_cache *cache)
{
	if (!cache)
		return;
	for (int i = 0; i < CACHE_SLOTS; i++)
		entry_clear(&cache->slots[i]);
	pthread_mutex_destroy(&cache->lock);
	free(cache);
}

char *reg_token_cache_get(struct reg_token_cache *cache, const char *registry, const char *scope,
			  char user[REGISTRY_USERNAME_MAX])
{
	struct cache_entry *e;
	char *copy = NULL;

	pthread_mutex_lock(&cache->lock);
	e = entry_find(cache, registry, scope);
	if (e && e->expires <= now_monotonic()) {
		entry_clear(e);
		e = NULL;
	}
	if (e) {
		copy = strdup(e->authorization);
		if (copy && user)
			memcpy(user, e->user, REGISTRY_USERNAME_MAX);
	}
	pthread_mutex_unlock(&cache->lock);
	return copy;
}

void reg_token_cache_put(struct reg_token_cache *cache, const char *registry, const char *scope,
			 const char *authorization, const char *user, long lifetime_s)
{
	time_t now = now_monotonic();
	struct cache_entry *e, *victim = NULL;

	/* stop using a token a little before the server does */
	lifetime_s = lifetime_s > 30 ? lifetime_s - 10 : lifetime_s / 2;
	pthread_mutex_lock(&cache->lock);
	e = entry_find(cache, registry, scope);
	for (int i = 0; !e && i < CACHE_SLOTS; i++) {
		struct cache_entry *s = &cache->slots[i];

		if (!s->registry || s->expires <= now)
			e = s;
		else if (!victim || s->expires < victim->expires)
			victim = s;
	}
	e = e ? e : victim;
	entry_clear(e);
	e->registry = strdup(registry);
	e->scope = strdup(scope);
	e->authorization = strdup(authorization);
	if (!e->registry || !e->scope || !e->authorization)
		entry_clear(e);
	else {
		snprintf(e->user, sizeof(e->user), "%s", user ? user : "");
		e->expires = now + lifetime_s;
	}
	pthread_mutex_unlock(&cache->lock);
}

void reg_token_cache_drop(struct reg_token_cache *cache, const char *registry, const char *scope,
			  const char *authorization)
{
	struct cache_entry *e;

	pthread_mutex_lock(&cache->lock);
	e = entry_find(cache, registry, scope);
	if (e && strcmp(e->authorization, authorization) == 0)
		entry_clear(e);
	pthread_mutex_unlock(&cache->lock);
}

/* ---------------------------------------------------------- session auth */

void reg_session_set_auth(struct reg_session *s, char *authorization, const char *user, bool fresh)
{
	reg_free_secret(s->authorization);
	s->authorization = authorization;
	snprintf(s->auth_user, sizeof(s->auth_user), "%s", user ? user : "");
	s->auth_fresh = fresh;
}

static bool lookup_credentials(struct reg_session *s, struct registry_credentials *creds)
{
	memset(creds, 0, sizeof(*creds));
	if (s->client->credentials &&
	    s->client->credentials(s->client->credentials_arg, s->registry, creds) == 1)
		return true;
	OPENSSL_cleanse(creds, sizeof(*creds));
	return false;
}

static int unauthorized(struct reg_session *s, struct berth_error *err)
{
	if (s->auth_user[0])
		return berth_error_set(err, EACCES, "unauthorized (401) as user \"%s\"", s->auth_user);
	return berth_error_set(err, EACCES, "unauthorized (401) without credentials");
}

static int use_basic(struct reg_session *s, bool fresh, struct berth_error *err)
{
	struct registry_credentials creds;
	char *header;

	if (!lookup_credentials(s, &creds))
		return berth_error_set(err, EACCES, "unauthorized (401) without credentials");
	header = reg_basic_authorization(&creds, err);
	OPENSSL_cleanse(creds.password, sizeof(creds.password));
	if (!header)
		return -1;
	reg_session_set_auth(s, header, creds.username, fresh);
	return 0;
}

void reg_auth_preload(struct reg_session *s)
{
	char user[REGISTRY_USERNAME_MAX];
	char *cached = reg_token_cache_get(s->client->tokens, s->registry, s->scope, user);

	if (cached) {
		reg_session_set_auth(s, cached, user, false);
		return;
	}
	cached = reg_token_cache_get(s->client->tokens, s->registry, "", NULL);
	if (cached && strcmp(cached, BASIC_MARKER) == 0) {
		struct berth_error ignored = BERTH_ERROR_INIT;

		(void)use_basic(s, false, &ignored);
	}
	reg_free_secret(cached);
}

/* The realm for messages: no query string (it may carry an account name). */
static void realm_shown(const char *realm, char *buf, size_t size)
{
	size_t len = strcspn(realm, "?#");

	snprintf(buf, size, "%.*s", (int)(len > 100 ? 100 : len), realm);
	berth_error_sanitize(buf);
}

static int token_url(struct reg_session *s, const struct reg_challenge *ch, const char *scope,
		     char *url, size_t size, struct berth_error *err)
{
	size_t len = (size_t)snprintf(url, size, "%s", ch->realm);
	char sep = strchr(ch->realm, '?') ? '&' : '?';
	const char *p = scope;

	if (ch->service[0]) {
		char *esc = curl_easy_escape(s->curl, ch->service, 0);

		len += (size_t)snprintf(url + len, len < size ? size - len : 0, "%cservice=%s", sep,
					esc ? esc : "");
		curl_free(esc);
		sep = '&';
	}
	/* several scopes are separated by spaces: one query parameter each */
	while (*p) {
		size_t n = strcspn(p, " ");
		char *esc = n ? curl_easy_escape(s->curl, p, (int)n) : NULL;

		if (esc) {
			len += (size_t)snprintf(url + len, len < size ? size - len : 0, "%cscope=%s", sep, esc);
			sep = '&';
		}
		curl_free(esc);
		p += n + (p[n] == ' ');
	}
	if (len >= size)
		return berth_error_set(err, EPROTO, "token request URL is longer than %zu bytes", size - 1);
	return 0;
}

static int token_answer(struct reg_session *s, const char *shown, const struct reg_http_resp *resp,
			struct reg_body *body, const char *scope, const char *user,
			struct berth_error *err)
{
	char *token, *header;
	long expires_in;

	if (resp->status == 401 || resp->status == 403)
		return berth_error_set(err, EACCES, "token server \"%s\": %s (%ld) %s%s%s", shown,
				       resp->status == 401 ? "unauthorized" : "denied", resp->status,
				       user[0] ? "as user \"" : "without credentials", user, user[0] ? "\"" : "");
	if (resp->status != 200)
		return berth_error_set(err, resp->status >= 500 || resp->status == 429 ? EAGAIN : EPROTO,
				       "token server \"%s\": unexpected HTTP status %ld (%u attempt%s)", shown,
				       resp->status, resp->attempts, resp->attempts == 1 ? "" : "s");
	if (reg_token_parse(body->data ? body->data : "", body->len, &token, &expires_in, err) < 0)
		return berth_error_prefix(err, "token server \"%s\"", shown);
	header = malloc(strlen("Bearer ") + strlen(token) + 1);
	if (!header) {
		reg_free_secret(token);
		return berth_error_set(err, ENOMEM, "out of memory");
	}
	sprintf(header, "Bearer %s", token);
	reg_free_secret(token);
	reg_token_cache_put(s->client->tokens, s->registry, scope, header, user, expires_in);
	reg_session_set_auth(s, header, user, true);
	berth_debug("registry %s: token for \"%s\" from %s (%s), valid %ld s", s->registry, scope, shown,
		    user[0] ? "with credentials" : "anonymous", expires_in);
	return 0;
}

static int fetch_token(struct reg_session *s, const struct reg_challenge *ch, const char *scope,
		       struct berth_error *err)
{
	char url[REG_URL_MAX], origin[REG_ORIGIN_MAX], hostport[REG_ORIGIN_MAX], shown[128], what[160];
	struct registry_credentials creds;
	struct reg_http_resp resp;
	struct reg_body body;
	char *basic = NULL;
	bool have_creds;
	int rc = -1;

	realm_shown(ch->realm, shown, sizeof(shown));
	snprintf(what, sizeof(what), "token server \"%s\"", shown);
	if (reg_url_origin(ch->realm, origin, sizeof(origin), hostport, sizeof(hostport), err) < 0)
		return berth_error_prefix(err, "token realm \"%s\"", shown);
	if (strncmp(origin, "https:", 6) != 0 && !reg_insecure(s->client, hostport))
		return berth_error_set(err, EPROTO, "token realm \"%s\": must be https unless its host is an insecure registry",
				       shown);
	if (token_url(s, ch, scope, url, sizeof(url), err) < 0)
		return -1;
	have_creds = lookup_credentials(s, &creds);
	if (have_creds) {
		basic = reg_basic_authorization(&creds, err);
		OPENSSL_cleanse(creds.password, sizeof(creds.password));
		if (!basic)
			return -1;
	}
	if (reg_body_init(&body, REG_TOKEN_RESPONSE_MAX, NULL, -1, false, err) == 0) {
		struct reg_http_req req = {
			.url = url, .accept = "application/json", .authorization = basic,
			.auth_origin = origin, .body = &body, .what = what,
		};

		if (reg_http_get(s, &req, &resp, err) == 0) {
			rc = token_answer(s, shown, &resp, &body, scope, have_creds ? creds.username : "", err);
			reg_http_resp_free(&resp);
		}
		if (body.data)
			OPENSSL_cleanse(body.data, body.len);
		reg_body_free(&body);
	}
	reg_free_secret(basic);
	return rc;
}

int reg_auth_respond(struct reg_session *s, const char *www_authenticate, struct berth_error *err)
{
	struct reg_challenge ch;
	char user[REGISTRY_USERNAME_MAX];
	const char *scope;
	char *cached;

	if (reg_challenge_parse(www_authenticate, &ch, err) < 0)
		return -1;
	if (s->auth_fresh)      /* just got it, and it was refused */
		return unauthorized(s, err);
	if (ch.scheme == REG_AUTH_BASIC) {
		if (use_basic(s, true, err) < 0)
			return -1;
		reg_token_cache_put(s->client->tokens, s->registry, "", BASIC_MARKER, NULL, 3600);
		return 0;
	}
	scope = ch.scope[0] ? ch.scope : s->scope;
	cached = reg_token_cache_get(s->client->tokens, s->registry, scope, user);
	if (cached && (!s->authorization || strcmp(cached, s->authorization) != 0)) {
		reg_session_set_auth(s, cached, user, false);
		return 0;
	}
	if (cached)             /* refused: expired early, or revoked */
		reg_token_cache_drop(s->client->tokens, s->registry, scope, cached);
	reg_free_secret(cached);
	return fetch_token(s, &ch, scope, err);
}
