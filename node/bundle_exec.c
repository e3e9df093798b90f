/*
 * bundle_exec.c - berth-bundle-exec: runs a program of the sshd bundle
 * through the bundle's own loader, inside the job's container, as the user.
 *
 * Why: OpenSSH 9.8 split the server.  sshd only listens and execs
 * sshd-session for every connection (SshdSessionPath), and from 10.0
 * sshd-session execs sshd-auth (SshdAuthPath).  Those are plain execs of a
 * path: the kernel would start them with the image's loader and libraries
 * (musl, an old glibc, none), not the bundle's.  So the bundle's
 * bin/sshd-session and bin/sshd-auth are this program, statically linked
 * (no loader, no library of the image is ever used), which execs
 *
 *   /.berth/ssh/ld.so --inhibit-cache --library-path /.berth/ssh/lib
 *       --argv0 ARGV0 /.berth/ssh/libexec/NAME ARGS...
 *
 * NAME is the last component of the path it was executed as (AT_EXECFN),
 * so one copy serves every program in libexec/.  Executed as
 * /.berth/entrypoint it is srun --entrypoint's program instead
 * (entrypoint_exec.c): one static program to embed, not two.  It has no privilege: the
 * sshd and everything it starts run as the job's user, with
 * no_new_privs.  The node runtime embeds this binary (bundle_exec_blob.S)
 * and writes it into each bundle: no install path to look up.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "entrypoint_exec.h"
#include "sshd_job.h"

#define LOADER BERTH_SSH_CTR_BUNDLE "/ld.so"
#define LIBDIR BERTH_SSH_CTR_BUNDLE "/lib"
#define LIBEXEC BERTH_SSH_CTR_BUNDLE "/libexec/"
#define FIXED_ARGS 7

int main(int argc, char **argv)
{
	const char *execfn = (const char *)getauxval(AT_EXECFN), *name;
	char program[256];
	char **args;

	name = execfn ? strrchr(execfn, '/') : NULL;
	name = name ? name + 1 : execfn;
	if (name && strcmp(name, BERTH_ENTRYPOINT_NAME) == 0)
		return berth_entrypoint_main(argc, argv);
	if (!name || !*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
	    (size_t)snprintf(program, sizeof(program), LIBEXEC "%s", name) >= sizeof(program)) {
		fprintf(stderr, "berth-bundle-exec: cannot tell which program to run (%s)\n",
			execfn ? execfn : "no AT_EXECFN");
		return 127;
	}
	args = calloc((size_t)argc + FIXED_ARGS + 1, sizeof(*args));
	if (!args) {
		fprintf(stderr, "berth-bundle-exec: out of memory\n");
		return 127;
	}
	args[0] = LOADER;
	args[1] = "--inhibit-cache";
	args[2] = "--library-path";
	args[3] = LIBDIR;
	args[4] = "--argv0";
	args[5] = argc > 0 && argv[0] ? argv[0] : program;
	args[6] = program;
	for (int i = 1; i < argc; i++)
		args[FIXED_ARGS + i - 1] = argv[i];
	execv(LOADER, args);
	fprintf(stderr, "berth-bundle-exec: exec %s %s: %s\n", LOADER, program, strerror(errno));
	return 127;
}
