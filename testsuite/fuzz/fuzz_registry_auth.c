/*
 * fuzz_registry_auth.c - what a registry and its token server send for
 * authentication (gateway/registry_auth.c): the WWW-Authenticate challenge
 * (reg_challenge_parse), the realm URL the token is then fetched from
 * (reg_url_origin, registry_http.c) and the token answer
 * (reg_token_parse); plus reg_basic_authorization of a user's login.
 *
 * Input: "header\0token-answer\0username\0password".  Checks: a parsed
 * challenge is Bearer with a realm, or Basic; its strings are terminated
 * within their buffers; a realm origin is "http[s]://host:port"; a token is
 * 1..REG_TOKEN_MAX bytes of visible ASCII (it goes into a header line) and
 * lives at least 60 s; a Basic header is "Basic " and base64.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "registry_internal.h"

static void check_origin(const char *url)
{
	struct berth_error err = BERTH_ERROR_INIT;
	char origin[REG_ORIGIN_MAX], hostport[REG_ORIGIN_MAX];

	if (reg_url_origin(url, origin, sizeof(origin), hostport, sizeof(hostport), &err) < 0) {
		fz_check_error(&err, "reg_url_origin");
		return;
	}
	FZ_CHECK(!strncmp(origin, "http://", 7) || !strncmp(origin, "https://", 8), "origin \"%s\"", origin);
	FZ_CHECK(strrchr(origin, ':') > strstr(origin, "://"), "origin \"%s\" without port", origin);
}

static void challenge(const char *header)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct reg_challenge c;

	if (reg_challenge_parse(header, &c, &err) < 0) {
		fz_check_error(&err, "reg_challenge_parse");
		return;
	}
	FZ_CHECK(c.scheme == REG_AUTH_BEARER || c.scheme == REG_AUTH_BASIC, "scheme %d", (int)c.scheme);
	FZ_CHECK(strnlen(c.realm, sizeof(c.realm)) < sizeof(c.realm) &&
		 strnlen(c.service, sizeof(c.service)) < sizeof(c.service) &&
		 strnlen(c.scope, sizeof(c.scope)) < sizeof(c.scope) &&
		 strnlen(c.error, sizeof(c.error)) < sizeof(c.error), "unterminated parameter");
	FZ_CHECK(c.scheme != REG_AUTH_BEARER || c.realm[0], "Bearer without realm");
	if (c.realm[0])
		check_origin(c.realm);
}

static void token(const char *body, size_t len)
{
	struct berth_error err = BERTH_ERROR_INIT;
	char *tok = NULL;
	long expires = 0;
	size_t n;

	if (reg_token_parse(body, len, &tok, &expires, &err) < 0) {
		fz_check_error(&err, "reg_token_parse");
		FZ_CHECK(tok == NULL, "token left after a failure");
		return;
	}
	n = strlen(tok);
	FZ_CHECK(n >= 1 && n <= REG_TOKEN_MAX, "token of %zu bytes", n);
	for (size_t i = 0; i < n; i++)
		FZ_CHECK((unsigned char)tok[i] > 0x20 && (unsigned char)tok[i] < 0x7f, "token byte 0x%02x",
			 (unsigned char)tok[i]);
	FZ_CHECK(expires >= 60, "expires_in %ld", expires);
	reg_free_secret(tok);
}

static void basic(const char *user, const char *password)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct registry_credentials creds;
	char *header;

	memset(&creds, 0, sizeof(creds));
	snprintf(creds.username, sizeof(creds.username), "%s", user);
	snprintf(creds.password, sizeof(creds.password), "%s", password);
	header = reg_basic_authorization(&creds, &err);
	if (!header) {
		fz_check_error(&err, "reg_basic_authorization");
		return;
	}
	FZ_CHECK(!strncmp(header, "Basic ", 6), "header \"%s\"", header);
	FZ_CHECK(strspn(header + 6, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") ==
		 strlen(header + 6), "not base64: \"%s\"", header);
	reg_free_secret(header);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_fields f;

	fz_split(data, size, '\0', &f);
	challenge(f.field[0]);
	if (f.count > 1)
		token(f.field[1], f.len[1]);
	if (f.count > 3)
		basic(f.field[2], f.field[3]);
	fz_fields_free(&f);
	return 0;
}
