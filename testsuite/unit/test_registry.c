/*
 * test_registry.c - unit tests of gateway/registry*.c that need no server:
 * WWW-Authenticate parsing, token answers, manifest and index decoding,
 * platform choice, digests and bodies, the token cache, options.
 * (Against real registries: testsuite/gateway/.)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "registry_internal.h"
#include "unit.h"

#define HEX64(c) c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c \
		 c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c
#define DA "sha256:" HEX64("a")
#define DB "sha256:" HEX64("b")
#define DC "sha256:" HEX64("c")
#define DD "sha256:" HEX64("d")
#define DE "sha256:" HEX64("e")

/* ------------------------------------------------------- WWW-Authenticate */

static const struct {
	const char *header;
	enum reg_auth_scheme scheme;
	const char *realm, *service, *scope, *error;
} challenge_good[] = {
	{ "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\",scope=\"repository:library/busybox:pull\"",
	  REG_AUTH_BEARER, "https://auth.docker.io/token", "registry.docker.io", "repository:library/busybox:pull", "" },
	{ "bearer REALM=\"https://a/t\", Service=svc", REG_AUTH_BEARER, "https://a/t", "svc", "", "" },
	{ "BEARER realm=abc.def", REG_AUTH_BEARER, "abc.def", "", "", "" },
	{ "Bearer realm=\"https://t\", realm2=x", REG_AUTH_BEARER, "https://t", "", "", "" },
	{ "Basic realm=\"Registry Realm\"", REG_AUTH_BASIC, "Registry Realm", "", "", "" },
	{ "Basic", REG_AUTH_BASIC, "", "", "", "" },
	{ "Basic realm=\"x\", Bearer realm=\"https://t\"", REG_AUTH_BEARER, "https://t", "", "", "" },
	{ "Negotiate abc==, Basic realm=\"r\"", REG_AUTH_BASIC, "r", "", "", "" },
	{ "Negotiate, NTLM, Basic realm=r", REG_AUTH_BASIC, "r", "", "", "" },
	{ "Bearer realm=\"https://t/a,b\",scope=\"repository:x:pull,push\"",
	  REG_AUTH_BEARER, "https://t/a,b", "", "repository:x:pull,push", "" },
	{ "Bearer realm=\"https://t/\\\"q\\\"\\\\x\"", REG_AUTH_BEARER, "https://t/\"q\"\\x", "", "", "" },
	{ "Bearer  realm = \"https://t\" , service = \"s\"", REG_AUTH_BEARER, "https://t", "s", "", "" },
	{ "Bearer realm=\"https://t\",error=\"invalid_token\"", REG_AUTH_BEARER, "https://t", "", "", "invalid_token" },
	{ "Bearer realm=\"https://t\", unknown=\"z,z\", other=tok, scope=\"\"", REG_AUTH_BEARER, "https://t", "", "", "" },
	{ ", ,Bearer realm=\"https://t\",,service=s, ", REG_AUTH_BEARER, "https://t", "s", "", "" },
	{ "Basic realm=\"a\", Bearer realm=\"b\",service=\"c\"", REG_AUTH_BEARER, "b", "c", "", "" },
	{ "Bearer realm=\"https://t\"\t,\tscope=\"a b\"", REG_AUTH_BEARER, "https://t", "", "a b", "" },
};

START_TEST(test_challenge_good)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct reg_challenge ch;

	ck_assert_msg(reg_challenge_parse(challenge_good[_i].header, &ch, &err) == 0, "%s: %s",
		      challenge_good[_i].header, err.msg);
	ck_assert_int_eq(ch.scheme, challenge_good[_i].scheme);
	ck_assert_str_eq(ch.realm, challenge_good[_i].realm);
	ck_assert_str_eq(ch.service, challenge_good[_i].service);
	ck_assert_str_eq(ch.scope, challenge_good[_i].scope);
	ck_assert_str_eq(ch.error, challenge_good[_i].error);
}
END_TEST

static char long_realm[1200];

static const struct {
	const char *header;
	const char *msg;
} challenge_bad[] = {
	{ "", "WWW-Authenticate: no Bearer or Basic challenge" },
	{ "Negotiate", "WWW-Authenticate: no Bearer or Basic challenge" },
	{ "Digest realm=\"x\", nonce=\"y\"", "WWW-Authenticate: no Bearer or Basic challenge" },
	{ "Bearer realm=\"https://t", "WWW-Authenticate: unterminated quoted string" },
	{ "Bearer realm=\"https://t\\", "WWW-Authenticate: unterminated quoted string" },
	{ "Bearer realm=", "WWW-Authenticate: Bearer challenge without realm" },   /* a token68 */
	{ "Bearer service=s, realm=", "WWW-Authenticate: parameter \"realm\" has no value" },
	{ "Bearer realm=https://t", "WWW-Authenticate: expected ',' between parameters" },  /* not a token */
	{ "Bearer service=\"s\"", "WWW-Authenticate: Bearer challenge without realm" },
	{ "Bearer realm=\"a\", REALM=\"b\"", "WWW-Authenticate: duplicate parameter \"REALM\"" },
	{ "Bearer realm=\"a\" service=\"b\"", "WWW-Authenticate: expected ',' between parameters" },
	{ "\"Bearer\"", "WWW-Authenticate: unexpected character '\"' where an auth scheme was expected" },
	{ "Bearer realm=\"a\x01\"", "WWW-Authenticate: control character in parameter \"realm\"" },
	{ "Bearer realm=\"a\"; service=b", "WWW-Authenticate: expected ',' between parameters" },
	{ "Bearer realm=\"a\",\x7f", "WWW-Authenticate: unexpected character '?' where an auth scheme was expected" },
	{ long_realm, "WWW-Authenticate: parameter \"realm\" is longer than 1023 bytes" },
};

START_TEST(test_challenge_bad)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct reg_challenge ch;

	snprintf(long_realm, sizeof(long_realm), "Bearer realm=\"%01100d\"", 7);
	ck_assert_int_eq(reg_challenge_parse(challenge_bad[_i].header, &ch, &err), -1);
	ck_assert_int_eq(err.code, EPROTO);
	ck_assert_str_eq(err.msg, challenge_bad[_i].msg);
}
END_TEST

START_TEST(test_challenge_null)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct reg_challenge ch;

	ck_assert_int_eq(reg_challenge_parse(NULL, &ch, &err), -1);
	ck_assert_str_eq(err.msg, "WWW-Authenticate: no Bearer or Basic challenge");
}
END_TEST

/* ------------------------------------------------------------ token answers */

static const struct {
	const char *body;
	const char *token;     /* NULL: rejected with msg */
	long expires_in;
	const char *msg;
} token_cases[] = {
	{ "{\"token\":\"abc.def\",\"expires_in\":300}", "abc.def", 300, NULL },
	{ "{\"access_token\":\"xyz\"}", "xyz", 60, NULL },
	{ "{\"token\":\"t1\",\"access_token\":\"t2\",\"expires_in\":5}", "t1", 60, NULL },
	{ "{\"token\":\"t\",\"expires_in\":999999}", "t", 86400, NULL },
	{ "{\"token\":\"t\",\"expires_in\":\"300\"}", "t", 60, NULL },
	{ "not json", NULL, 0, "answer is not a JSON object" },
	{ "[\"token\"]", NULL, 0, "answer is not a JSON object" },
	{ "{\"expires_in\":60}", NULL, 0, "answer has no token" },
	{ "{\"token\":\"\"}", NULL, 0, "answer has no token" },
	{ "{\"token\":42}", NULL, 0, "answer has no token" },
	{ "{\"token\":\"a b\"}", NULL, 0, "token contains a character not allowed in a header" },
	{ "{\"token\":\"a\\r\\nX-Evil: 1\"}", NULL, 0, "token contains a character not allowed in a header" },
};

START_TEST(test_token_parse)
{
	struct berth_error err = BERTH_ERROR_INIT;
	const char *body = token_cases[_i].body;
	char *token = NULL;
	long expires_in = 0;
	int rc = reg_token_parse(body, strlen(body), &token, &expires_in, &err);

	if (token_cases[_i].token) {
		ck_assert_msg(rc == 0, "%s: %s", body, err.msg);
		ck_assert_str_eq(token, token_cases[_i].token);
		ck_assert_int_eq(expires_in, token_cases[_i].expires_in);
	} else {
		ck_assert_int_eq(rc, -1);
		ck_assert_ptr_null(token);
		ck_assert_int_eq(err.code, EPROTO);
		ck_assert_str_eq(err.msg, token_cases[_i].msg);
	}
	free(token);
}
END_TEST

START_TEST(test_basic_authorization)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct registry_credentials creds = { "alice", "secret" };
	char *header = reg_basic_authorization(&creds, &err);

	ck_assert_ptr_nonnull(header);
	ck_assert_str_eq(header, "Basic YWxpY2U6c2VjcmV0");
	free(header);
	snprintf(creds.password, sizeof(creds.password), "%s", "");
	header = reg_basic_authorization(&creds, &err);
	ck_assert_str_eq(header, "Basic YWxpY2U6");
	free(header);
	snprintf(creds.username, sizeof(creds.username), "%s", "al:ice");
	ck_assert_ptr_null(reg_basic_authorization(&creds, &err));
	ck_assert_str_eq(err.msg, "credentials: user name must be 1 to 255 characters without ':'");
}
END_TEST

/* ----------------------------------------------------------------- platforms */

static const struct {
	const char *text;
	const char *normalised;   /* NULL: rejected */
} platform_cases[] = {
	{ "linux/amd64", "linux/amd64" },
	{ "linux/amd64/v1", "linux/amd64" },
	{ "linux/amd64/v3", "linux/amd64/v3" },
	{ "linux/arm64", "linux/arm64/v8" },
	{ "linux/arm64/v8", "linux/arm64/v8" },
	{ "linux/arm", "linux/arm/v7" },
	{ "linux/arm/v6", "linux/arm/v6" },
	{ "linux/ppc64le", "linux/ppc64le" },
	{ "linux", NULL },
	{ "Linux/amd64", NULL },
	{ "linux//v7", NULL },
	{ "linux/arm/", NULL },
	{ "a/b/c/d", NULL },
	{ "linux/amd 64", NULL },
	{ "", NULL },
};

START_TEST(test_platform_parse)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct reg_platform p;
	char buf[REGISTRY_PLATFORM_MAX], expected[256];
	int rc = reg_platform_parse(platform_cases[_i].text, &p, &err);

	if (platform_cases[_i].normalised) {
		ck_assert_msg(rc == 0, "%s: %s", platform_cases[_i].text, err.msg);
		reg_platform_format(&p, buf, sizeof(buf));
		ck_assert_str_eq(buf, platform_cases[_i].normalised);
	} else {
		ck_assert_int_eq(rc, -1);
		snprintf(expected, sizeof(expected),
			 "platform \"%s\": expected os/architecture[/variant], each 1 to 31 lowercase letters, digits, '_', '-' or '.'",
			 platform_cases[_i].text);
		ck_assert_str_eq(err.msg, expected);
	}
}
END_TEST

/* ---------------------------------------------------------------- manifests */

#define OCI_MANIFEST_JSON \
	"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\"," \
	"\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" DA "\",\"size\":1469}," \
	"\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"" DB "\",\"size\":2479}," \
	"{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+zstd\",\"digest\":\"" DC "\",\"size\":10}," \
	"{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"" DD "\",\"size\":0}]," \
	"\"annotations\":{\"org.opencontainers.image.created\":\"2024-01-01T00:00:00Z\"}}\n"

#define DOCKER_MANIFEST_JSON \
	"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\"," \
	"\"config\":{\"mediaType\":\"application/vnd.docker.container.image.v1+json\",\"size\":7023,\"digest\":\"" DA "\"}," \
	"\"layers\":[{\"mediaType\":\"application/vnd.docker.image.rootfs.diff.tar.gzip\",\"size\":32654,\"digest\":\"" DB "\"}]}"

/* like OCI_MANIFEST_JSON, without mediaType (allowed by OCI) */
#define BARE_MANIFEST_JSON \
	"{\"schemaVersion\":2,\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" DA "\",\"size\":2}," \
	"\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"" DB "\",\"size\":3}]}"

#define LAYER(mt, d) "{\"mediaType\":\"" mt "\",\"digest\":\"" d "\",\"size\":1}"
#define MANIFEST_WITH(config_mt, layers) \
	"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\"," \
	"\"config\":{\"mediaType\":\"" config_mt "\",\"digest\":\"" DA "\",\"size\":2},\"layers\":[" layers "]}"
#define OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define OCI_TGZ "application/vnd.oci.image.layer.v1.tar+gzip"

static void decode(const char *body, const char *content_type, struct registry_manifest *m)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct json_object *root;
	char mt[REGISTRY_MEDIA_TYPE_MAX];
	bool is_index = true;

	memset(m, 0, sizeof(*m));
	ck_assert_msg(reg_manifest_classify(body, strlen(body), content_type, &root, mt, &is_index, &err) == 0,
		      "%s", err.msg);
	ck_assert(!is_index);
	ck_assert_msg(reg_manifest_parse(root, mt, m, &err) == 0, "%s", err.msg);
	json_object_put(root);
}

START_TEST(test_oci_manifest)
{
	struct registry_manifest m;

	decode(OCI_MANIFEST_JSON, "application/vnd.oci.image.manifest.v1+json", &m);
	ck_assert_str_eq(m.media_type, REGISTRY_MT_OCI_MANIFEST);
	ck_assert_str_eq(m.config.digest, DA);
	ck_assert_str_eq(m.config.media_type, REGISTRY_MT_OCI_CONFIG);
	ck_assert_uint_eq(m.config.size, 1469);
	ck_assert_uint_eq(m.nlayers, 3);
	ck_assert_str_eq(m.layers[0].digest, DB);
	ck_assert_uint_eq(m.layers[0].size, 2479);
	ck_assert_int_eq(m.layers[0].compression, REGISTRY_COMPRESSION_GZIP);
	ck_assert_int_eq(m.layers[1].compression, REGISTRY_COMPRESSION_ZSTD);
	ck_assert_int_eq(m.layers[2].compression, REGISTRY_COMPRESSION_NONE);
	ck_assert_uint_eq(m.layers[2].size, 0);
	registry_manifest_release(&m);
}
END_TEST

START_TEST(test_docker_manifest)
{
	struct registry_manifest m;

	decode(DOCKER_MANIFEST_JSON, NULL, &m);
	ck_assert_str_eq(m.media_type, REGISTRY_MT_DOCKER_MANIFEST);
	ck_assert_str_eq(m.config.media_type, REGISTRY_MT_DOCKER_CONFIG);
	ck_assert_uint_eq(m.nlayers, 1);
	ck_assert_int_eq(m.layers[0].compression, REGISTRY_COMPRESSION_GZIP);
	ck_assert_uint_eq(m.layers[0].size, 32654);
	registry_manifest_release(&m);
}
END_TEST

/* No mediaType in the document: from Content-Type, or from its shape. */
static const char *const bare_content_types[] = {
	"application/vnd.oci.image.manifest.v1+json",
	"application/vnd.oci.image.manifest.v1+json; charset=utf-8",
	"application/json",
	"application/octet-stream",
	NULL,
};

START_TEST(test_manifest_without_media_type)
{
	struct registry_manifest m;

	decode(BARE_MANIFEST_JSON, bare_content_types[_i], &m);
	ck_assert_str_eq(m.media_type, REGISTRY_MT_OCI_MANIFEST);
	ck_assert_uint_eq(m.nlayers, 1);
	registry_manifest_release(&m);
}
END_TEST

static const struct {
	const char *body;
	const char *content_type;
	int code;
	const char *msg;
} manifest_bad[] = {
	{ "{\"schemaVersion\":1,\"name\":\"x\",\"fsLayers\":[]}", "application/json", ENOTSUP,
	  "schema1 manifests are not supported (push the image again with a current client)" },
	{ "{}", "application/vnd.docker.distribution.manifest.v1+prettyjws", ENOTSUP,
	  "schema1 manifests are not supported (push the image again with a current client)" },
	{ "{}", "application/vnd.docker.distribution.manifest.v1+json", ENOTSUP,
	  "schema1 manifests are not supported (push the image again with a current client)" },
	{ "{\"schemaVersion\":3}", NULL, ENOTSUP, "unsupported schemaVersion 3" },
	{ "{\"mediaType\":\"" REGISTRY_MT_OCI_MANIFEST "\"}", NULL, EBADMSG, "no schemaVersion" },
	{ "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.cncf.helm.chart\"}", NULL, ENOTSUP,
	  "unsupported manifest media type \"application/vnd.cncf.helm.chart\"" },
	{ "{\"schemaVersion\":2}", "text/html", ENOTSUP, "unsupported manifest media type \"text/html\"" },
	{ "{\"schemaVersion\":2}", NULL, ENOTSUP, "unsupported manifest media type \"(none)\"" },
	{ "{\"schemaVersion\":2,\"mediaType\":\"a\\nb\"}", NULL, ENOTSUP, "unsupported manifest media type \"a?b\"" },
	{ "<html>", NULL, EBADMSG, "not valid JSON (unexpected character)" },
	{ "{\"schemaVersion\":2", NULL, EBADMSG, "not valid JSON (unexpected end)" },
	{ "{\"schemaVersion\":2} {}", NULL, EBADMSG, "not valid JSON (unexpected character)" },
	{ "[2]", NULL, EBADMSG, "not a JSON object" },
};

START_TEST(test_manifest_classify_bad)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct json_object *root = (struct json_object *)1;
	char mt[REGISTRY_MEDIA_TYPE_MAX];
	bool is_index;

	ck_assert_int_eq(reg_manifest_classify(manifest_bad[_i].body, strlen(manifest_bad[_i].body),
					       manifest_bad[_i].content_type, &root, mt, &is_index, &err), -1);
	ck_assert_ptr_null(root);
	ck_assert_int_eq(err.code, manifest_bad[_i].code);
	ck_assert_str_eq(err.msg, manifest_bad[_i].msg);
}
END_TEST

static const struct {
	const char *body;
	int code;
	const char *msg;
} parse_bad[] = {
	{ MANIFEST_WITH(OCI_CONFIG, LAYER(OCI_TGZ, DB) "," LAYER("application/vnd.example.foo", DC)), ENOTSUP,
	  "layer 2: unsupported media type \"application/vnd.example.foo\"" },
	{ MANIFEST_WITH(OCI_CONFIG, LAYER("application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", DC)), ENOTSUP,
	  "layer 1: non-distributable layer type \"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip\" is not supported" },
	{ MANIFEST_WITH(OCI_CONFIG, LAYER("application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", DC)), ENOTSUP,
	  "layer 1: non-distributable layer type \"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip\" is not supported" },
	{ MANIFEST_WITH("application/vnd.cncf.helm.config.v1+json", LAYER(OCI_TGZ, DB)), ENOTSUP,
	  "config media type \"application/vnd.cncf.helm.config.v1+json\" is not a container image config" },
	{ MANIFEST_WITH(OCI_CONFIG, LAYER(OCI_TGZ, "sha256:xyz")), EBADMSG, "layer 1: invalid digest \"sha256:xyz\"" },
	{ MANIFEST_WITH(OCI_CONFIG, LAYER(OCI_TGZ, "sha256:" HEX64("A"))), EBADMSG,
	  "layer 1: invalid digest \"sha256:" HEX64("A") "\"" },
	{ MANIFEST_WITH(OCI_CONFIG, LAYER(OCI_TGZ, "sha512:" HEX64("a") HEX64("a"))), ENOTSUP,
	  "layer 1: unsupported digest algorithm \"sha512\" (only sha256)" },
	{ MANIFEST_WITH(OCI_CONFIG, "{\"mediaType\":\"" OCI_TGZ "\",\"digest\":\"" DB "\",\"size\":-1}"), EBADMSG,
	  "layer 1: size must be a non-negative integer" },
	{ MANIFEST_WITH(OCI_CONFIG, "{\"mediaType\":\"" OCI_TGZ "\",\"digest\":\"" DB "\",\"size\":\"1\"}"), EBADMSG,
	  "layer 1: size must be a non-negative integer" },
	{ MANIFEST_WITH(OCI_CONFIG, "{\"digest\":\"" DB "\",\"size\":1}"), EBADMSG, "layer 1: no mediaType" },
	{ MANIFEST_WITH(OCI_CONFIG, "{\"mediaType\":\"" OCI_TGZ "\",\"size\":1}"), EBADMSG, "layer 1: no digest" },
	{ MANIFEST_WITH(OCI_CONFIG, "7"), EBADMSG, "layer 1: not a JSON object" },
	{ "{\"schemaVersion\":2,\"mediaType\":\"" REGISTRY_MT_OCI_MANIFEST "\",\"layers\":[]}", EBADMSG,
	  "manifest has no config" },
	{ "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"" OCI_CONFIG "\",\"digest\":\"" DA "\",\"size\":2}}",
	  EBADMSG, "manifest has no layers" },
	{ "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"" OCI_CONFIG "\",\"digest\":\"" DA "\",\"size\":2},\"layers\":{}}",
	  EBADMSG, "layers is not an array" },
	{ "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"" OCI_CONFIG "\",\"digest\":\"" DA "\",\"size\":16777217},\"layers\":[]}",
	  EFBIG, "config of 16777217 bytes is over the 16777216 byte limit" },
};

START_TEST(test_manifest_parse_bad)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct registry_manifest m;
	struct json_object *root;
	char mt[REGISTRY_MEDIA_TYPE_MAX];
	bool is_index;

	memset(&m, 0, sizeof(m));
	ck_assert_int_eq(reg_manifest_classify(parse_bad[_i].body, strlen(parse_bad[_i].body), NULL,
					       &root, mt, &is_index, &err), 0);
	ck_assert_int_eq(reg_manifest_parse(root, mt, &m, &err), -1);
	ck_assert_int_eq(err.code, parse_bad[_i].code);
	ck_assert_str_eq(err.msg, parse_bad[_i].msg);
	json_object_put(root);
	registry_manifest_release(&m);
}
END_TEST

START_TEST(test_too_many_layers)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct registry_manifest m;
	struct json_object *root = json_object_new_object(), *layers = json_object_new_array();

	memset(&m, 0, sizeof(m));
	for (int i = 0; i <= REGISTRY_LAYERS_MAX; i++)
		json_object_array_add(layers, json_tokener_parse(LAYER(OCI_TGZ, DB)));
	json_object_object_add(root, "config", json_tokener_parse("{\"mediaType\":\"" OCI_CONFIG "\",\"digest\":\"" DA "\",\"size\":2}"));
	json_object_object_add(root, "layers", layers);
	ck_assert_int_eq(reg_manifest_parse(root, REGISTRY_MT_OCI_MANIFEST, &m, &err), -1);
	ck_assert_int_eq(err.code, EFBIG);
	ck_assert_str_eq(err.msg, "1025 layers (at most 1024)");
	json_object_put(root);
}
END_TEST

/* ------------------------------------------------------------------ indexes */

#define ENTRY(mt, d, plat) "{\"mediaType\":\"" mt "\",\"digest\":\"" d "\",\"size\":500,\"platform\":" plat "}"
#define OCI_M REGISTRY_MT_OCI_MANIFEST
#define OCI_INDEX_JSON \
	"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[" \
	ENTRY(OCI_M, DA, "{\"architecture\":\"amd64\",\"os\":\"linux\"}") "," \
	ENTRY(OCI_M, DB, "{\"architecture\":\"arm64\",\"os\":\"linux\",\"variant\":\"v8\"}") "," \
	ENTRY(OCI_M, DC, "{\"architecture\":\"arm\",\"os\":\"linux\",\"variant\":\"v7\"}") "," \
	ENTRY(OCI_M, DD, "{\"architecture\":\"arm\",\"os\":\"linux\",\"variant\":\"v6\"}") "," \
	ENTRY(OCI_M, DE, "{\"architecture\":\"unknown\",\"os\":\"unknown\"}") "]}"
#define DOCKER_M REGISTRY_MT_DOCKER_MANIFEST
#define DOCKER_LIST_JSON \
	"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.list.v2+json\",\"manifests\":[" \
	ENTRY(REGISTRY_MT_OCI_INDEX, DE, "{\"architecture\":\"amd64\",\"os\":\"linux\"}") "," \
	ENTRY(DOCKER_M, DC, "{\"architecture\":\"amd64\",\"os\":\"linux\",\"variant\":\"v3\"}") "," \
	ENTRY(DOCKER_M, DA, "{\"architecture\":\"amd64\",\"os\":\"linux\"}") "," \
	ENTRY(DOCKER_M, DB, "{\"architecture\":\"arm64\",\"os\":\"linux\"}") "," \
	ENTRY(DOCKER_M, DD, "{\"architecture\":\"amd64\",\"os\":\"windows\",\"os.version\":\"10.0.17763.1\"}") "]}"

static const struct {
	const char *index;
	const char *platform;
	const char *digest;         /* NULL: no match, msg */
	const char *chosen;
	const char *msg;
} index_cases[] = {
	{ OCI_INDEX_JSON, "linux/amd64", DA, "linux/amd64", NULL },
	{ OCI_INDEX_JSON, "linux/arm64", DB, "linux/arm64/v8", NULL },
	{ OCI_INDEX_JSON, "linux/arm64/v8", DB, "linux/arm64/v8", NULL },
	{ OCI_INDEX_JSON, "linux/arm", DC, "linux/arm/v7", NULL },
	{ OCI_INDEX_JSON, "linux/arm/v6", DD, "linux/arm/v6", NULL },
	{ OCI_INDEX_JSON, "linux/arm/v5", NULL, NULL,
	  "no manifest for platform \"linux/arm/v5\" (available: linux/amd64, linux/arm64/v8, linux/arm/v7, linux/arm/v6)" },
	{ OCI_INDEX_JSON, "linux/s390x", NULL, NULL,
	  "no manifest for platform \"linux/s390x\" (available: linux/amd64, linux/arm64/v8, linux/arm/v7, linux/arm/v6)" },
	{ OCI_INDEX_JSON, "windows/amd64", NULL, NULL,
	  "no manifest for platform \"windows/amd64\" (available: linux/amd64, linux/arm64/v8, linux/arm/v7, linux/arm/v6)" },
	/* the exact match wins over an earlier variant; nested indexes are skipped */
	{ DOCKER_LIST_JSON, "linux/amd64", DA, "linux/amd64", NULL },
	{ DOCKER_LIST_JSON, "linux/amd64/v3", DC, "linux/amd64/v3", NULL },
	{ DOCKER_LIST_JSON, "linux/arm64/v8", DB, "linux/arm64/v8", NULL },
	{ DOCKER_LIST_JSON, "windows/amd64", DD, "windows/amd64", NULL },
	{ "{\"schemaVersion\":2,\"mediaType\":\"" REGISTRY_MT_OCI_INDEX "\",\"manifests\":[]}", "linux/amd64", NULL, NULL,
	  "no manifest for platform \"linux/amd64\" (available: none)" },
	{ "{\"schemaVersion\":2,\"mediaType\":\"" REGISTRY_MT_OCI_INDEX "\",\"manifests\":[" ENTRY(OCI_M, DA, "{\"os\":\"linux\"}") "]}",
	  "linux/amd64", NULL, NULL, "no manifest for platform \"linux/amd64\" (available: none)" },
	{ "{\"schemaVersion\":2,\"mediaType\":\"" REGISTRY_MT_OCI_INDEX "\"}", "linux/amd64", NULL, NULL,
	  "index has no manifests array" },
	{ "{\"schemaVersion\":2,\"mediaType\":\"" REGISTRY_MT_OCI_INDEX "\",\"manifests\":[" ENTRY(OCI_M, "sha256:1", "{\"os\":\"linux\",\"architecture\":\"amd64\"}") "]}",
	  "linux/amd64", NULL, NULL, "index entry: invalid digest \"sha256:1\"" },
	{ "{\"schemaVersion\":2,\"mediaType\":\"" REGISTRY_MT_OCI_INDEX "\",\"manifests\":[{\"mediaType\":\"" OCI_M "\",\"digest\":\"" DA
	  "\",\"size\":4194305,\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}}]}",
	  "linux/amd64", NULL, NULL, "index entry " DA ": manifest of 4194305 bytes is over the 4194304 byte limit" },
};

START_TEST(test_index_select)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct registry_descriptor chosen;
	struct reg_platform want;
	struct json_object *root;
	char mt[REGISTRY_MEDIA_TYPE_MAX], platform[REGISTRY_PLATFORM_MAX];
	bool is_index = false;
	int rc;

	ck_assert_int_eq(reg_platform_parse(index_cases[_i].platform, &want, &err), 0);
	ck_assert_msg(reg_manifest_classify(index_cases[_i].index, strlen(index_cases[_i].index), NULL,
					    &root, mt, &is_index, &err) == 0, "%s", err.msg);
	ck_assert(is_index);
	rc = reg_index_select(root, &want, &chosen, platform, &err);
	if (index_cases[_i].digest) {
		ck_assert_msg(rc == 0, "%s", err.msg);
		ck_assert_str_eq(chosen.digest, index_cases[_i].digest);
		ck_assert_str_eq(platform, index_cases[_i].chosen);
		ck_assert_uint_eq(chosen.size, 500);
	} else {
		ck_assert_int_eq(rc, -1);
		ck_assert_str_eq(err.msg, index_cases[_i].msg);
	}
	json_object_put(root);
}
END_TEST

/* ---------------------------------------------------------- digests, bodies */

#define ABC_SHA256 "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define EMPTY_SHA256 "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

START_TEST(test_sha256)
{
	char d[BERTH_DIGEST_LEN + 1];

	reg_sha256_digest("abc", 3, d);
	ck_assert_str_eq(d, ABC_SHA256);
	reg_sha256_digest("", 0, d);
	ck_assert_str_eq(d, EMPTY_SHA256);
}
END_TEST

static const struct {
	const char *digest;
	int code;             /* 0: valid */
	const char *msg;
} digest_cases[] = {
	{ ABC_SHA256, 0, NULL },
	{ "sha256:" HEX64("0"), 0, NULL },
	{ "sha256:" HEX64("F"), EBADMSG, "blob: invalid digest \"sha256:" HEX64("F") "\"" },
	{ "sha256:abc", EBADMSG, "blob: invalid digest \"sha256:abc\"" },
	{ "sha256:" HEX64("0") "0", EBADMSG, "blob: invalid digest \"sha256:" HEX64("0") "0\"" },
	{ HEX64("0"), EBADMSG, "blob: invalid digest \"" HEX64("0") "\"" },
	{ "", EBADMSG, "blob: invalid digest \"\"" },
	{ "sha256:\n", EBADMSG, "blob: invalid digest \"sha256:?\"" },
	{ "sha512:" HEX64("0"), ENOTSUP, "blob: unsupported digest algorithm \"sha512\" (only sha256)" },
	{ "../x:y", EBADMSG, "blob: invalid digest \"../x:y\"" },
	{ NULL, EBADMSG, "blob: no digest" },
};

START_TEST(test_digest_check)
{
	struct berth_error err = BERTH_ERROR_INIT;
	int rc = reg_digest_check("blob", digest_cases[_i].digest, &err);

	if (!digest_cases[_i].code) {
		ck_assert_int_eq(rc, 0);
		return;
	}
	ck_assert_int_eq(rc, -1);
	ck_assert_int_eq(err.code, digest_cases[_i].code);
	ck_assert_str_eq(err.msg, digest_cases[_i].msg);
}
END_TEST

static char sunk[64];
static size_t nsunk;
static int sink_fail_errno;

static int test_write(void *arg, const void *data, size_t len)
{
	(void)arg;
	if (sink_fail_errno) {
		errno = sink_fail_errno;
		return -1;
	}
	ck_assert_uint_le(nsunk + len, sizeof(sunk));
	memcpy(sunk + nsunk, data, len);
	nsunk += len;
	return 0;
}

START_TEST(test_body_stream_verify)
{
	struct registry_sink sink = { test_write, NULL, NULL };
	struct berth_error err = BERTH_ERROR_INIT;
	struct reg_body body;

	nsunk = 0;
	sink_fail_errno = 0;
	ck_assert_int_eq(reg_body_init(&body, 0, &sink, 3, true, &err), 0);
	ck_assert_int_eq(reg_body_append(&body, "a", 1), 0);
	ck_assert_int_eq(reg_body_append(&body, "bc", 2), 0);
	ck_assert_uint_eq(nsunk, 3);
	ck_assert_int_eq(memcmp(sunk, "abc", 3), 0);
	/* more than expected: refused before it reaches the sink */
	ck_assert_int_eq(reg_body_append(&body, "d", 1), -1);
	ck_assert(body.too_big);
	ck_assert_uint_eq(nsunk, 3);
	/* streamed data cannot be taken back without rewind() */
	ck_assert_int_eq(reg_body_reset(&body), -1);
	ck_assert_int_eq(reg_body_verify(&body, "blob " ABC_SHA256, ABC_SHA256, &err), 0);
	reg_body_free(&body);
}
END_TEST

START_TEST(test_body_mismatch)
{
	struct registry_sink sink = { test_write, NULL, NULL };
	struct berth_error err = BERTH_ERROR_INIT;
	struct reg_body body;

	nsunk = 0;
	sink_fail_errno = 0;
	ck_assert_int_eq(reg_body_init(&body, 0, &sink, -1, true, &err), 0);
	ck_assert_int_eq(reg_body_append(&body, "abd", 3), 0);
	ck_assert_int_eq(reg_body_verify(&body, "blob " ABC_SHA256, ABC_SHA256, &err), -1);
	ck_assert_int_eq(err.code, EBADMSG);
	ck_assert_str_eq(err.msg, "blob " ABC_SHA256 ": digest mismatch (got "
			 "sha256:a52d159f262b2c6ddb724a61840befc36eb30c88877a4030b65cbe86298449c9)");
	reg_body_free(&body);

	ck_assert_int_eq(reg_body_init(&body, 0, &sink, 4, true, &err), 0);
	ck_assert_int_eq(reg_body_append(&body, "abc", 3), 0);
	ck_assert_int_eq(reg_body_verify(&body, "blob " ABC_SHA256, ABC_SHA256, &err), -1);
	ck_assert_str_eq(err.msg, "blob " ABC_SHA256 ": size mismatch (got 3 bytes, expected 4)");
	reg_body_free(&body);
}
END_TEST

START_TEST(test_body_sink_error)
{
	struct registry_sink sink = { test_write, NULL, NULL };
	struct berth_error err = BERTH_ERROR_INIT;
	struct reg_body body;

	nsunk = 0;
	sink_fail_errno = ENOSPC;
	ck_assert_int_eq(reg_body_init(&body, 0, &sink, -1, true, &err), 0);
	ck_assert_int_eq(reg_body_append(&body, "abc", 3), -1);
	ck_assert_int_eq(body.sink_errno, ENOSPC);
	sink_fail_errno = 0;
	reg_body_free(&body);
}
END_TEST

START_TEST(test_body_buffer_bound)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct reg_body body;
	char big[40000];

	memset(big, 'x', sizeof(big));
	ck_assert_int_eq(reg_body_init(&body, 50000, NULL, -1, true, &err), 0);
	ck_assert_int_eq(reg_body_append(&body, big, sizeof(big)), 0);
	ck_assert_uint_eq(body.len, sizeof(big));
	ck_assert_int_eq(body.data[body.len], '\0');
	ck_assert_int_eq(reg_body_append(&body, big, 10001), -1);
	ck_assert(body.too_big);
	ck_assert_uint_eq(body.len, sizeof(big));
	/* a buffer starts again for a retry */
	ck_assert_int_eq(reg_body_reset(&body), 0);
	ck_assert_uint_eq(body.len, 0);
	ck_assert(!body.too_big);
	ck_assert_int_eq(reg_body_append(&body, "abc", 3), 0);
	ck_assert_int_eq(reg_body_verify(&body, "config", ABC_SHA256, &err), 0);
	ck_assert_str_eq(body.data, "abc");
	reg_body_free(&body);
}
END_TEST

/* --------------------------------------------------------------- token cache */

START_TEST(test_token_cache)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct reg_token_cache *cache = reg_token_cache_create(&err);
	char user[REGISTRY_USERNAME_MAX];
	char *got;

	ck_assert_ptr_nonnull(cache);
	ck_assert_ptr_null(reg_token_cache_get(cache, "r", "repository:a:pull", user));
	reg_token_cache_put(cache, "r", "repository:a:pull", "Bearer one", "alice", 300);
	reg_token_cache_put(cache, "r2", "repository:a:pull", "Bearer two", "", 300);
	got = reg_token_cache_get(cache, "r", "repository:a:pull", user);
	ck_assert_str_eq(got, "Bearer one");
	ck_assert_str_eq(user, "alice");
	free(got);
	ck_assert_ptr_null(reg_token_cache_get(cache, "r", "repository:b:pull", user));
	/* replaced in place */
	reg_token_cache_put(cache, "r", "repository:a:pull", "Bearer three", "", 300);
	got = reg_token_cache_get(cache, "r", "repository:a:pull", user);
	ck_assert_str_eq(got, "Bearer three");
	ck_assert_str_eq(user, "");
	free(got);
	/* dropped only if it still holds the refused value */
	reg_token_cache_drop(cache, "r", "repository:a:pull", "Bearer one");
	got = reg_token_cache_get(cache, "r", "repository:a:pull", NULL);
	ck_assert_ptr_nonnull(got);
	free(got);
	reg_token_cache_drop(cache, "r", "repository:a:pull", "Bearer three");
	ck_assert_ptr_null(reg_token_cache_get(cache, "r", "repository:a:pull", NULL));
	/* a lifetime under a second is already over */
	reg_token_cache_put(cache, "r", "s", "Bearer short", "", 1);
	ck_assert_ptr_null(reg_token_cache_get(cache, "r", "s", NULL));
	/* full: the entry closest to expiry goes */
	for (int i = 0; i < 100; i++) {
		char scope[32];

		snprintf(scope, sizeof(scope), "scope%d", i);
		reg_token_cache_put(cache, "many", scope, "Bearer x", "", 1000 + i);
	}
	ck_assert_ptr_null(reg_token_cache_get(cache, "many", "scope0", NULL));
	got = reg_token_cache_get(cache, "many", "scope99", NULL);
	ck_assert_ptr_nonnull(got);
	free(got);
	reg_token_cache_destroy(cache);
}
END_TEST

/* ------------------------------------------------------------ URLs, options */

static const struct {
	const char *url;
	const char *origin;      /* NULL: rejected with msg */
	const char *hostport;
	const char *msg;
} url_cases[] = {
	{ "https://Reg.Example/v2/", "https://reg.example:443", "reg.example", NULL },
	{ "http://127.0.0.1:5000/v2/x?y=1", "http://127.0.0.1:5000", "127.0.0.1:5000", NULL },
	{ "HTTP://h:80", "http://h:80", "h:80", NULL },
	{ "https://[::1]:8443/t", "https://[::1]:8443", "[::1]:8443", NULL },
	{ "ftp://h/x", NULL, NULL, "URL scheme is not http or https" },
	{ "file:///etc/passwd", NULL, NULL, "URL scheme is not http or https" },
	{ "https://u:p@h/x", NULL, NULL, "URL carries credentials" },
	{ "not a url", NULL, NULL, "not a valid URL" },
};

START_TEST(test_url_origin)
{
	struct berth_error err = BERTH_ERROR_INIT;
	char origin[REG_ORIGIN_MAX], hostport[REG_ORIGIN_MAX];
	int rc = reg_url_origin(url_cases[_i].url, origin, sizeof(origin), hostport, sizeof(hostport), &err);

	if (url_cases[_i].origin) {
		ck_assert_msg(rc == 0, "%s: %s", url_cases[_i].url, err.msg);
		ck_assert_str_eq(origin, url_cases[_i].origin);
		ck_assert_str_eq(hostport, url_cases[_i].hostport);
	} else {
		ck_assert_int_eq(rc, -1);
		ck_assert_int_eq(err.code, EPROTO);
		ck_assert_str_eq(err.msg, url_cases[_i].msg);
	}
}
END_TEST

START_TEST(test_client_options)
{
	static const char *const bad_insecure[] = { "h:5000", "h/x", NULL };
	static const char *const insecure[] = { "Reg.Example:5000", NULL };
	struct berth_error err = BERTH_ERROR_INIT;
	struct registry_options o;
	struct registry_client *c;

	registry_options_init(&o);
	ck_assert_str_eq(o.platform, "linux/amd64");
	ck_assert_uint_eq(o.retries, 3);
	o.platform = "linux";
	ck_assert_ptr_null(registry_client_create(&o, &err));
	ck_assert_int_eq(err.code, EINVAL);
	ck_assert_str_eq(err.msg, "registry options: platform \"linux\": expected os/architecture[/variant], "
			 "each 1 to 31 lowercase letters, digits, '_', '-' or '.'");
	registry_options_init(&o);
	o.retries = 11;
	ck_assert_ptr_null(registry_client_create(&o, &err));
	ck_assert_str_eq(err.msg, "registry options: retries 11: at most 10");
	registry_options_init(&o);
	o.timeout_ms = -1;
	ck_assert_ptr_null(registry_client_create(&o, &err));
	ck_assert_str_eq(err.msg, "registry options: timeouts and delays must not be negative");
	registry_options_init(&o);
	o.insecure = bad_insecure;
	ck_assert_ptr_null(registry_client_create(&o, &err));
	ck_assert_str_eq(err.msg, "registry options: insecure registry \"h/x\": expected host[:port]");
	o.insecure = insecure;
	o.platform = "linux/arm64";
	c = registry_client_create(&o, &err);
	ck_assert_msg(c != NULL, "%s", err.msg);
	ck_assert_str_eq(c->platform.variant, "v8");
	ck_assert(reg_insecure(c, "reg.example:5000"));
	ck_assert(!reg_insecure(c, "reg.example"));
	ck_assert(!reg_insecure(c, "reg.example:5001"));
	registry_client_destroy(c);
	registry_client_destroy(NULL);
}
END_TEST

static struct registry_client *test_client(void)
{
	static const char *const insecure[] = { "127.0.0.1:1", NULL };
	struct berth_error err = BERTH_ERROR_INIT;
	struct registry_options o;
	struct registry_client *c;

	registry_options_init(&o);
	o.insecure = insecure;
	o.allow = insecure;   /* on loopback: listed by name */
	o.retries = 1;
	o.backoff_initial_ms = 1;
	c = registry_client_create(&o, &err);
	ck_assert_msg(c != NULL, "%s", err.msg);
	return c;
}

static void test_ref(struct berth_image_ref *ref, const char *registry, const char *repo)
{
	memset(ref, 0, sizeof(*ref));
	ref->type = BERTH_IMAGE_DOCKER;
	snprintf(ref->registry, sizeof(ref->registry), "%s", registry);
	snprintf(ref->repository, sizeof(ref->repository), "%s", repo);
	snprintf(ref->tag, sizeof(ref->tag), "latest");
}

START_TEST(test_api_arguments)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct registry_client *c = test_client();
	struct registry_sink sink = { test_write, NULL, NULL };
	struct berth_image_ref ref;
	struct registry_manifest m;
	struct json_object *json;

	test_ref(&ref, "127.0.0.1:1", "busybox");
	ref.type = BERTH_IMAGE_LOCAL;
	ck_assert_int_eq(registry_get_manifest(c, &ref, &m, &err), -1);
	ck_assert_str_eq(err.msg, "registry: not a docker image reference");
	ref.type = BERTH_IMAGE_DOCKER;
	ck_assert_int_eq(registry_fetch_blob(c, &ref, "sha256:12", 1, &sink, &err), -1);
	ck_assert_int_eq(err.code, EINVAL);
	ck_assert_str_eq(err.msg, "registry 127.0.0.1:1: repository \"busybox\": blob: invalid digest \"sha256:12\"");
	ck_assert_int_eq(registry_fetch_blob(c, &ref, ABC_SHA256, 1, NULL, &err), -1);
	ck_assert_str_eq(err.msg, "registry: blob " ABC_SHA256 ": no sink");
	ck_assert_int_eq(registry_get_blob_json(c, &ref, ABC_SHA256, 16777217, &json, NULL, NULL, &err), -1);
	ck_assert_int_eq(err.code, EFBIG);
	ck_assert_str_eq(err.msg, "registry 127.0.0.1:1: repository \"busybox\": blob " ABC_SHA256
			 ": 16777217 bytes is over the 16777216 byte limit");
	ck_assert_int_eq(registry_fetch_blob_fd(c, &ref, ABC_SHA256, 1, -1, &err), -1);
	ck_assert_int_eq(err.code, EBADF);
	registry_client_destroy(c);
}
END_TEST

/* Loopback port 1: nothing listens; two attempts, then the message every
 * failure without an HTTP answer gets (see test_registry_policy.c). */
START_TEST(test_connection_refused)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct registry_client *c = test_client();
	struct berth_image_ref ref;
	struct registry_manifest m;

	test_ref(&ref, "127.0.0.1:1", "busybox");
	ck_assert_int_eq(registry_get_manifest(c, &ref, &m, &err), -1);
	ck_assert_int_eq(err.code, EHOSTUNREACH);
	ck_assert_str_eq(err.msg, "registry 127.0.0.1:1: repository \"busybox\": manifest \"latest\": "
			 "registry unreachable (details in the gateway's log)");
	ck_assert_ptr_null(m.layers);
	registry_client_destroy(c);
}
END_TEST

static Suite *registry_suite(void)
{
	Suite *s = suite_create("registry");
	TCase *auth = tcase_create("auth");
	TCase *manifests = tcase_create("manifests");
	TCase *digests = tcase_create("digests");
	TCase *client = tcase_create("client");

	tcase_add_loop_test(auth, test_challenge_good, 0, ARRAY_LEN(challenge_good));
	tcase_add_loop_test(auth, test_challenge_bad, 0, ARRAY_LEN(challenge_bad));
	tcase_add_test(auth, test_challenge_null);
	tcase_add_loop_test(auth, test_token_parse, 0, ARRAY_LEN(token_cases));
	tcase_add_test(auth, test_basic_authorization);
	tcase_add_test(auth, test_token_cache);
	suite_add_tcase(s, auth);

	tcase_add_loop_test(manifests, test_platform_parse, 0, ARRAY_LEN(platform_cases));
	tcase_add_test(manifests, test_oci_manifest);
	tcase_add_test(manifests, test_docker_manifest);
	tcase_add_loop_test(manifests, test_manifest_without_media_type, 0, ARRAY_LEN(bare_content_types));
	tcase_add_loop_test(manifests, test_manifest_classify_bad, 0, ARRAY_LEN(manifest_bad));
	tcase_add_loop_test(manifests, test_manifest_parse_bad, 0, ARRAY_LEN(parse_bad));
	tcase_add_test(manifests, test_too_many_layers);
	tcase_add_loop_test(manifests, test_index_select, 0, ARRAY_LEN(index_cases));
	suite_add_tcase(s, manifests);

	tcase_add_test(digests, test_sha256);
	tcase_add_loop_test(digests, test_digest_check, 0, ARRAY_LEN(digest_cases));
	tcase_add_test(digests, test_body_stream_verify);
	tcase_add_test(digests, test_body_mismatch);
	tcase_add_test(digests, test_body_sink_error);
	tcase_add_test(digests, test_body_buffer_bound);
	suite_add_tcase(s, digests);

	tcase_add_loop_test(client, test_url_origin, 0, ARRAY_LEN(url_cases));
	tcase_add_test(client, test_client_options);
	tcase_add_test(client, test_api_arguments);
	tcase_add_test(client, test_connection_refused);
	suite_add_tcase(s, client);
	return s;
}

int main(void)
{
	return unit_run(registry_suite());
}
