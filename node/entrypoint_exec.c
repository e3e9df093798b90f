/*
 * entrypoint_exec.c - the in-container side of srun --entrypoint: run the
 * image's Entrypoint (and Cmd) around the task's command.
 *
 * Slurm execs the task's argv itself after the SPANK hooks, and SPANK can
 * only change argv's elements, not add any.  So the plugin makes argv[0]
 * this program (bound read-only at /.berth/entrypoint in every container;
 * it is berth-bundle-exec, chosen by that name) and passes, in the
 * environment (argv_wire.h):
 *   BERTH_ENTRYPOINT_ARGS   what comes first: Entrypoint, or Entrypoint +
 *                           Cmd for --entrypoint=image
 *   BERTH_ENTRYPOINT_ARGV0  the task's own argv[0], when the task's
 *                           command follows (--entrypoint, Docker's
 *                           "docker run IMAGE CMD...")
 * Both are removed before the exec, which looks the program up in the
 * image's PATH as Docker does.  It runs as the user, with no privilege.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "argv_wire.h"
#include "entrypoint_exec.h"
#include "job_wire.h"

int berth_entrypoint_main(int argc, char **argv)
{
	const char *encoded = getenv(BERTH_ENV_ENTRYPOINT_ARGS), *argv0 = getenv(BERTH_ENV_ENTRYPOINT_ARGV0);
	char **prefix = NULL, **args, *first = NULL;
	size_t n = 0, used = 0;

	if (!encoded || berth_argv_decode(encoded, &prefix, &n) < 0) {
		fprintf(stderr, "berth: --entrypoint: %s is %s\n", BERTH_ENV_ENTRYPOINT_ARGS,
			encoded ? "malformed" : "not set");
		return 127;
	}
	if (argv0 && !(first = strdup(argv0))) {
		fprintf(stderr, "berth: --entrypoint: out of memory\n");
		return 127;
	}
	unsetenv(BERTH_ENV_ENTRYPOINT_ARGS);
	unsetenv(BERTH_ENV_ENTRYPOINT_ARGV0);
	args = calloc(n + (size_t)(argc > 0 ? argc : 1) + 1, sizeof(*args));
	if (!args) {
		fprintf(stderr, "berth: --entrypoint: out of memory\n");
		return 127;
	}
	for (size_t i = 0; i < n; i++)
		args[used++] = prefix[i];
	if (first) {
		args[used++] = first;
		for (int i = 1; i < argc; i++)
			args[used++] = argv[i];
	}
	if (used == 0) {
		fprintf(stderr, "berth: --entrypoint=image: the image has neither Entrypoint nor Cmd\n");
		return 127;
	}
	execvp(args[0], args);
	fprintf(stderr, "berth: --entrypoint: cannot run %s: %s\n", args[0], strerror(errno));
	return errno == ENOENT ? 127 : 126;
}
