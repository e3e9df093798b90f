/*
 * test_gateway_client_util.c - see test_gateway_client_util.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <munge.h>

#include "fs_util.h"
#include "run.h"
#include "test_gateway_client_util.h"

#define MUNGED "/usr/sbin/munged"

static char munge_dir[] = "/tmp/berth-test-munge.XXXXXX";
static char munge_sock[sizeof(munge_dir) + 16];
static pid_t munged_pid;

static bool write_key(const char *path)
{
	unsigned char key[1024];
	int fd;
	bool ok;

	if (getrandom(key, sizeof(key), 0) != (ssize_t)sizeof(key))
		return false;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		return false;
	ok = write(fd, key, sizeof(key)) == (ssize_t)sizeof(key);
	return close(fd) == 0 && ok;
}

static pid_t read_pid(const char *path)
{
	FILE *f = fopen(path, "r");
	long pid = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%ld", &pid) != 1)
		pid = 0;
	fclose(f);
	return (pid_t)pid;
}

bool test_munged_start(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_run_result res = { 0 };
	char key[sizeof(munge_dir) + 16], pid[sizeof(key)], log[sizeof(key)], seed[sizeof(key)];
	char a_sock[sizeof(key) + 16], a_key[sizeof(a_sock)], a_pid[sizeof(a_sock)];
	char a_log[sizeof(a_sock)], a_seed[sizeof(a_sock)];
	const char *argv[] = { MUNGED, "--force", a_sock, a_key, a_pid, a_log, a_seed, NULL };

	if (access(MUNGED, X_OK) != 0 || !mkdtemp(munge_dir)) {
		fprintf(stderr, "test: %s cannot run here\n", MUNGED);
		return false;
	}
	snprintf(munge_sock, sizeof(munge_sock), "%s/sock", munge_dir);
	snprintf(key, sizeof(key), "%s/key", munge_dir);
	snprintf(pid, sizeof(pid), "%s/pid", munge_dir);
	snprintf(log, sizeof(log), "%s/log", munge_dir);
	snprintf(seed, sizeof(seed), "%s/seed", munge_dir);
	snprintf(a_sock, sizeof(a_sock), "--socket=%s", munge_sock);
	snprintf(a_key, sizeof(a_key), "--key-file=%s", key);
	snprintf(a_pid, sizeof(a_pid), "--pid-file=%s", pid);
	snprintf(a_log, sizeof(a_log), "--log-file=%s", log);
	snprintf(a_seed, sizeof(a_seed), "--seed-file=%s", seed);
	if (!write_key(key)) {
		fprintf(stderr, "test: cannot write a munge key\n");
		return false;
	}
	{
		struct berth_run_spec spec = { .argv = argv, .timeout_ms = 20000, .capture = true };

		/* munged forks its daemon and exits once it is ready */
		if (berth_run(&spec, &res, &err) < 0 || res.exit_status != 0) {
			fprintf(stderr, "test: munged did not start: %s %s\n", err.msg,
				res.output ? res.output : "");
			berth_run_result_free(&res);
			return false;
		}
	}
	berth_run_result_free(&res);
	munged_pid = read_pid(pid);
	return munged_pid > 0;
}

void test_munged_stop(void)
{
	int i;

	if (munged_pid > 0 && kill(munged_pid, SIGTERM) == 0)
		for (i = 0; i < 100 && kill(munged_pid, 0) == 0; i++)
			usleep(20000);
	munged_pid = 0;
	berth_remove_tree(munge_dir, NULL);
}

const char *test_munged_socket(void)
{
	return munge_sock;
}

bool test_munge_decode(const char *cred, char **payload, uid_t *uid)
{
	munge_ctx_t ctx = munge_ctx_create();
	void *data = NULL;
	int len = 0;
	gid_t gid;
	munge_err_t rc;

	*payload = NULL;
	munge_ctx_set(ctx, MUNGE_OPT_SOCKET, munge_sock);
	rc = munge_decode(cred, ctx, &data, &len, uid, &gid);
	munge_ctx_destroy(ctx);
	if (rc != EMUNGE_SUCCESS)
		return false;
	if (data) {
		*payload = calloc(1, (size_t)len + 1);
		memcpy(*payload, data, (size_t)len);
		free(data);
	}
	return true;
}

static int listen_socket(unsigned *port, int backlog)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	socklen_t len = sizeof(addr);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	ck_assert_int_eq(listen(fd, backlog), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
	*port = ntohs(addr.sin_port);
	return fd;
}

unsigned closed_port(void)
{
	unsigned port;
	int fd = listen_socket(&port, 1);

	close(fd);
	return port;
}

int silent_listener(unsigned *port)
{
	return listen_socket(port, 16);
}

/* Head until the blank line, then Content-Length bytes of body. */
static void read_request(struct canned_server *srv, int conn)
{
	size_t want = 0;
	char *end, *cl;
	ssize_t n;

	for (;;) {
		if (srv->request_len + 1 >= sizeof(srv->request))
			return;
		n = recv(conn, srv->request + srv->request_len,
			 sizeof(srv->request) - 1 - srv->request_len, 0);
		if (n <= 0)
			return;
		srv->request_len += (size_t)n;
		srv->request[srv->request_len] = '\0';
		end = strstr(srv->request, "\r\n\r\n");
		if (!end)
			continue;
		if (!want) {
			cl = strcasestr(srv->request, "\r\ncontent-length:");
			want = (size_t)(end + 4 - srv->request) + (cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0);
		}
		if (srv->request_len >= want)
			return;
	}
}

static void *serve_one(void *arg)
{
	struct canned_server *srv = arg;
	struct timeval tv = { .tv_sec = 10 };
	size_t sent = 0;
	ssize_t n;
	int conn = accept(srv->fd, NULL, NULL);

	if (conn < 0)
		return NULL;
	setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	read_request(srv, conn);
	while (sent < srv->reply_len) {
		n = send(conn, srv->reply + sent, srv->reply_len - sent, MSG_NOSIGNAL);
		if (n <= 0)
			break;
		sent += (size_t)n;
	}
	close(conn);
	return NULL;
}

static void start(struct canned_server *srv, int status, const char *body, size_t len)
{
	char head[256];
	int n;

	memset(srv, 0, sizeof(*srv));
	n = snprintf(head, sizeof(head), "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
		     "Content-Length: %zu\r\nConnection: close\r\n\r\n", status, len);
	srv->reply = malloc((size_t)n + len);
	ck_assert_ptr_nonnull(srv->reply);
	memcpy(srv->reply, head, (size_t)n);
	if (body)
		memcpy(srv->reply + n, body, len);
	else
		memset(srv->reply + n, 'x', len);
	srv->reply_len = (size_t)n + len;
	srv->fd = listen_socket(&srv->port, 4);
	ck_assert_int_eq(pthread_create(&srv->thread, NULL, serve_one, srv), 0);
}

void canned_start(struct canned_server *srv, int status, const char *body)
{
	start(srv, status, body, strlen(body));
}

void canned_start_big(struct canned_server *srv, size_t len)
{
	start(srv, 200, NULL, len);
}

void canned_join(struct canned_server *srv)
{
	/* unblock accept() when the client never connected */
	shutdown(srv->fd, SHUT_RDWR);
	pthread_join(srv->thread, NULL);
	close(srv->fd);
	free(srv->reply);
	srv->reply = NULL;
}

bool canned_header(const struct canned_server *srv, const char *name, char *buf, size_t size)
{
	const char *line = strstr(srv->request, "\r\n"), *end;
	size_t nlen = strlen(name);

	while (line && line[2] && line[2] != '\r') {
		line += 2;
		end = strstr(line, "\r\n");
		if (!end)
			return false;
		if (!strncasecmp(line, name, nlen) && line[nlen] == ':') {
			const char *v = line + nlen + 1;

			while (*v == ' ')
				v++;
			snprintf(buf, size, "%.*s", (int)(end - v), v);
			return true;
		}
		line = end;
	}
	return false;
}

void canned_request_line(const struct canned_server *srv, char *buf, size_t size)
{
	const char *end = strstr(srv->request, "\r\n");

	snprintf(buf, size, "%.*s", end ? (int)(end - srv->request) : 0, srv->request);
}

const char *canned_body(const struct canned_server *srv)
{
	const char *end = strstr(srv->request, "\r\n\r\n");

	return end ? end + 4 : "";
}
