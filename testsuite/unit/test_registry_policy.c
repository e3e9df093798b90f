/*
 * test_registry_policy.c - gateway/registry_policy.c: which addresses are
 * public, registry_allow / registry_redirect_allow by name, the address
 * check at connect time, and that refused, timed-out and closed ports give
 * one and the same message (no port scanner).  Loopback only.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "registry_internal.h"
#include "unit.h"

static const struct {
	const char *addr;
	bool public;
} addr_cases[] = {
	{ "8.8.8.8", true }, { "1.1.1.1", true }, { "100.63.255.255", true }, { "172.32.0.1", true },
	{ "10.1.2.3", false }, { "172.16.0.1", false }, { "172.31.255.255", false },
	{ "192.168.1.1", false }, { "127.0.0.1", false }, { "127.1.2.3", false },
	{ "169.254.169.254", false }, { "0.0.0.0", false }, { "100.64.0.1", false },
	{ "224.0.0.1", false }, { "255.255.255.255", false }, { "198.18.0.1", false },
	{ "2001:4860:4860::8888", true }, { "::1", false }, { "::", false },
	{ "fc00::1", false }, { "fd12:3456::1", false }, { "fe80::1", false }, { "febf::1", false },
	{ "ff02::1", false }, { "::ffff:10.0.0.1", false }, { "::ffff:8.8.8.8", true },
	{ "64:ff9b::7f00:1", false }, { "2002:c0a8:101::1", false }, { "2002:808:808::1", true },
};

START_TEST(test_addr_public)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(addr_cases[_i].addr, ':')) {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;

		a6->sin6_family = AF_INET6;
		ck_assert_int_eq(inet_pton(AF_INET6, addr_cases[_i].addr, &a6->sin6_addr), 1);
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;

		a4->sin_family = AF_INET;
		ck_assert_int_eq(inet_pton(AF_INET, addr_cases[_i].addr, &a4->sin_addr), 1);
	}
	ck_assert_msg(reg_addr_public((struct sockaddr *)&ss) == addr_cases[_i].public, "%s",
		      addr_cases[_i].addr);
}
END_TEST

static struct registry_client *client(const char *const *allow, long timeout_ms)
{
	static const char *const insecure[] = { "127.0.0.1", "localhost", NULL };
	struct berth_error err = BERTH_ERROR_INIT;
	struct registry_options o;
	struct registry_client *c;

	registry_options_init(&o);
	o.insecure = insecure;
	if (allow)
		o.allow = allow;
	o.retries = 0;
	o.timeout_ms = timeout_ms;
	o.connect_timeout_ms = timeout_ms;
	c = registry_client_create(&o, &err);
	ck_assert_msg(c != NULL, "%s", err.msg);
	return c;
}

/* The manifest of registry/x, expected to fail: its message and code. */
static int manifest_error(struct registry_client *c, const char *registry, char *msg, size_t size)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_image_ref ref;
	struct registry_manifest m;

	ck_assert_int_eq(berth_image_ref_parse(registry, BERTH_IMAGE_DOCKER, &ref, &err), 0);
	ck_assert_int_eq(registry_get_manifest(c, &ref, &m, &err), -1);
	snprintf(msg, size, "%s", err.msg);
	return err.code;
}

/* A loopback port: listening (the kernel completes connections, nothing
 * answers: a timeout) or closed (bound, not listening: refused). */
static int loopback_port(bool listening, unsigned *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	if (listening)
		ck_assert_int_eq(listen(fd, 16), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

START_TEST(test_registry_not_allowed)
{
	static const char *const allow[] = { "reg.example", "127.0.0.1:5000", NULL };
	struct registry_client *c = client(allow, 2000);
	char msg[512];

	ck_assert_int_eq(manifest_error(c, "127.0.0.1:5001/x", msg, sizeof(msg)), EACCES);
	ck_assert_str_eq(msg, "registry 127.0.0.1:5001: repository \"x\": not an allowed registry (registry_allow)");
	ck_assert_int_eq(manifest_error(c, "other.example/x", msg, sizeof(msg)), EACCES);
	ck_assert_str_eq(msg, "registry other.example: repository \"x\": not an allowed registry (registry_allow)");
	registry_client_destroy(c);
}
END_TEST

/* "*" covers public addresses only: loopback (by literal or by name, the
 * same check for a name that resolves there) is refused before connecting. */
START_TEST(test_private_address_refused)
{
	struct registry_client *c = client(NULL, 2000);
	char msg[512];

	ck_assert_int_eq(manifest_error(c, "127.0.0.1:5000/x", msg, sizeof(msg)), EACCES);
	ck_assert_str_eq(msg, "registry 127.0.0.1:5000: repository \"x\": manifest \"latest\": refusing a "
			 "non-public address (the host is not listed in registry_allow)");
	ck_assert_int_eq(manifest_error(c, "localhost:5000/x", msg, sizeof(msg)), EACCES);
	ck_assert_str_eq(msg, "registry localhost:5000: repository \"x\": manifest \"latest\": refusing a "
			 "non-public address (the host is not listed in registry_allow)");
	registry_client_destroy(c);
}
END_TEST

/* Listed hosts are reached; a closed port and one that never answers give
 * the same message and code (the detail goes to the log only). */
START_TEST(test_port_state_not_told)
{
	static const char *const allow[] = { "127.0.0.1", NULL };
	struct registry_client *c = client(allow, 300);
	unsigned closed_port, silent_port;
	int closed = loopback_port(false, &closed_port), silent = loopback_port(true, &silent_port);
	char ref[64], msg[2][512], expect[256];
	int code[2];

	/* "127.0.0.1" without a port is not 127.0.0.1:PORT */
	snprintf(ref, sizeof(ref), "127.0.0.1:%u/x", closed_port);
	ck_assert_int_eq(manifest_error(c, ref, msg[0], sizeof(msg[0])), EACCES);
	registry_client_destroy(c);
	{
		char closed_entry[32], silent_entry[32];
		const char *const listed[] = { closed_entry, silent_entry, NULL };

		snprintf(closed_entry, sizeof(closed_entry), "127.0.0.1:%u", closed_port);
		snprintf(silent_entry, sizeof(silent_entry), "127.0.0.1:%u", silent_port);
		c = client(listed, 300);
		code[0] = manifest_error(c, ref, msg[0], sizeof(msg[0]));
		snprintf(ref, sizeof(ref), "127.0.0.1:%u/x", silent_port);
		code[1] = manifest_error(c, ref, msg[1], sizeof(msg[1]));
	}
	ck_assert_int_eq(code[0], EHOSTUNREACH);
	ck_assert_int_eq(code[1], EHOSTUNREACH);
	snprintf(expect, sizeof(expect), "registry 127.0.0.1:%u: repository \"x\": manifest \"latest\": "
		 "registry unreachable (details in the gateway's log)", closed_port);
	ck_assert_str_eq(msg[0], expect);
	snprintf(expect, sizeof(expect), "registry 127.0.0.1:%u: repository \"x\": manifest \"latest\": "
		 "registry unreachable (details in the gateway's log)", silent_port);
	ck_assert_str_eq(msg[1], expect);
	close(closed);
	close(silent);
	registry_client_destroy(c);
}
END_TEST

START_TEST(test_bad_lists)
{
	static const char *const bad_allow[] = { "reg.example/path", NULL };
	static const char *const star[] = { "*", NULL };
	struct berth_error err = BERTH_ERROR_INIT;
	struct registry_options o;

	registry_options_init(&o);
	o.allow = bad_allow;
	ck_assert_ptr_null(registry_client_create(&o, &err));
	ck_assert_str_eq(err.msg, "registry options: allow \"reg.example/path\": expected host[:port] or *");
	registry_options_init(&o);
	o.redirect_allow = star;
	ck_assert_ptr_null(registry_client_create(&o, &err));
	ck_assert_str_eq(err.msg, "registry options: redirect_allow \"*\": expected host[:port]");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("registry_policy");
	TCase *tc = tcase_create("policy");

	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_addr_public, 0, ARRAY_LEN(addr_cases));
	tcase_add_test(tc, test_registry_not_allowed);
	tcase_add_test(tc, test_private_address_refused);
	tcase_add_test(tc, test_port_state_not_told);
	tcase_add_test(tc, test_bad_lists);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
