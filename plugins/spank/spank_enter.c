/*
 * spank_enter.c - step one task into the job's container tree: the image's
 * environment on top of the job's, chroot into the tree, working directory,
 * then no_new_privs and an empty capability bounding set.  Slurm drops the
 * task to the user and execs the command (found through the image's PATH)
 * right after this hook.
 *
 * Working directory: the job's cwd if it exists in the container, else the
 * image's WorkingDir, else "/".  Slurm itself chdir()s to the job's cwd
 * after task_init_privileged (as the user) and falls back to /tmp, which
 * would override the image's WorkingDir; so task_init (the user, after that
 * chdir, before TaskProlog and execve) goes to the directory chosen here,
 * and sets PWD when it is not the job's.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <slurm/spank.h>

#include "argv_wire.h"
#include "berth_log.h"
#include "entrypoint_exec.h"
#include "env_rules.h"
#include "job_wire.h"
#include "image_meta.h"
#include "modules.h"
#include "spank_plugin.h"
#include "sshd_job.h"
#include "task_entry.h"
#include "task_env.h"

static int load_image_meta(const struct berth_job_spec *spec, struct berth_image_meta *meta,
			   struct berth_error *err)
{
	char sqfs[4096], json[4096];

	if (berth_image_files(&berth_spank.config, spec->digest, sqfs, sizeof(sqfs), json,
			      sizeof(json), err) < 0)
		return -1;
	if (berth_image_meta_load(json, meta, err) < 0)
		return berth_error_prefix(err, "image %s metadata", spec->digest);
	if (!meta->digest || strcmp(meta->digest, spec->digest) != 0)
		return berth_error_set(err, EINVAL, "image %s: metadata file is for another image (%.80s)",
				       spec->digest, meta->digest ? meta->digest : "none");
	return 0;
}

/* A module's site MPI (mpi_libs): its directory first in LD_LIBRARY_PATH,
 * after the image's Env and the site's rules, keeping what they gave, so
 * the site's MPI library finds its own dependencies there (its file is
 * bound over the image's: node/mpi_inject.h). */
static int mpi_library_path(spank_t sp, const struct berth_modules *modules, struct berth_error *err)
{
	char current[8192];
	char *value = NULL;
	spank_err_t rc;

	if (modules->mpi == BERTH_MPI_NONE)
		return 0;
	rc = spank_getenv(sp, "LD_LIBRARY_PATH", current, sizeof(current));
	if (rc != ESPANK_SUCCESS && rc != ESPANK_ENV_NOEXIST)
		return berth_error_set(err, EINVAL, "cannot read LD_LIBRARY_PATH: %s", spank_strerror(rc));
	if (berth_modules_ld_library_path(modules, rc == ESPANK_SUCCESS ? current : NULL, &value, err) < 0)
		return -1;
	rc = spank_setenv(sp, "LD_LIBRARY_PATH", value, 1);
	free(value);
	if (rc != ESPANK_SUCCESS)
		return berth_error_set(err, EINVAL, "cannot set LD_LIBRARY_PATH in the task environment: %s",
				       spank_strerror(rc));
	return 0;
}

static int apply_changes(spank_t sp, const struct berth_env_changes *changes, struct berth_error *err)
{
	for (size_t i = 0; i < changes->count; i++) {
		const struct berth_env_change *c = &changes->items[i];
		spank_err_t serr = c->value ? spank_setenv(sp, c->name, c->value, 1)
					    : spank_unsetenv(sp, c->name);
		if (serr != ESPANK_SUCCESS)
			return berth_error_set(err, EINVAL, "cannot set %s in the task environment: %s",
					       c->name, spank_strerror(serr));
	}
	return 0;
}

static int apply_environment(spank_t sp, const struct berth_image_meta *meta, const char *module_names,
			     const char **pwd, struct berth_error *err)
{
	struct berth_modules modules = BERTH_MODULES_INIT;
	struct berth_env_changes changes = { 0 };
	struct berth_env_rules rules = BERTH_ENV_RULES_INIT;
	char **job_env = NULL;
	int rc = 0;

	if (spank_get_item(sp, S_JOB_ENV, &job_env) != ESPANK_SUCCESS)
		return berth_error_set(err, EINVAL, "cannot read the job's environment");
	/* the site's rules come after the image's Env (berth.conf(5)) */
	if (berth_modules_load(&berth_spank.config, module_names, &modules, err) < 0)
		return -1;
	rc = berth_config_env_rules(&berth_spank.config, modules.env, &rules, err);
	if (rc == 0)
		rc = berth_task_env_changes((const char *const *)job_env, meta, rules.items, rules.count, &changes,
					    err);
	berth_env_rules_free(&rules);
	if (rc == 0)
		rc = apply_changes(sp, &changes, err);
	berth_env_changes_free(&changes);
	if (rc == 0)
		rc = mpi_library_path(sp, &modules, err);
	berth_modules_free(&modules);
	/* Slurm keeps the job's working directory in PWD */
	if (spank_get_item(sp, S_JOB_ENV, &job_env) == ESPANK_SUCCESS)
		*pwd = berth_env_lookup(job_env, (size_t)-1, "PWD");
	return rc;
}

/* A job with an sshd (its hostfiles were written): MPI launchers' defaults
 * (berth_ssh_launcher_env). */
static void launcher_defaults(spank_t sp, const struct berth_job_paths *paths)
{
	char path[1200], current[4096];

	snprintf(path, sizeof(path), "%s/ssh/hostsfile.mpich", paths->dir);
	if (access(path, F_OK) < 0)
		return;
	for (size_t i = 0; i < berth_ssh_launcher_env_count; i++) {
		const struct berth_env_default *d = &berth_ssh_launcher_env[i];
		const char *value = NULL;
		spank_err_t rc = spank_getenv(sp, d->name, current, sizeof(current));

		if (rc != ESPANK_SUCCESS && rc != ESPANK_ENV_NOEXIST)
			continue;
		if (!berth_ssh_launcher_change(d, rc == ESPANK_SUCCESS ? current : NULL, &value))
			continue;
		rc = value ? spank_setenv(sp, d->name, value, 1) : spank_unsetenv(sp, d->name);
		if (rc != ESPANK_SUCCESS)
			berth_debug("cannot set %s: %s", d->name, spank_strerror(rc));
	}
}

/* srun --entrypoint: argv[0] becomes the in-container entrypoint program
 * (node/entrypoint_exec.c), which runs the image's Entrypoint (+ Cmd)
 * around the command.  SPANK can change argv's elements but not add any:
 * the rest travels in the environment.  Slurm execs argv after this hook;
 * an absolute argv[0] is not looked up in PATH. */
static int apply_entrypoint(spank_t sp, const struct berth_image_meta *meta, struct berth_error *err)
{
	enum berth_entrypoint_mode mode = berth_spank.entrypoint;
	const char *list[2 * BERTH_IMAGE_META_ARGS_MAX];
	size_t n = 0;
	char **argv = NULL, *encoded;
	int argc = 0;
	spank_err_t rc;

	if (mode == BERTH_ENTRYPOINT_NONE)
		return 0;
	for (size_t i = 0; i < meta->entrypoint_count; i++)
		list[n++] = meta->entrypoint[i];
	if (mode == BERTH_ENTRYPOINT_IMAGE)
		for (size_t i = 0; i < meta->cmd_count; i++)
			list[n++] = meta->cmd[i];
	if (n == 0 && mode == BERTH_ENTRYPOINT_ARGS)
		return 0;   /* no Entrypoint: the command runs as it is, as in Docker */
	if (n == 0)
		return berth_error_set(err, EINVAL, "--entrypoint=image: the image has neither Entrypoint nor Cmd");
	if (spank_get_item(sp, S_JOB_ARGV, &argc, &argv) != ESPANK_SUCCESS || argc < 1 || !argv || !argv[0])
		return berth_error_set(err, EINVAL, "--entrypoint: cannot read the step's command");
	if (!(encoded = berth_argv_encode(list, n)))
		return berth_error_errno(err, ENOMEM, "--entrypoint");
	rc = spank_setenv(sp, BERTH_ENV_ENTRYPOINT_ARGS, encoded, 1);
	free(encoded);
	if (rc == ESPANK_SUCCESS)
		rc = mode == BERTH_ENTRYPOINT_ARGS ? spank_setenv(sp, BERTH_ENV_ENTRYPOINT_ARGV0, argv[0], 1)
						   : spank_unsetenv(sp, BERTH_ENV_ENTRYPOINT_ARGV0);
	if (rc != ESPANK_SUCCESS)
		return berth_error_set(err, EINVAL, "--entrypoint: cannot set the task environment: %s",
				       spank_strerror(rc));
	argv[0] = (char *)BERTH_ENTRYPOINT_CTR_PATH;
	return 0;
}

int berth_spank_enter_container(spank_t sp, const struct berth_job_spec *spec,
				const struct berth_job_paths *paths)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_image_meta meta;
	const char *pwd = NULL;
	char cwd[4096];
	enum berth_task_cwd used;
	int rc = -1;

	memset(&meta, 0, sizeof(meta));
	if (load_image_meta(spec, &meta, &err) < 0 || apply_environment(sp, &meta, spec->modules, &pwd, &err) < 0 ||
	    apply_entrypoint(sp, &meta, &err) < 0 ||
	    berth_spank_device_env(sp, &err) < 0)
		goto out;
	launcher_defaults(sp, paths);
	/* the step's cwd as slurmstepd saw it in user_init; else PWD.  A copy:
	 * the environment entry may move when Slurm changes job->env */
	snprintf(cwd, sizeof(cwd), "%s", berth_spank.step_cwd[0] ? berth_spank.step_cwd : pwd ? pwd : "");
	if (berth_task_enter(paths->root, cwd, meta.workdir, &used, &err) < 0 ||
	    berth_task_lock_down(&err) < 0)
		goto out;
	berth_debug("task entered %s (cwd: %s)", spec->image, berth_task_cwd_name(used));
	if (!getcwd(berth_spank.task_cwd, sizeof(berth_spank.task_cwd)))
		snprintf(berth_spank.task_cwd, sizeof(berth_spank.task_cwd), "/");
	snprintf(berth_spank.task_workdir, sizeof(berth_spank.task_workdir), "%s",
		 meta.workdir ? meta.workdir : "");
	rc = 0;
out:
	if (rc < 0)
		berth_err("cannot enter the container: %s", err.msg);
	berth_image_meta_free(&meta);
	return rc;
}

int berth_spank_task_init(spank_t sp)
{
	const char *candidates[] = { berth_spank.task_cwd, berth_spank.task_workdir, "/" };
	char now[PATH_MAX];

	berth_spank_device_renumber(sp);
	if (!berth_spank.task_cwd[0])
		return 0;
	/* as the user now: a directory root could enter may be closed to them */
	for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
		if (candidates[i][0] != '/' || chdir(candidates[i]) < 0)
			continue;
		if (getcwd(now, sizeof(now)) && spank_setenv(sp, "PWD", now, 1) != ESPANK_SUCCESS)
			berth_debug("cannot set PWD to %s", now);
		return 0;
	}
	berth_err("cannot enter any working directory in the container (%s, %s, /)", berth_spank.task_cwd,
		  berth_spank.task_workdir[0] ? berth_spank.task_workdir : "no WorkingDir");
	return -1;
}
