/*
 * job_tree.c - gather, in slurmstepd, everything the container tree of one
 * job needs (the user's identity lines, the user's volumes opened AS the
 * user, site mounts) and build it inside the job's namespace.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "berth_log.h"
#include "container_tree.h"
#include "entrypoint_exec.h"
#include "entrypoint_file.h"
#include "job_tree.h"
#include "modules.h"
#include "safe_path.h"

#define GROUPS_MAX 256
#define ACCOUNT_LINE_MAX 2048

static const char *const site_etc_files[] = { "/etc/hosts", "/etc/resolv.conf", "/etc/nsswitch.conf" };

static int user_identity(struct berth_job_tree_input *in, uid_t uid, gid_t gid, struct berth_error *err)
{
	struct passwd pw, *pwp = NULL;
	char buf[16384];
	int n = GROUPS_MAX;

	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &pwp) != 0 || !pwp)
		return berth_error_set(err, ENOENT, "user %u has no passwd entry on this node", (unsigned)uid);
	snprintf(in->passwd, sizeof(in->passwd), "%s:x:%u:%u:%s:%s:%s", pw.pw_name, (unsigned)uid,
		 (unsigned)gid, pw.pw_gecos ? pw.pw_gecos : "", pw.pw_dir, pw.pw_shell);
	if (getgrouplist(pw.pw_name, gid, in->groups, &n) < 0)
		n = 1, in->groups[0] = gid;
	in->ngroups = (size_t)n;
	for (size_t i = 0; i < in->ngroups; i++) {
		struct group gr, *grp = NULL;
		char gbuf[16384];

		if (getgrgid_r(in->groups[i], &gr, gbuf, sizeof(gbuf), &grp) != 0 || !grp)
			continue;
		if (asprintf(&in->group_lines[in->n_group_lines], "%s:x:%u:%s", gr.gr_name,
			     (unsigned)gr.gr_gid, pw.pw_name) < 0)
			return berth_error_errno(err, ENOMEM, "group entry");
		in->n_group_lines++;
	}
	return 0;
}

/* In the namespace child: the kernel binds only mounts of the caller's own
 * mount namespace, so the sources are opened (as the user) after unshare. */
static int open_volumes(struct berth_job_tree_input *in, struct berth_error *err)
{
	for (size_t i = 0; i < in->volume_list.count; i++) {
		const struct berth_volume *v = &in->volume_list.items[i];
		struct berth_tree_volume *tv = &in->volumes[i];

		tv->src = v->src;
		tv->dst = v->dst;
		tv->flags = v->flags;
		tv->src_fd = -1;
		if (berth_open_as_user(v->src, in->uid, in->gid, in->groups, in->ngroups, 0, &tv->src_fd,
				       err) < 0)
			return -1;
		in->n_volumes++;
	}
	return 0;
}

/* The modules' mounts come after site_fs, as more site mounts (with the
 * site MPI's directory); the site MPI's libraries then go over the
 * image's (container_tree.h). */
static int add_module_mounts(struct berth_job_tree_input *in, const struct berth_config *cfg, const char *names,
			     struct berth_error *err)
{
	struct berth_modules modules;
	int rc = 0;

	if (berth_modules_load(cfg, names, &modules, err) < 0)
		return -1;
	if (modules.mounts && berth_volume_parse(modules.mounts, &in->site_list, err) < 0)
		rc = berth_error_prefix(err, "--module mounts");
	if (rc == 0 && modules.mpi != BERTH_MPI_NONE &&
	    ((size_t)snprintf(in->mpi_libs, sizeof(in->mpi_libs), "%s", modules.mpi_libs) >= sizeof(in->mpi_libs) ||
	     (size_t)snprintf(in->mpi_module, sizeof(in->mpi_module), "%s", modules.mpi_module) >=
		     sizeof(in->mpi_module)))
		rc = berth_error_set(err, ENAMETOOLONG, "--module %s: mpi_libs is too long", modules.mpi_module);
	berth_modules_free(&modules);
	return rc;
}

/* Admin-trusted directories (slurm.conf's), bound read-write: the tasks
 * write there as on the host (PMIx session files); the paths are Slurm's. */
static void add_host_paths(struct berth_job_tree_input *in, const char *const *host_paths)
{
	struct stat st;

	for (; host_paths && *host_paths && in->n_host_paths < BERTH_JOB_HOST_PATHS_MAX; host_paths++) {
		if (**host_paths != '/' || stat(*host_paths, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		in->host_paths[in->n_host_paths++] = (struct berth_tree_host_path){ *host_paths, -1, false };
	}
}

/* srun --entrypoint's program (entrypoint_exec.c), read-only in every
 * image's container: the step's option is not known when the job's tree
 * is built.  A site mount, so a hostile image's own /.berth is handled as
 * for any other site mount. */
static int add_entrypoint(struct berth_job_tree_input *in, const struct berth_config *cfg,
			  struct berth_error *err)
{
	char spec[4400];

	if (berth_entrypoint_file(cfg->state_dir, in->entrypoint, sizeof(in->entrypoint), err) < 0)
		return berth_error_prefix(err, "--entrypoint's program");
	if ((size_t)snprintf(spec, sizeof(spec), "%s:" BERTH_ENTRYPOINT_CTR_PATH ":ro", in->entrypoint) >=
	    sizeof(spec))
		return berth_error_set(err, ENAMETOOLONG, "state_dir is too long");
	return berth_volume_parse(spec, &in->site_list, err);
}

int berth_job_tree_prepare(struct berth_job_tree_input *in, const struct berth_config *cfg,
		    const struct berth_job_spec *spec, const struct berth_job_paths *paths,
		    const char *const *host_paths, struct berth_error *err)
{
	memset(in, 0, sizeof(*in));
	in->volume_list = (struct berth_volume_list)BERTH_VOLUME_LIST_INIT;
	in->site_list = (struct berth_volume_list)BERTH_VOLUME_LIST_INIT;
	if (spec->image && berth_image_files(cfg, spec->digest, in->sqfs, sizeof(in->sqfs), in->json,
					     sizeof(in->json), err) < 0)
		return -1;
	if (user_identity(in, spec->uid, spec->gid, err) < 0)
		return -1;
	if (cfg->site_fs && *cfg->site_fs && berth_volume_parse(cfg->site_fs, &in->site_list, err) < 0)
		return berth_error_prefix(err, "berth.conf site_fs");
	if (spec->modules && add_module_mounts(in, cfg, spec->modules, err) < 0)
		return -1;
	if (spec->image && add_entrypoint(in, cfg, err) < 0)
		return -1;
	if (spec->volumes && berth_volume_parse(spec->volumes, &in->volume_list, err) < 0)
		return berth_error_prefix(err, "--volume");
	in->uid = spec->uid;
	in->gid = spec->gid;
	for (size_t i = 0; i < sizeof(site_etc_files) / sizeof(site_etc_files[0]); i++)
		if (access(site_etc_files[i], R_OK) == 0)
			in->etc_files[in->n_etc_files++] = site_etc_files[i];
	if (!spec->ccm)   /* --ccm: the node's own / has them already */
		add_host_paths(in, host_paths);

	in->tree = (struct berth_tree_spec){
		.root = paths->root,
		.image_sqfs = spec->image ? in->sqfs : NULL,
		.host_root = spec->ccm,
		.writable_overlay = cfg->writable_overlay,
		.tmp_dir = paths->tmp,
		.site_mounts = in->site_list.items,
		.n_site_mounts = in->site_list.count,
		.host_paths = in->host_paths,
		.n_host_paths = in->n_host_paths,
		.etc_files = in->etc_files,
		.n_etc_files = in->n_etc_files,
		.passwd_entry = in->passwd,
		.group_entries = (const char *const *)in->group_lines,
		.n_group_entries = in->n_group_lines,
		.volumes = in->volumes,
		.forbidden = cfg->forbidden_destinations,
		.mpi_libs = in->mpi_libs[0] && !spec->ccm ? in->mpi_libs : NULL,
		.mpi_module = in->mpi_module,
	};
	return 0;
}

int berth_job_tree_add_cdi(struct berth_job_tree_input *in, const struct berth_cdi_step *cdi, const char *id,
			   unsigned hook_timeout_s, struct berth_error *err)
{
	const struct berth_volume_list *m = &cdi->mounts;
	struct berth_volume *grown;

	if (m->count) {
		if (!(grown = realloc(in->site_list.items, (in->site_list.count + m->count) * sizeof(*grown))))
			return berth_error_errno(err, ENOMEM, "CDI mounts");
		in->site_list.items = grown;
		for (size_t i = 0; i < m->count; i++) {
			struct berth_volume *v = &in->site_list.items[in->site_list.count];

			v->flags = m->items[i].flags;
			v->src = strdup(m->items[i].src);
			v->dst = strdup(m->items[i].dst);
			in->site_list.count++;
			in->site_list.capacity = in->site_list.count;
			if (!v->src || !v->dst)
				return berth_error_errno(err, ENOMEM, "CDI mounts");
		}
		in->tree.site_mounts = in->site_list.items;
		in->tree.n_site_mounts = in->site_list.count;
	}
	in->tree.devices = cdi->devices;
	in->tree.n_devices = cdi->n_devices;
	in->cdi = cdi;
	in->cdi_hook_timeout_s = hook_timeout_s;
	snprintf(in->cdi_id, sizeof(in->cdi_id), "%s", id);
	return 0;
}

int berth_job_tree_build(void *arg, struct berth_error *err)
{
	struct berth_job_tree_input *in = arg;

	if (open_volumes(in, err) < 0)
		return -1;
	in->tree.n_volumes = in->n_volumes;
	if (berth_tree_build(&in->tree, &in->stats, err) < 0)
		return -1;
	berth_debug("container tree built in %llu us (%u mounts)",
		    (unsigned long long)in->stats.total_us, in->stats.mounts);
	/* the OCI order: createContainer (runtime's view, root), then
	 * startContainer (in the container, as the job's user) */
	if (in->cdi && (berth_cdi_run_hooks(in->cdi, BERTH_CDI_CREATE_CONTAINER, in->tree.root, in->cdi_id,
					    in->cdi_hook_timeout_s, in->uid, in->gid, in->groups, in->ngroups,
					    err) < 0 ||
			berth_cdi_run_hooks(in->cdi, BERTH_CDI_START_CONTAINER, in->tree.root, in->cdi_id,
					    in->cdi_hook_timeout_s, in->uid, in->gid, in->groups, in->ngroups,
					    err) < 0))
		return -1;
	return 0;
}

void berth_job_tree_release(struct berth_job_tree_input *in)
{
	for (size_t i = 0; i < in->n_volumes; i++)
		if (in->volumes[i].src_fd >= 0)
			close(in->volumes[i].src_fd);
	for (size_t i = 0; i < in->n_group_lines; i++)
		free(in->group_lines[i]);
	berth_volume_list_free(&in->volume_list);
	berth_volume_list_free(&in->site_list);
	free(in->etc_hosts_extra);
	memset(in, 0, sizeof(*in));
}
