/*
 * cmd_login.c - `berth login` and `berth logout`: registry credentials for
 * private pulls.  The password is read from the terminal without echo (or
 * from stdin with --password-stdin) and never appears on a command line.
 * Nothing is checked against the registry here: the next pull does that.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "helper.h"

#define DEFAULT_REGISTRY "docker.io"

/* One line from fd (without the newline); -1 on EOF before any byte or a
 * line longer than the buffer. */
static int read_line(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;
	char c;

	for (;;) {
		n = read(fd, &c, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (c == '\n')
			break;
		if (len + 1 >= size) {
			explicit_bzero(buf, size);
			return -1;
		}
		buf[len++] = c;
	}
	if (n <= 0 && !len)
		return -1;
	if (len && buf[len - 1] == '\r')
		len--;
	buf[len] = '\0';
	return 0;
}

/* Prompt on the terminal and read a line, without echo when secret. */
static int prompt_tty(const char *prompt, bool secret, char *buf, size_t size,
		      struct berth_error *err)
{
	struct termios saved, quiet;
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY), rc;

	if (fd < 0)
		return berth_error_set(err, ENOTTY,
				       "login: no terminal to ask on (use --username and --password-stdin)");
	if (write(fd, prompt, strlen(prompt)) < 0) {
		close(fd);
		return berth_error_errno(err, errno, "login: /dev/tty");
	}
	if (secret) {
		if (tcgetattr(fd, &saved) < 0) {
			close(fd);
			return berth_error_errno(err, errno, "login: /dev/tty");
		}
		quiet = saved;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		quiet.c_lflag |= ICANON;
		tcsetattr(fd, TCSAFLUSH, &quiet);
	}
	rc = read_line(fd, buf, size);
	if (secret) {
		tcsetattr(fd, TCSAFLUSH, &saved);
		if (write(fd, "\n", 1) < 0)
			rc = -1;
	}
	close(fd);
	if (rc < 0)
		return berth_error_set(err, EINVAL, "login: no %s given (or longer than %zu bytes)",
				       secret ? "password" : "username", size - 1);
	return 0;
}

struct login_args {
	const char *username;
	bool password_stdin;
	const char *registry;
};

static int parse_login_args(int argc, char **argv, struct login_args *a)
{
	static const struct option opts[] = {
		{ "username", required_argument, NULL, 'u' },
		{ "password-stdin", no_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "+u:", opts, NULL)) != -1) {
		if (c == 'u')
			a->username = optarg;
		else if (c == 'p')
			a->password_stdin = true;
		else
			return helper_usage_error("login", "bad option \"%s\"", argv[optind - 1]);
	}
	if (optind < argc - 1)
		return helper_usage_error("login", "expected at most one REGISTRY");
	a->registry = optind < argc ? argv[optind] : DEFAULT_REGISTRY;
	if (a->password_stdin && !a->username)
		return helper_usage_error("login", "--password-stdin needs --username");
	return 0;
}

/* Username and password into entry, from the options, stdin or the TTY. */
static int ask_credentials(const struct login_args *a, struct auth_entry *entry,
			   struct berth_error *err)
{
	char prompt[AUTH_REGISTRY_MAX + 32];

	if (a->username) {
		if (strlen(a->username) >= sizeof(entry->username))
			return berth_error_set(err, EINVAL, "login: username too long");
		snprintf(entry->username, sizeof(entry->username), "%s", a->username);
	} else {
		snprintf(prompt, sizeof(prompt), "Username for %s: ", entry->registry);
		if (prompt_tty(prompt, false, entry->username, sizeof(entry->username), err) < 0)
			return -1;
	}
	if (!entry->username[0])
		return berth_error_set(err, EINVAL, "login: empty username");
	if (a->password_stdin) {
		if (read_line(STDIN_FILENO, entry->password, sizeof(entry->password)) < 0)
			return berth_error_set(err, EINVAL,
					       "login: no password on stdin (or longer than %zu bytes)",
					       sizeof(entry->password) - 1);
	} else if (prompt_tty("Password: ", true, entry->password, sizeof(entry->password), err) < 0) {
		return -1;
	}
	if (!entry->password[0])
		return berth_error_set(err, EINVAL, "login: empty password");
	return 0;
}

int cmd_login(struct helper *h, int argc, char **argv)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct login_args a = { 0 };
	struct auth_entry *entry;
	char path[4096];
	bool existed;
	int rc;

	(void)h;
	if ((rc = parse_login_args(argc, argv, &a)) != 0)
		return rc;
	entry = calloc(1, sizeof(*entry));
	if (!entry)
		return berth_error_set(&err, ENOMEM, "out of memory"), helper_fail(&err);
	rc = -1;
	if (auth_registry_normalize(a.registry, entry->registry, sizeof(entry->registry), &err) == 0 &&
	    auth_file_path(path, sizeof(path), &err) == 0 &&
	    ask_credentials(&a, entry, &err) == 0)
		rc = auth_update(path, entry->registry, entry->username, entry->password, &existed, &err);
	if (rc == 0)
		printf("login for %s stored in %s; pulls from %s are now private to you\n",
		       entry->registry, path, entry->registry);
	auth_entry_wipe(entry);
	free(entry);
	return rc == 0 ? EXIT_OK : helper_fail(&err);
}

int cmd_logout(struct helper *h, int argc, char **argv)
{
	struct berth_error err = BERTH_ERROR_INIT;
	char registry[AUTH_REGISTRY_MAX], path[4096];
	bool existed = false;

	(void)h;
	if (argc > 2 || (argc == 2 && argv[1][0] == '-'))
		return helper_usage_error("logout", "expected at most one REGISTRY");
	if (auth_registry_normalize(argc == 2 ? argv[1] : DEFAULT_REGISTRY, registry,
				    sizeof(registry), &err) < 0 ||
	    auth_file_path(path, sizeof(path), &err) < 0 ||
	    auth_update(path, registry, NULL, NULL, &existed, &err) < 0)
		return helper_fail(&err);
	if (existed)
		printf("login for %s removed\n", registry);
	else
		fprintf(stderr, "berth: not logged in to %s\n", registry);
	return EXIT_OK;
}
