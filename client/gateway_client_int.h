/*
 * gateway_client_int.h - internals of the gateway client (gateway_client.c,
 * gateway_json.c), exposed for the unit tests.  Everything here treats the
 * reply as untrusted: bounded, strictly typed, sanitised.
 */
#ifndef BERTH_GATEWAY_CLIENT_INT_H_
#define BERTH_GATEWAY_CLIENT_INT_H_

#include <stddef.h>

#include <json-c/json.h>

#include "gateway_client.h"

#define BERTH_GW_REPLY_MAX       (1u << 20)   /* one record, errors, health */
#define BERTH_GW_LIST_REPLY_MAX  (16u << 20)  /* list / status of all */
#define BERTH_GW_LIST_MAX        100000       /* records in one list */
#define BERTH_GW_JSON_DEPTH      16

/* Parse a whole JSON document (nothing but blanks after it, valid UTF-8,
 * nesting at most BERTH_GW_JSON_DEPTH).  EIO "bad reply: ..." on failure. */
struct json_object *berth_gw_json_parse(const char *text, size_t len, struct berth_error *err);

/* One image record (doc/gateway-api.md), from an object or a document. */
int berth_gw_record_from_json(struct json_object *obj, struct berth_gateway_image *out,
			      struct berth_error *err);
int berth_gw_parse_record(const char *text, size_t len, struct berth_gateway_image *out,
			  struct berth_error *err);

/* {"images":[records]}; *out malloc'd (NULL when empty). */
int berth_gw_parse_list(const char *text, size_t len, struct berth_gateway_image **out,
			size_t *count, struct berth_error *err);

/* {"expired":["ref",...]}; *out malloc'd array of malloc'd strings. */
int berth_gw_parse_expired(const char *text, size_t len, char ***out, size_t *count,
			   struct berth_error *err);

/* The "error" text of an error body, sanitised and cut to fit buf; "" when
 * the body is not {"error": "<string>"}. */
void berth_gw_error_text(const char *text, size_t len, char *buf, size_t size);

/* {"username":"..","password":".."} for the munge payload: malloc'd, the
 * caller wipes (explicit_bzero) and frees it.  Control characters in either
 * field are refused (EINVAL). */
char *berth_gw_login_payload(const struct berth_gateway_login *login, size_t *len,
			     struct berth_error *err);

/* Untrusted text for a message: at most max bytes, non-printable ASCII as
 * '?', "..." when cut.  buf holds max + 4 bytes. */
const char *berth_gw_shown(char *buf, size_t max, const char *text);

#endif
