/*
 * test_gateway_client_util.h - a private munged and a one-connection HTTP
 * server answering a scripted reply, for test_gateway_client_net.
 */
#ifndef BERTH_TEST_GATEWAY_CLIENT_UTIL_H_
#define BERTH_TEST_GATEWAY_CLIENT_UTIL_H_

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Start munged on a socket in a fresh temporary directory; false (with a
 * note on stderr) when munged cannot run here. */
bool test_munged_start(void);
void test_munged_stop(void);
const char *test_munged_socket(void);

/* Decode a credential with the private munged: payload (malloc'd, NUL
 * terminated, or NULL) and the uid; false when it does not decode. */
bool test_munge_decode(const char *cred, char **payload, uid_t *uid);

struct canned_server {
	int fd;
	unsigned port;
	pthread_t thread;
	char *reply;          /* full HTTP reply (malloc'd) */
	size_t reply_len;
	char request[65536];  /* what the client sent (head + body) */
	size_t request_len;
};

/* Listen on 127.0.0.1:<free port>; one connection is answered with an HTTP
 * reply of status and body, then closed. */
void canned_start(struct canned_server *srv, int status, const char *body);
/* Same with a body of len bytes of 'x' (for size limits). */
void canned_start_big(struct canned_server *srv, size_t len);
void canned_join(struct canned_server *srv);

/* The value of header name (case-insensitive) in the captured request into
 * buf; false when absent. */
bool canned_header(const struct canned_server *srv, const char *name, char *buf, size_t size);
/* The request line ("POST /api/v1/lookup HTTP/1.1") and the body. */
void canned_request_line(const struct canned_server *srv, char *buf, size_t size);
const char *canned_body(const struct canned_server *srv);

/* A loopback port nobody listens on, and a socket that accepts
 * connections (kernel backlog) but never answers: close with close(). */
unsigned closed_port(void);
int silent_listener(unsigned *port);

#endif
