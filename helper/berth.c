/*
 * berth.c - main() of the `berth` command: global options, the choice of
 * gateway and configuration, dispatch to the subcommands, exit codes.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helper.h"
#include "image_resolve.h"

static const char usage_text[] =
	"usage: berth [--gateway URL] [--config FILE] COMMAND [ARGS]\n"
	"\n"
	"commands:\n"
	"  pull [--user U,..] [--group G,..] [--no-wait] IMAGE\n"
	"                          have the gateway pull IMAGE and follow it until READY\n"
	"  images                  list the images you may use\n"
	"  lookup IMAGE            print the digest of a READY image\n"
	"  login [--username U] [--password-stdin] [REGISTRY]\n"
	"                          store registry credentials (pulls become private)\n"
	"  logout [REGISTRY]       forget them\n"
	"  import [--no-wait] FILE IMAGE\n"
	"                          upload a docker save / OCI tar as docker:localhost/NAME:TAG\n"
	"  expire IMAGE | --unused remove an image (admins)\n"
	"  check [--role=node|login]\n"
	"                          pre-flight check of this host's setup (admins)\n"
	"\n"
	"The gateway is --gateway, else $BERTH_GATEWAY, else gateway_url in berth.conf\n"
	"(--config, else $BERTH_CONF, else beside $SLURM_CONF, else " BERTH_DEFAULT_CONF ").\n"
	"See berth(1).\n";

int helper_exit_code(int code)
{
	switch (code) {
	case 0:
		return EXIT_OK;
	case ENOENT:
		return EXIT_NOT_FOUND;
	case EINPROGRESS:
	case ENODATA:
		return EXIT_NOT_READY;
	case ECONNREFUSED:
	case EHOSTUNREACH:
	case ETIMEDOUT:
	case EAGAIN:
		return EXIT_UNREACHABLE;
	case EACCES:
	case EPERM:
		return EXIT_DENIED;
	default:
		return EXIT_ERROR;
	}
}

int helper_fail(const struct berth_error *err)
{
	fprintf(stderr, "berth: %s\n", err->msg);
	return helper_exit_code(err->code);
}

int helper_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "berth: %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see berth --help)\n");
	return EXIT_USAGE;
}

int helper_config(struct helper *h, struct berth_error *err)
{
	char path[4096];
	bool missing_ok;

	if (h->cfg_loaded)
		return 0;
	if (berth_config_find(h->config_arg, NULL, path, sizeof(path), &missing_ok, err) < 0 ||
	    berth_config_load(path, missing_ok, &h->cfg, err) < 0) {
		err->code = EINVAL;  /* exit 1, not "image not found" */
		return -1;
	}
	h->cfg_loaded = true;
	return 0;
}

int helper_gateway(struct helper *h, long timeout_ms, struct berth_gateway_opts *gw,
		   struct berth_error *err)
{
	const char *env = getenv("BERTH_GATEWAY");

	memset(gw, 0, sizeof(*gw));
	if (!h->url) {
		if (h->gateway_arg && *h->gateway_arg)
			h->url = h->gateway_arg;
		else if (env && *env)
			h->url = env;
		else if (helper_config(h, err) < 0)
			return -1;
		else
			h->url = h->cfg.gateway_url;
	}
	gw->url = h->url;
	gw->timeout_ms = timeout_ms;
	gw->munge_socket = getenv("BERTH_MUNGE_SOCKET");  /* NULL: libmunge's default */
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(struct helper *h, int argc, char **argv);
} commands[] = {
	{ "pull", cmd_pull },
	{ "images", cmd_images },
	{ "lookup", cmd_lookup },
	{ "login", cmd_login },
	{ "logout", cmd_logout },
	{ "import", cmd_import },
	{ "expire", cmd_expire },
	{ "check", cmd_check },
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "gateway", required_argument, NULL, 'g' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct helper h = { 0 };
	size_t i;
	int c, rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+g:c:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'g':
			h.gateway_arg = optarg;
			break;
		case 'c':
			h.config_arg = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_OK;
		case 'V':
			printf("berth %s\n", PACKAGE_VERSION);
			return EXIT_OK;
		default:
			fprintf(stderr, "berth: bad option \"%s\"\n%s", argv[optind - 1], usage_text);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[optind], commands[i].name))
			break;
	if (i == sizeof(commands) / sizeof(commands[0])) {
		fprintf(stderr, "berth: unknown command \"%s\" (see berth --help)\n", argv[optind]);
		return EXIT_USAGE;
	}
	argv += optind;
	argc -= optind;
	optind = 0;  /* glibc: full reinitialisation for the command's options */
	rc = commands[i].fn(&h, argc, argv);
	if (h.cfg_loaded)
		berth_config_free(&h.cfg);
	if (fflush(stdout) != 0 && rc == EXIT_OK) {
		fprintf(stderr, "berth: writing the output: %s\n", strerror(errno));
		rc = EXIT_ERROR;
	}
	return rc;
}
