/*
 * cdi.c - see cdi.h: the spec directories, device resolution, and the
 * checks of what berth can apply.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "berth_log.h"
#include "cdi.h"
#include "safe_path.h"

#define SPEC_DIRS_MAX  8
#define SPEC_FILES_MAX 256    /* per directory */

struct spec_set {
	struct berth_cdi_spec *specs;
	unsigned *dir;             /* directory index of each spec */
	size_t count;
	struct berth_error broken; /* the first file that did not load */
};

static bool spec_file_name(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && ((n > 5 && !strcmp(name + n - 5, ".json")) ||
				  (n > 5 && !strcmp(name + n - 5, ".yaml")));
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The spec file names of dir, sorted (a missing directory has none). */
static int list_dir(const char *dir, char ***names, size_t *count, struct berth_error *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	*names = NULL;
	*count = 0;
	if (!d)
		return errno == ENOENT || errno == ENOTDIR ? 0 : berth_error_errno(err, errno, "CDI spec directory \"%s\"", dir);
	while ((e = readdir(d))) {
		char **grown;

		if (!spec_file_name(e->d_name))
			continue;
		if (*count >= SPEC_FILES_MAX) {
			berth_info("CDI spec directory %s: more than %d spec files, the rest left out", dir,
				   SPEC_FILES_MAX);
			break;
		}
		if (!(grown = realloc(*names, (*count + 1) * sizeof(char *))) ||
		    asprintf(&grown[*count], "%s/%s", dir, e->d_name) < 0) {
			*names = grown ? grown : *names;
			closedir(d);
			return berth_error_errno(err, ENOMEM, "CDI spec directory");
		}
		*names = grown;
		(*count)++;
	}
	closedir(d);
	qsort(*names, *count, sizeof(char *), name_cmp);
	return 0;
}

static void set_free(struct spec_set *set)
{
	for (size_t i = 0; i < set->count; i++)
		berth_cdi_spec_free(&set->specs[i]);
	free(set->specs);
	free(set->dir);
	memset(set, 0, sizeof(*set));
}

static int load_dir(struct spec_set *set, const char *dir, unsigned index, unsigned owner,
		    struct berth_error *err)
{
	char **names;
	size_t n = 0;
	int rc = 0;

	if (list_dir(dir, &names, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct berth_error file_err = BERTH_ERROR_INIT;
		struct berth_cdi_spec spec;
		void *grown;

		if (rc == 0 && berth_cdi_spec_load(names[i], owner, &spec, &file_err) < 0) {
			berth_info("%s", file_err.msg);
			if (!set->broken.msg[0])
				set->broken = file_err;
		} else if (rc == 0) {
			if ((grown = realloc(set->specs, (set->count + 1) * sizeof(*set->specs))))
				set->specs = grown;
			if (grown && (grown = realloc(set->dir, (set->count + 1) * sizeof(*set->dir))))
				set->dir = grown;
			if (!grown) {
				berth_cdi_spec_free(&spec);
				rc = berth_error_errno(err, ENOMEM, "CDI specs");
			} else {
				set->specs[set->count] = spec;
				set->dir[set->count++] = index;
			}
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

static int load_all(struct spec_set *set, const char *dirs, unsigned owner, struct berth_error *err)
{
	char dir[4096];
	unsigned index = 0;

	memset(set, 0, sizeof(*set));
	for (const char *p = dirs ? dirs : ""; *p;) {
		size_t len = strcspn(p, ":");

		if (len && len < sizeof(dir) && index < SPEC_DIRS_MAX) {
			snprintf(dir, sizeof(dir), "%.*s", (int)len, p);
			if (load_dir(set, dir, index++, owner, err) < 0) {
				set_free(set);
				return -1;
			}
		}
		p += len + (p[len] == ':');
	}
	return 0;
}

/* ---------------------------------------------------------------- lookup */

struct found {
	const struct berth_cdi_spec *spec;
	const struct berth_cdi_device *dev;
};

/* The winning definition of kind=name: the latest directory's; two in the
 * same directory conflict.  0 found, 1 not found, -1 conflict. */
static int lookup(const struct spec_set *set, const char *kind, const char *name, struct found *out,
		  struct berth_error *err)
{
	int best_dir = -1;

	out->spec = NULL;
	for (size_t i = 0; i < set->count; i++) {
		const struct berth_cdi_spec *s = &set->specs[i];

		if (strcmp(s->kind, kind) != 0)
			continue;
		for (size_t j = 0; j < s->n_devices; j++) {
			if (strcmp(s->devices[j].name, name) != 0)
				continue;
			if ((int)set->dir[i] == best_dir)
				return berth_error_set(err, EEXIST, "CDI device \"%s=%s\" is defined in both %s "
						       "and %s", kind, name, out->spec->file, s->file);
			if ((int)set->dir[i] > best_dir) {
				best_dir = (int)set->dir[i];
				out->spec = s;
				out->dev = &s->devices[j];
			}
		}
	}
	return out->spec ? 0 : 1;
}

/* kind=all without a device named "all": every device name of the kind. */
static int expand_all(const struct spec_set *set, const char *kind, struct berth_cdi_names *names,
		      struct berth_error *err)
{
	for (size_t i = 0; i < set->count; i++) {
		if (strcmp(set->specs[i].kind, kind) != 0)
			continue;
		for (size_t j = 0; j < set->specs[i].n_devices; j++)
			if (berth_cdi_names_add_one(names, kind, set->specs[i].devices[j].name, err) < 0)
				return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- edits */

static int strings_add(struct berth_cdi_strings *s, const char *text, struct berth_error *err)
{
	char **grown = realloc(s->items, (s->count + 2) * sizeof(char *));

	if (!grown)
		return berth_error_errno(err, ENOMEM, "CDI edits");
	s->items = grown;
	if (!(s->items[s->count] = strdup(text)))
		return berth_error_errno(err, ENOMEM, "CDI edits");
	s->items[++s->count] = NULL;
	return 0;
}

static int add_node(struct berth_cdi_step *out, const struct berth_cdi_device_node *n, struct berth_error *err)
{
	const char *host = n->host_path ? n->host_path : n->path;
	struct berth_tree_device d = { 0 };
	char norm[4096];
	struct stat st;
	bool have_host = stat(host, &st) == 0;
	void *grown;

	if (berth_path_normalize(n->path, norm, sizeof(norm), err) < 0 || !berth_path_is_under(norm, "/dev") ||
	    !strcmp(norm, "/dev"))
		return berth_error_set(err, EINVAL, "device node \"%s\" is not under /dev", n->path);
	if (n->type == 'p')
		d.type = S_IFIFO;
	else if (n->type == 'b')
		d.type = S_IFBLK;
	else if (n->type)
		d.type = S_IFCHR;
	else if (have_host && (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)))
		d.type = st.st_mode & S_IFMT;
	else
		return berth_error_set(err, ENODEV, "device node \"%s\": no type, and host \"%s\" is no device", n->path,
				       host);
	if (d.type != S_IFIFO && (!n->has_major || !n->has_minor)) {
		if (!have_host || (st.st_mode & S_IFMT) != d.type)
			return berth_error_set(err, ENODEV, "device node \"%s\": no major/minor, and host \"%s\" "
					       "is no device of that type", n->path, host);
	}
	d.major = n->has_major ? (unsigned)n->major : have_host ? major(st.st_rdev) : 0;
	d.minor = n->has_minor ? (unsigned)n->minor : have_host ? minor(st.st_rdev) : 0;
	d.mode = n->has_mode ? (mode_t)n->mode : have_host ? (st.st_mode & 07777) : 0666;
	d.uid = n->has_uid ? n->uid : 0;
	d.gid = n->has_gid ? n->gid : 0;
	if (!(d.path = strdup(norm)))
		return berth_error_errno(err, ENOMEM, "CDI edits");
	for (size_t i = 0; i < out->n_devices; i++)
		if (!strcmp(out->devices[i].path, d.path)) {   /* the same node from two devices */
			free(d.path);
			return 0;
		}
	if (!(grown = realloc(out->devices, (out->n_devices + 1) * sizeof(*out->devices)))) {
		free(d.path);
		return berth_error_errno(err, ENOMEM, "CDI edits");
	}
	out->devices = grown;
	out->devices[out->n_devices++] = d;
	return 0;
}

static int mount_flags(const struct berth_cdi_mount *m, unsigned long *flags, struct berth_error *err)
{
	static const char *const ignored[] = { "bind", "nosuid", "nodev", "rw", "private", "rprivate",
					       "slave", "rslave", NULL };
	bool bind = m->type && (!strcmp(m->type, "bind") || !strcmp(m->type, "none"));

	*flags = 0;
	for (size_t i = 0; i < m->options.count; i++) {
		const char *o = m->options.items[i];
		size_t k = 0;

		while (ignored[k] && strcmp(ignored[k], o) != 0)
			k++;
		if (!strcmp(o, "ro"))
			*flags |= BERTH_VOLUME_RO;
		else if (!strcmp(o, "rbind"))
			*flags |= BERTH_VOLUME_REC;
		else if (!ignored[k])
			return berth_error_set(err, ENOTSUP, "mount \"%s\": option \"%.32s\" is not supported "
					       "by berth", m->container_path, o);
		bind |= !strcmp(o, "bind") || !strcmp(o, "rbind");
	}
	if (!m->type && !bind)
		bind = true;   /* before CDI 0.4.0 every mount was a bind */
	if (!bind)
		return berth_error_set(err, ENOTSUP, "mount \"%s\": type \"%.32s\" is not supported by berth "
				       "(bind mounts only)", m->container_path, m->type);
	return 0;
}

static int add_mount(struct berth_cdi_step *out, const struct berth_cdi_mount *m, struct berth_error *err)
{
	struct berth_volume v = { NULL, NULL, 0 };
	char norm[4096];
	void *grown;

	if (mount_flags(m, &v.flags, err) < 0)
		return -1;
	if (m->host_path[0] != '/')
		return berth_error_set(err, EINVAL, "mount \"%s\": hostPath is not absolute", m->container_path);
	if (berth_path_normalize(m->container_path, norm, sizeof(norm), err) < 0)
		return berth_error_prefix(err, "mount");
	if (!strcmp(norm, "/"))
		return berth_error_set(err, EINVAL, "mount on the container's root");
	if (out->mounts.count >= BERTH_VOLUMES_MAX * 4)
		return berth_error_set(err, E2BIG, "too many CDI mounts");
	if (!(v.src = strdup(m->host_path)) || !(v.dst = strdup(norm)) ||
	    !(grown = realloc(out->mounts.items, (out->mounts.count + 1) * sizeof(v)))) {
		free(v.src);
		free(v.dst);
		return berth_error_errno(err, ENOMEM, "CDI edits");
	}
	out->mounts.items = grown;
	out->mounts.items[out->mounts.count++] = v;
	out->mounts.capacity = out->mounts.count;
	return 0;
}

static char **copy_vector(const struct berth_cdi_strings *s, const char *first)
{
	size_t n = s->count + (first ? 1 : 0);
	char **v = calloc(n + 1, sizeof(char *));

	if (!v)
		return NULL;
	for (size_t i = 0, k = 0; i < n; i++) {
		const char *src = (first && i == 0) ? first : s->items[k++];

		if (!(v[i] = strdup(src))) {
			for (size_t j = 0; j < i; j++)
				free(v[j]);
			free(v);
			return NULL;
		}
	}
	return v;
}

static int add_hook(struct berth_cdi_step *out, const struct berth_cdi_hook *h, struct berth_error *err)
{
	struct berth_cdi_run_hook r = { 0 };
	void *grown;

	if (!strcmp(h->name, "createContainer"))
		r.stage = BERTH_CDI_CREATE_CONTAINER;
	else if (!strcmp(h->name, "startContainer"))
		r.stage = BERTH_CDI_START_CONTAINER;
	else
		return berth_error_set(err, ENOTSUP, "hook \"%.40s\" (%s): only createContainer and "
				       "startContainer hooks are supported by berth", h->name, h->path);
	r.timeout_s = h->has_timeout ? (unsigned)h->timeout : 0;
	/* argv[0] is what the program sees; the path is exec'd */
	r.argv = copy_vector(&h->args, h->args.count ? NULL : h->path);
	r.envp = copy_vector(&h->env, NULL);
	if (!r.argv || !r.envp || !(grown = realloc(out->hooks, (out->n_hooks + 1) * sizeof(r)))) {
		for (size_t i = 0; r.argv && r.argv[i]; i++)
			free(r.argv[i]);
		for (size_t i = 0; r.envp && r.envp[i]; i++)
			free(r.envp[i]);
		free(r.argv);
		free(r.envp);
		return berth_error_errno(err, ENOMEM, "CDI edits");
	}
	out->hooks = grown;
	/* berth_run execs argv[0]: the hook's path, then args[1..] */
	out->hooks[out->n_hooks++] = r;
	if (h->args.count) {
		free(r.argv[0]);
		if (!(out->hooks[out->n_hooks - 1].argv[0] = strdup(h->path)))
			return berth_error_errno(err, ENOMEM, "CDI edits");
	}
	return 0;
}

static int add_edits(struct berth_cdi_step *out, const struct berth_cdi_edits *e, struct berth_error *err)
{
	if (e->intel_rdt)
		return berth_error_set(err, ENOTSUP, "intelRdt is not supported by berth");
	if (e->n_net_devices)
		return berth_error_set(err, ENOTSUP, "netDevices are not supported by berth");
	for (size_t i = 0; i < e->env.count; i++)
		if (strings_add(&out->env, e->env.items[i], err) < 0)
			return -1;
	for (size_t i = 0; i < e->n_nodes; i++)
		if (add_node(out, &e->nodes[i], err) < 0)
			return -1;
	for (size_t i = 0; i < e->n_mounts; i++)
		if (add_mount(out, &e->mounts[i], err) < 0)
			return -1;
	for (size_t i = 0; i < e->n_hooks; i++)
		if (add_hook(out, &e->hooks[i], err) < 0)
			return -1;
	for (size_t i = 0; i < e->n_gids; i++) {
		bool known = e->gids[i] == 0;
		uint32_t *grown;

		for (size_t j = 0; j < out->n_gids && !known; j++)
			known = out->gids[j] == e->gids[i];
		if (known)
			continue;
		if (!(grown = realloc(out->gids, (out->n_gids + 1) * sizeof(*grown))))
			return berth_error_errno(err, ENOMEM, "CDI edits");
		out->gids = grown;
		out->gids[out->n_gids++] = e->gids[i];
	}
	return 0;
}

/* ---------------------------------------------------------------- resolve */

static int resolve_one(const struct spec_set *set, const char *qualified, struct berth_cdi_step *out,
		       const struct berth_cdi_spec **used, size_t *n_used, struct berth_error *err)
{
	char kind[BERTH_CDI_NAME_MAX + 1], name[BERTH_CDI_NAME_MAX + 1];
	struct found f;
	bool seen = false;
	int rc;

	if (berth_cdi_qualified_split(qualified, kind, name, err) < 0)
		return -1;
	if ((rc = lookup(set, kind, name, &f, err)) < 0)
		return -1;
	if (rc > 0 && set->broken.msg[0])
		return berth_error_set(err, ENOENT, "CDI device \"%s\" not found (%s)", qualified, set->broken.msg);
	if (rc > 0)
		return berth_error_set(err, ENOENT, "CDI device \"%s\" not found in any spec", qualified);
	for (size_t i = 0; i < *n_used && !seen; i++)
		seen = used[i] == f.spec;
	if (!seen) {
		used[(*n_used)++] = f.spec;
		if (add_edits(out, &f.spec->edits, err) < 0)
			return berth_error_prefix(err, "CDI spec \"%s\" (kind %s)", f.spec->file, kind);
	}
	if (add_edits(out, &f.dev->edits, err) < 0)
		return berth_error_prefix(err, "CDI device \"%s\" (%s)", qualified, f.spec->file);
	return 0;
}

/* names with every kind=all that is no device of its own expanded. */
static int expand_names(const struct spec_set *set, const struct berth_cdi_names *names,
			struct berth_cdi_names *out, struct berth_error *err)
{
	char kind[BERTH_CDI_NAME_MAX + 1], name[BERTH_CDI_NAME_MAX + 1];
	struct berth_error ignored = BERTH_ERROR_INIT;
	struct found f;

	for (size_t i = 0; i < names->count; i++) {
		if (berth_cdi_qualified_split(names->items[i], kind, name, err) < 0)
			return -1;
		if (!strcmp(name, "all") && lookup(set, kind, name, &f, &ignored) == 1) {
			size_t before = out->count;

			if (expand_all(set, kind, out, err) < 0)
				return -1;
			if (out->count == before)
				return berth_error_set(err, ENOENT, "CDI device \"%s\": no device of that kind%s%s",
						       names->items[i], set->broken.msg[0] ? "; " : "",
						       set->broken.msg);
			continue;
		}
		if (berth_cdi_names_add_one(out, kind, name, err) < 0)
			return -1;
	}
	return 0;
}

int berth_cdi_resolve(const char *dirs, unsigned owner, const struct berth_cdi_names *names,
		      struct berth_cdi_step *out, struct berth_error *err)
{
	const struct berth_cdi_spec **used = NULL;
	struct spec_set set;
	size_t n_used = 0;
	int rc = 0;

	if (!names->count)
		return 0;
	if (load_all(&set, dirs, owner, err) < 0)
		return -1;
	rc = expand_names(&set, names, &out->names, err);
	if (rc == 0 && !(used = calloc(set.count + 1, sizeof(*used))))
		rc = berth_error_errno(err, ENOMEM, "CDI");
	for (size_t i = 0; rc == 0 && i < out->names.count; i++)
		rc = resolve_one(&set, out->names.items[i], out, used, &n_used, err);
	free(used);
	set_free(&set);
	if (rc < 0)
		berth_cdi_step_free(out);
	return rc;
}

void berth_cdi_step_free(struct berth_cdi_step *step)
{
	berth_cdi_names_free(&step->names);
	for (size_t i = 0; i < step->env.count; i++)
		free(step->env.items[i]);
	free(step->env.items);
	for (size_t i = 0; i < step->n_devices; i++)
		free(step->devices[i].path);
	free(step->devices);
	berth_volume_list_free(&step->mounts);
	for (size_t i = 0; i < step->n_hooks; i++) {
		for (char **p = step->hooks[i].argv; p && *p; p++)
			free(*p);
		for (char **p = step->hooks[i].envp; p && *p; p++)
			free(*p);
		free(step->hooks[i].argv);
		free(step->hooks[i].envp);
	}
	free(step->hooks);
	free(step->gids);
	*step = (struct berth_cdi_step)BERTH_CDI_STEP_INIT;
}
