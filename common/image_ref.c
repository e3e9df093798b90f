/*
 * image_ref.c - see image_ref.h.
 *
 * The docker grammar is the one of github.com/distribution/reference (used by
 * docker and podman), so a reference accepted here names the image that
 * `docker pull` would fetch.  Characters are classified by hand rather than
 * with <ctype.h>, whose answers depend on the locale of the host process.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "image_ref.h"

#define SHOWN_MAX  BERTH_QUOTE_MAX            /* untrusted text quoted in a message */
#define SHOWN_SIZE BERTH_QUOTE_SIZE
#define NAME_TOTAL_MAX 255                     /* registry '/' repository, as docker */
#define HEX_LEN        64
#define SHA256_PREFIX  "sha256:"
#define SHA256_PREFIX_LEN (sizeof(SHA256_PREFIX) - 1)
#define DOCKER_HUB     "docker.io"
#define DOCKER_HUB_OLD "index.docker.io"
#define LIBRARY_PREFIX "library/"
#define DEFAULT_TAG    "latest"
#define PORT_MAX       65535
/* The canonical "local:<path>" must parse again (BERTH_IMAGE_REF_MAX), also
 * when the path was given without the prefix (default type local). */
#define LOCAL_PATH_LEN_MAX (BERTH_IMAGE_REF_MAX - (sizeof("local:") - 1))
_Static_assert(LOCAL_PATH_LEN_MAX < BERTH_LOCAL_PATH_MAX, "ref->path holds a local path");

static const char *const type_names[] = {
	[BERTH_IMAGE_DOCKER] = "docker",
	[BERTH_IMAGE_ID] = "id",
	[BERTH_IMAGE_LOCAL] = "local",
};
#define TYPE_COUNT (sizeof(type_names) / sizeof(type_names[0]))

static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
static bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
static bool is_alnum(char c) { return is_digit(c) || is_lower(c) || is_upper(c); }
static bool is_lower_alnum(char c) { return is_digit(c) || is_lower(c); }
static bool is_lower_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f'); }
static bool is_any_hex(char c) { return is_lower_hex(c) || (c >= 'A' && c <= 'F'); }
static bool is_word(char c) { return is_alnum(c) || c == '_'; }
static bool is_separator(char c) { return c == '.' || c == '_' || c == '-'; }

static bool equals(const char *text, size_t len, const char *word)
{
	return strlen(word) == len && memcmp(text, word, len) == 0;
}

static const char *find_last(const char *text, size_t len, char c)
{
	while (len--)
		if (text[len] == c)
			return text + len;
	return NULL;
}

static bool all_lower_hex(const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!is_lower_hex(text[i]))
			return false;
	return true;
}

static int check_characters(const char *text, size_t len, struct berth_error *err)
{
	char s[SHOWN_SIZE];

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c == ' ' || (c >= '\t' && c <= '\r'))
			return berth_error_set(err, EINVAL, "image reference \"%s\": must not contain whitespace",
					       berth_error_quote(s, text, len));
		if (c < 0x20 || c == 0x7f)
			return berth_error_set(err, EINVAL, "image reference \"%s\": control character at position %zu",
					       berth_error_quote(s, text, len), i + 1);
		if (c >= 0x80)
			return berth_error_set(err, EINVAL, "image reference \"%s\": non-ASCII character at position %zu",
					       berth_error_quote(s, text, len), i + 1);
	}
	return 0;
}

/* "sha256:<64 lowercase hex>", or with bare_ok just the hex; stored as
 * "sha256:<hex>" in out (BERTH_DIGEST_LEN + 1 bytes).  what names the part. */
static int parse_hex_id(const char *what, const char *text, size_t len, bool bare_ok, char *out,
			struct berth_error *err)
{
	char s[SHOWN_SIZE];
	const char *colon = memchr(text, ':', len);
	const char *hex = text;
	size_t hex_len = len;
	bool upper = false;

	berth_error_quote(s, text, len);
	if (colon && colon != text) {
		if (!equals(text, (size_t)(colon - text) + 1, SHA256_PREFIX))
			return berth_error_set(err, EINVAL, "%s \"%s\": only sha256 digests are supported", what, s);
		hex = colon + 1;
		hex_len = len - SHA256_PREFIX_LEN;
	} else if (!bare_ok || colon) {
		goto malformed;
	}
	if (hex_len != HEX_LEN)
		goto malformed;
	for (size_t i = 0; i < hex_len; i++) {
		if (!is_any_hex(hex[i]))
			goto malformed;
		upper |= !is_lower_hex(hex[i]);
	}
	if (upper)
		return berth_error_set(err, EINVAL, "%s \"%s\": hex digits must be lowercase", what, s);
	memcpy(out, SHA256_PREFIX, SHA256_PREFIX_LEN);
	memcpy(out + SHA256_PREFIX_LEN, hex, HEX_LEN);
	out[SHA256_PREFIX_LEN + HEX_LEN] = '\0';
	return 0;
malformed:
	if (bare_ok)
		return berth_error_set(err, EINVAL,
				       "%s \"%s\": must be sha256: followed by 64 hex digits, or 64 hex digits",
				       what, s);
	return berth_error_set(err, EINVAL, "%s \"%s\": must be sha256: followed by 64 hex digits", what, s);
}

static int check_host_name(const char *reg, size_t len, size_t host_len, struct berth_error *err)
{
	char s[SHOWN_SIZE], part[SHOWN_SIZE];
	size_t start = 0;

	berth_error_quote(s, reg, len);
	if (host_len == 0)
		return berth_error_set(err, EINVAL, "registry \"%s\": empty host name", s);
	for (;;) {
		size_t end = start;

		while (end < host_len && reg[end] != '.')
			end++;
		if (end == start)
			return berth_error_set(err, EINVAL, "registry \"%s\": empty host name component", s);
		for (size_t i = start; i < end; i++)
			if (!is_alnum(reg[i]) && reg[i] != '-')
				return berth_error_set(err, EINVAL, "registry \"%s\": invalid character '%c'",
						       s, reg[i]);
		if (reg[start] == '-' || reg[end - 1] == '-')
			return berth_error_set(err, EINVAL,
					       "registry \"%s\": host name component \"%s\" must not start or end with '-'",
					       s, berth_error_quote(part, reg + start, end - start));
		if (end == host_len)
			return 0;
		start = end + 1;
	}
}

static int check_port(const char *reg, size_t len, size_t start, struct berth_error *err)
{
	char s[SHOWN_SIZE], port[SHOWN_SIZE];
	unsigned long value = 0;

	berth_error_quote(s, reg, len);
	berth_error_quote(port, reg + start, len - start);
	if (start == len)
		return berth_error_set(err, EINVAL, "registry \"%s\": empty port", s);
	for (size_t i = start; i < len; i++) {
		if (!is_digit(reg[i]))
			return berth_error_set(err, EINVAL, "registry \"%s\": port \"%s\" is not a number", s, port);
		value = value * 10 + (unsigned long)(reg[i] - '0');
		if (value > PORT_MAX)
			value = PORT_MAX + 1;   /* saturate: no overflow on long digit runs */
	}
	if (value == 0 || value > PORT_MAX)
		return berth_error_set(err, EINVAL, "registry \"%s\": port \"%s\" is out of range (1-%d)",
				       s, port, PORT_MAX);
	return 0;
}

/* host[:port], where host is a DNS name, an IPv4 address or [IPv6]. */
static int check_registry(const char *reg, size_t len, struct berth_error *err)
{
	char s[SHOWN_SIZE];
	size_t host_len;

	berth_error_quote(s, reg, len);
	if (reg[0] == '[') {
		const char *close = memchr(reg, ']', len);
		char addr[INET6_ADDRSTRLEN];
		struct in6_addr in6;

		if (!close)
			return berth_error_set(err, EINVAL, "registry \"%s\": missing ']' after IPv6 address", s);
		host_len = (size_t)(close - reg) + 1;
		if (host_len - 2 >= sizeof(addr))
			return berth_error_set(err, EINVAL, "registry \"%s\": invalid IPv6 address", s);
		memcpy(addr, reg + 1, host_len - 2);
		addr[host_len - 2] = '\0';
		if (inet_pton(AF_INET6, addr, &in6) != 1)
			return berth_error_set(err, EINVAL, "registry \"%s\": invalid IPv6 address", s);
		if (host_len < len && reg[host_len] != ':')
			return berth_error_set(err, EINVAL, "registry \"%s\": expected ':' and a port after ']'", s);
	} else {
		const char *colon = memchr(reg, ':', len);

		host_len = colon ? (size_t)(colon - reg) : len;
		if (check_host_name(reg, len, host_len, err) < 0)
			return -1;
	}
	if (host_len < len)
		return check_port(reg, len, host_len + 1, err);
	return 0;
}

static bool valid_separator(const char *sep, size_t len)
{
	if (len == 1 && (sep[0] == '.' || sep[0] == '_'))
		return true;
	if (len == 2 && sep[0] == '_' && sep[1] == '_')
		return true;
	for (size_t i = 0; i < len; i++)
		if (sep[i] != '-')
			return false;
	return true;
}

/* One path component: [a-z0-9]+ ( ( [._] | __ | -+ ) [a-z0-9]+ )* */
static int check_component(const char *path, size_t len, size_t start, size_t end,
			   struct berth_error *err)
{
	char s[SHOWN_SIZE], comp[SHOWN_SIZE], sep[SHOWN_SIZE];
	const char *c = path + start;
	size_t n = end - start;

	berth_error_quote(s, path, len);
	berth_error_quote(comp, c, n);
	if (!is_lower_alnum(c[0]) || !is_lower_alnum(c[n - 1]))
		return berth_error_set(err, EINVAL,
				       "repository \"%s\": component \"%s\" must start and end with a letter or digit",
				       s, comp);
	for (size_t i = 0; i < n;) {
		size_t j = i;

		while (j < n && is_separator(c[j]))
			j++;
		if (j > i && !valid_separator(c + i, j - i))
			return berth_error_set(err, EINVAL,
					       "repository \"%s\": component \"%s\" has invalid separator \"%s\"",
					       s, comp, berth_error_quote(sep, c + i, j - i));
		i = j > i ? j : i + 1;
	}
	return 0;
}

static int check_repository(const char *path, size_t len, struct berth_error *err)
{
	char s[SHOWN_SIZE];
	size_t start = 0;

	berth_error_quote(s, path, len);
	for (size_t i = 0; i < len; i++)
		if (is_upper(path[i]))
			return berth_error_set(err, EINVAL, "repository \"%s\": must be lowercase", s);
	for (size_t i = 0; i < len; i++)
		if (!is_lower_alnum(path[i]) && !is_separator(path[i]) && path[i] != '/')
			return berth_error_set(err, EINVAL, "repository \"%s\": invalid character '%c'", s, path[i]);
	for (;;) {
		size_t end = start;

		while (end < len && path[end] != '/')
			end++;
		if (end == start)
			return berth_error_set(err, EINVAL, "repository \"%s\": empty path component", s);
		if (check_component(path, len, start, end, err) < 0)
			return -1;
		if (end == len)
			return 0;
		start = end + 1;
	}
}

static bool is_registry(const char *first, size_t len)
{
	return memchr(first, '.', len) || memchr(first, ':', len) || (len && first[0] == '[') ||
	       equals(first, len, "localhost");
}

/* [registry '/'] repository, normalised into ref. */
static int parse_name(const char *text, const char *name, size_t len, struct berth_image_ref *ref,
		      struct berth_error *err)
{
	char s[SHOWN_SIZE], full[SHOWN_MAX + 2];
	const char *slash = memchr(name, '/', len);
	const char *registry = DOCKER_HUB, *path = name, *prefix = "";
	size_t registry_len = strlen(DOCKER_HUB), path_len = len;

	if (slash && is_registry(name, (size_t)(slash - name))) {
		registry = name;
		registry_len = (size_t)(slash - name);
		path = slash + 1;
		path_len = len - registry_len - 1;
		if (check_registry(registry, registry_len, err) < 0)
			return -1;
		if (equals(registry, registry_len, DOCKER_HUB_OLD)) {
			registry = DOCKER_HUB;
			registry_len = strlen(DOCKER_HUB);
		}
	}
	if (path_len == 0)
		return berth_error_set(err, EINVAL, "image reference \"%s\": repository name is empty",
				       berth_error_quote(s, text, strlen(text)));
	if (check_repository(path, path_len, err) < 0)
		return -1;
	if (equals(registry, registry_len, DOCKER_HUB) && !memchr(path, '/', path_len))
		prefix = LIBRARY_PREFIX;
	if (registry_len + 1 + strlen(prefix) + path_len > NAME_TOTAL_MAX) {
		/* Only the start is shown, so only the start is built. */
		snprintf(full, sizeof(full), "%.*s/%s%.*s", (int)registry_len, registry, prefix,
			 (int)(path_len > SHOWN_MAX ? SHOWN_MAX : path_len), path);
		return berth_error_set(err, EINVAL, "image name \"%s\": longer than %d characters",
				       berth_error_quote(s, full, strlen(full)), NAME_TOTAL_MAX);
	}
	memcpy(ref->registry, registry, registry_len);
	ref->registry[registry_len] = '\0';
	memcpy(ref->repository, prefix, strlen(prefix));
	memcpy(ref->repository + strlen(prefix), path, path_len);
	ref->repository[strlen(prefix) + path_len] = '\0';
	return 0;
}

static int parse_tag(const char *tag, size_t len, struct berth_image_ref *ref, struct berth_error *err)
{
	char s[SHOWN_SIZE];

	berth_error_quote(s, tag, len);
	if (len > BERTH_TAG_MAX)
		return berth_error_set(err, EINVAL, "tag \"%s\": longer than %d characters", s, BERTH_TAG_MAX);
	for (size_t i = 0; i < len; i++)
		if (!is_word(tag[i]) && tag[i] != '.' && tag[i] != '-')
			return berth_error_set(err, EINVAL, "tag \"%s\": invalid character '%c'", s, tag[i]);
	if (!is_word(tag[0]))
		return berth_error_set(err, EINVAL, "tag \"%s\": must start with a letter, digit or '_'", s);
	memcpy(ref->tag, tag, len);
	ref->tag[len] = '\0';
	return 0;
}

/* name [':' tag] ['@' digest]; the tag is after the last '/' of the name,
 * so "reg:5000/repo" has a port, not a tag. */
static int parse_docker(const char *text, const char *body, struct berth_image_ref *ref,
			struct berth_error *err)
{
	char s[SHOWN_SIZE];
	size_t len = strlen(body);
	const char *at = memchr(body, '@', len);
	size_t end = at ? (size_t)(at - body) : len;
	const char *slash = find_last(body, end, '/');
	const char *tail = slash ? slash + 1 : body;
	const char *colon = memchr(tail, ':', end - (size_t)(tail - body));
	size_t name_len = colon ? (size_t)(colon - body) : end;

	/* docker refuses these too: they are image ids, and would be
	 * mistaken for one on the node. */
	if (len == HEX_LEN && all_lower_hex(body, len))
		return berth_error_set(err, EINVAL,
				       "repository \"%s\": 64 hex digits name an image id; use the \"id:\" type",
				       berth_error_quote(s, body, len));
	if (parse_name(text, body, name_len, ref, err) < 0)
		return -1;
	berth_error_quote(s, text, strlen(text));
	if (colon && colon + 1 == body + end)
		return berth_error_set(err, EINVAL, "image reference \"%s\": empty tag after ':'", s);
	if (colon && parse_tag(colon + 1, end - name_len - 1, ref, err) < 0)
		return -1;
	if (at && end + 1 == len)
		return berth_error_set(err, EINVAL, "image reference \"%s\": empty digest after '@'", s);
	if (at && parse_hex_id("digest", at + 1, len - end - 1, false, ref->digest, err) < 0)
		return -1;
	if (!colon && !at)
		memcpy(ref->tag, DEFAULT_TAG, sizeof(DEFAULT_TAG));
	return 0;
}

/* An absolute path, normalised: no empty or "." components, no ".."
 * (a path that climbs out of where it seems to point is not accepted). */
static int parse_local(const char *body, struct berth_image_ref *ref, struct berth_error *err)
{
	char s[SHOWN_SIZE];
	size_t len = strlen(body), out = 0, start = 0;

	berth_error_quote(s, body, len);
	if (body[0] != '/')
		return berth_error_set(err, EINVAL, "local path \"%s\" is not an absolute path", s);
	while (start < len) {
		size_t end = start, n;

		while (end < len && body[end] != '/')
			end++;
		n = end - start;
		if (n == 2 && body[start] == '.' && body[start + 1] == '.')
			return berth_error_set(err, EINVAL, "local path \"%s\" has a \"..\" component", s);
		if (n > 0 && !(n == 1 && body[start] == '.')) {
			if (out + 1 + n > LOCAL_PATH_LEN_MAX)
				return berth_error_set(err, EINVAL, "local path \"%s\" is longer than %d characters",
						       s, (int)LOCAL_PATH_LEN_MAX);
			ref->path[out++] = '/';
			memcpy(ref->path + out, body + start, n);
			out += n;
		}
		start = end + 1;
	}
	if (out == 0)
		return berth_error_set(err, EINVAL, "local path \"%s\" is the root directory", s);
	ref->path[out] = '\0';
	return 0;
}

const char *berth_image_type_name(enum berth_image_type type)
{
	if ((unsigned)type < TYPE_COUNT)
		return type_names[type];
	return "unknown";
}

int berth_image_type_from_name(const char *name, enum berth_image_type *type)
{
	for (size_t i = 0; name && i < TYPE_COUNT; i++) {
		if (strcmp(name, type_names[i]) == 0) {
			*type = (enum berth_image_type)i;
			return 0;
		}
	}
	return -1;
}

int berth_image_ref_parse(const char *text, enum berth_image_type default_type,
			  struct berth_image_ref *ref, struct berth_error *err)
{
	char s[SHOWN_SIZE];
	enum berth_image_type type = default_type;
	const char *body = text;
	size_t len;

	if (!text || !*text)
		return berth_error_set(err, EINVAL, "image reference is empty");
	len = strnlen(text, BERTH_IMAGE_REF_MAX + 1);
	berth_error_quote(s, text, len);
	if (len > BERTH_IMAGE_REF_MAX)
		return berth_error_set(err, EINVAL, "image reference \"%s\": longer than %d characters",
				       s, BERTH_IMAGE_REF_MAX);
	if (check_characters(text, len, err) < 0)
		return -1;
	for (size_t i = 0; i < TYPE_COUNT; i++) {
		size_t n = strlen(type_names[i]);

		if (strncmp(text, type_names[i], n) == 0 && text[n] == ':') {
			type = (enum berth_image_type)i;
			body = text + n + 1;
			if (!*body)
				return berth_error_set(err, EINVAL, "image reference \"%s\": nothing after \"%s:\"",
						       s, type_names[i]);
			break;
		}
	}
	memset(ref, 0, sizeof(*ref));
	ref->type = type;
	switch (type) {
	case BERTH_IMAGE_DOCKER:
		return parse_docker(text, body, ref, err);
	case BERTH_IMAGE_ID:
		return parse_hex_id("image id", body, strlen(body), true, ref->digest, err);
	case BERTH_IMAGE_LOCAL:
		return parse_local(body, ref, err);
	}
	return berth_error_set(err, EINVAL, "image reference \"%s\": unknown image type %d", s, (int)type);
}

int berth_image_ref_format(const struct berth_image_ref *ref, char *buf, size_t size,
			   struct berth_error *err)
{
	int n;

	/* Precisions keep a caller's unterminated field from being overread. */
	switch (ref->type) {
	case BERTH_IMAGE_DOCKER:
		n = snprintf(buf, size, "docker:%.*s/%.*s%s%.*s%s%.*s",
			     BERTH_REGISTRY_MAX, ref->registry, BERTH_REPOSITORY_MAX, ref->repository,
			     ref->tag[0] ? ":" : "", BERTH_TAG_MAX, ref->tag,
			     ref->digest[0] ? "@" : "", BERTH_DIGEST_LEN, ref->digest);
		break;
	case BERTH_IMAGE_ID:
		n = snprintf(buf, size, "id:%.*s", BERTH_DIGEST_LEN, ref->digest);
		break;
	case BERTH_IMAGE_LOCAL:
		n = snprintf(buf, size, "local:%.*s", BERTH_LOCAL_PATH_MAX - 1, ref->path);
		break;
	default:
		return berth_error_set(err, EINVAL, "unknown image type %d", (int)ref->type);
	}
	if (n < 0)
		return berth_error_errno(err, EINVAL, "formatting image reference");
	if ((size_t)n >= size)
		return berth_error_set(err, ENOSPC, "image reference needs %d bytes, buffer has %zu",
				       n + 1, size);
	return 0;
}

bool berth_digest_valid(const char *text)
{
	if (!text || strncmp(text, SHA256_PREFIX, SHA256_PREFIX_LEN) != 0)
		return false;
	for (size_t i = 0; i < HEX_LEN; i++)
		if (!is_lower_hex(text[SHA256_PREFIX_LEN + i]))
			return false;
	return text[SHA256_PREFIX_LEN + HEX_LEN] == '\0';
}

void berth_digest_format(const unsigned char md[BERTH_SHA256_SIZE], char out[BERTH_DIGEST_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	char *p = out + SHA256_PREFIX_LEN;

	memcpy(out, SHA256_PREFIX, SHA256_PREFIX_LEN);
	for (int i = 0; i < BERTH_SHA256_SIZE; i++) {
		*p++ = hex[md[i] >> 4];
		*p++ = hex[md[i] & 15];
	}
	*p = '\0';
}
