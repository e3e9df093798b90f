/*
 * gw_auth.h - who is asking: the munge credential of a gateway request,
 * the trusted-proxy header and the caller's groups and roles
 * (doc/gateway-api.md, "Authentication").
 *
 * Errors (struct berth_error) carry the code the HTTP layer answers with
 * through gw_auth_http_status():
 *   EACCES  401  no, undecodable, expired, replayed credential
 *   EPERM   403  x-berth-on-behalf-of from a uid not in trusted_proxy_uids
 *   EINVAL  400  bad on-behalf-of value, unknown uid, bad login payload
 *   EAGAIN  503  munged not reachable (not the caller's fault)
 */
#ifndef BERTH_GW_AUTH_H_
#define BERTH_GW_AUTH_H_

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "berth_error.h"
#include "gw_config.h"
#include "gw_service.h"

#define GW_AUTH_HEADER       "authentication"
#define GW_ON_BEHALF_HEADER  "x-berth-on-behalf-of"
#define GW_CRED_MAX          8192   /* longest credential text accepted */

/* A decoded credential.  payload is malloc'd (NUL-terminated) or NULL; wipe
 * it with gw_auth_credential_clear(). */
struct gw_credential {
	uid_t uid;
	gid_t gid;
	char *payload;
	size_t payload_len;
};

/* Decode cred_text with munged at munge_socket ("" or NULL: libmunge's
 * default socket).  NULL or empty text is a missing credential (401). */
int gw_auth_decode(const char *munge_socket, const char *cred_text,
		   struct gw_credential *cred, struct berth_error *err);

/* Wipe and free the payload. */
void gw_auth_credential_clear(struct gw_credential *cred);

/* The caller a request is handled as: the credential's uid, or the uid of
 * on_behalf (NULL: header absent) when the credential's uid is a trusted
 * proxy; groups from passwd/group of the gateway host; roles from cfg. */
int gw_auth_caller(const struct gw_config *cfg, const struct gw_credential *cred,
		   const char *on_behalf, struct gw_caller *caller, struct berth_error *err);

/* The payload of a pull credential: empty (anonymous, *has_login false) or
 * {"username":"...","password":"..."}. */
int gw_auth_parse_login(const char *payload, size_t len, struct gw_registry_login *login,
			bool *has_login, struct berth_error *err);

/* Overwrite a secret so the compiler cannot drop the stores. */
void gw_auth_wipe(void *secret, size_t len);

/* HTTP status for an error of this module (see above). */
unsigned gw_auth_http_status(int code);

#endif
