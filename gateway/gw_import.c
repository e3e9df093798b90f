/*
 * gw_import.c - gw_import(): images uploaded as a `docker save` tarball or
 * an OCI image layout in a tar archive, published under docker:localhost/.
 *
 * gw_import() checks the archive's entry names (a "../" component or an
 * absolute name rejects it: EINVAL) and that it holds index.json or
 * manifest.json, records the ref PENDING and queues the job.  The worker
 * (gw_import_run) extracts the regular files into a private temp directory
 * under <state_dir>/tmp (names checked again; only regular files and
 * directories are created, so nothing can point outside; symbolic and hard
 * links between files of the archive, as docker save uses for duplicate
 * layers, become hard links inside that directory), picks the image,
 * verifies every blob it uses and converts it like a pull.
 *
 * Digests.  OCI layout: the digest of the manifest chosen from index.json
 * (by the org.opencontainers.image.ref.name annotation equal to the tag, or
 * the only manifest; a nested index is resolved for the configured
 * platform), exactly what a registry would give.  docker save: the sha256
 * of a synthesized OCI manifest, this exact byte string (no blanks):
 *   {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
 *    "config":{"mediaType":"application/vnd.oci.image.config.v1+json",
 *    "digest":"<sha256 of the config file>","size":<its bytes>},
 *    "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar",
 *    "digest":"<sha256 of the layer file>","size":<its bytes>},...]}
 * so the same image saved twice gets the same digest.
 *
 * This file: the archive and file helpers; gw_import_image.c: choosing the
 * image, gw_import() and the worker's part.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <json-c/json.h>
#include <openssl/evp.h>

#include "berth_log.h"
#include "fs_util.h"
#include "gw_import_internal.h"

#define IMPORT_ENTRIES_MAX 100000
#define IMPORT_JSON_MAX    (4u << 20)
#define OCI_REF_NAME       "org.opencontainers.image.ref.name"

/* ------------------------------------------------------- archive reading */
static struct archive *open_archive(const char *path, struct berth_error *err)
{
	struct archive *a = archive_read_new();

	if (!a) {
		berth_error_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	archive_read_support_filter_all(a);
	if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK) {
		berth_error_set(err, EINVAL, "archive: %s", archive_error_string(a));
		archive_read_free(a);
		return NULL;
	}
	return a;
}

/* Entry name without leading "./"; NULL (err set) if it escapes. */
static const char *entry_name(struct archive_entry *e, struct berth_error *err)
{
	const char *name = archive_entry_pathname(e);
	char q[BERTH_QUOTE_SIZE];

	if (!name || !*name)
		return berth_error_set(err, EINVAL, "archive: entry without a name"), NULL;
	if (name[0] == '/')
		return berth_error_set(err, EINVAL, "archive entry \"%s\": absolute name",
				       berth_error_quote(q, name, strlen(name))), NULL;
	for (const char *p = name; *p; ) {
		size_t len = strcspn(p, "/");

		if (len == 2 && p[0] == '.' && p[1] == '.')
			return berth_error_set(err, EINVAL, "archive entry \"%s\": path escapes the archive",
					       berth_error_quote(q, name, strlen(name))), NULL;
		p += len;
		while (*p == '/')
			p++;
	}
	while (name[0] == '.' && name[1] == '/')
		name += 2;
	return name;
}

int gw_import_scan(const char *archive_path, struct berth_error *err)
{
	struct archive *a = open_archive(archive_path, err);
	struct archive_entry *e;
	bool index = false, manifest = false;
	size_t n = 0;
	int r, rc = 0;

	if (!a)
		return -1;
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *name = entry_name(e, err);

		if (!name) {
			rc = -1;
			break;
		}
		if (++n > IMPORT_ENTRIES_MAX) {
			rc = berth_error_set(err, EINVAL, "archive: more than %d entries", IMPORT_ENTRIES_MAX);
			break;
		}
		index |= !strcmp(name, "index.json");
		manifest |= !strcmp(name, "manifest.json");
	}
	if (rc == 0 && r != ARCHIVE_EOF)
		rc = berth_error_set(err, EINVAL, "archive: %s", archive_error_string(a));
	if (rc == 0 && !index && !manifest)
		rc = berth_error_set(err, EINVAL, "archive: neither an OCI image layout (index.json) "
				     "nor a docker save tarball (manifest.json)");
	archive_read_free(a);
	return rc;
}

/* mkdir -p of name's parent inside dir (names are checked: no "..") */
static int make_parents(const char *dir, const char *name, struct berth_error *err)
{
	char path[4096];
	size_t base = strlen(dir) + 1;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return berth_error_set(err, EINVAL, "archive: entry name too long");
	for (char *p = path + base; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			return berth_error_errno(err, errno, "import: mkdir %s", path);
		*p = '/';
	}
	return 0;
}

static int extract_file(struct archive *a, const char *dir, const char *name, struct berth_error *err)
{
	char path[4096];
	int fd, r = ARCHIVE_OK;
	const void *buf;
	size_t len;
	int64_t off;

	if (make_parents(dir, name, err) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return berth_error_errno(err, errno, "import: create %s", path);
	while ((r = archive_read_data_block(a, &buf, &len, &off)) == ARCHIVE_OK) {
		if (pwrite(fd, buf, len, off) != (ssize_t)len) {
			close(fd);
			return berth_error_errno(err, errno ? errno : EIO, "import: write %s", path);
		}
	}
	close(fd);
	if (r != ARCHIVE_EOF)
		return berth_error_set(err, EINVAL, "archive: %s", archive_error_string(a));
	return 0;
}

/* A link entry, made after every file is out: docker save links
 * duplicate layers ("<id>/layer.tar" -> "../<id2>/layer.tar"). */
struct link_entry {
	char *name;
	char *target;   /* archive-relative, normalized */
};

/* dir_of(name) + target (symlink) or target (hard link), normalized;
 * false if it leaves the archive or is absolute. */
static bool resolve_link(const char *name, const char *target, bool symlink, char *out, size_t size)
{
	char joined[8192];
	size_t len = 0;
	const char *slash = strrchr(name, '/');

	if (!target || !*target || target[0] == '/')
		return false;
	if (symlink && slash)
		snprintf(joined, sizeof(joined), "%.*s/%s", (int)(slash - name), name, target);
	else
		snprintf(joined, sizeof(joined), "%s", target);
	out[0] = '\0';
	for (char *save = NULL, *part = strtok_r(joined, "/", &save); part; part = strtok_r(NULL, "/", &save)) {
		if (!strcmp(part, "."))
			continue;
		if (!strcmp(part, "..")) {
			char *up;

			if (!len)
				return false;
			up = strrchr(out, '/');
			len = up ? (size_t)(up - out) : 0;
			out[len] = '\0';
			continue;
		}
		if (len + strlen(part) + 2 > size)
			return false;
		len += (size_t)snprintf(out + len, size - len, "%s%s", len ? "/" : "", part);
	}
	return len > 0;
}

static int add_link(struct link_entry **links, size_t *n, const char *name, const char *target)
{
	struct link_entry *grown = realloc(*links, (*n + 1) * sizeof(**links));

	if (!grown)
		return -1;
	*links = grown;
	grown[*n].name = strdup(name);
	grown[*n].target = strdup(target);
	(*n)++;
	return grown[*n - 1].name && grown[*n - 1].target ? 0 : -1;
}

/* Hard-link each link's name to its target's file, if that is a file. */
static int make_links(const char *dir, const struct link_entry *links, size_t n, struct berth_error *err)
{
	for (size_t i = 0; i < n; i++) {
		char from[4200], to[4200];
		struct stat st;

		snprintf(from, sizeof(from), "%s/%s", dir, links[i].target);
		snprintf(to, sizeof(to), "%s/%s", dir, links[i].name);
		if (lstat(from, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (make_parents(dir, links[i].name, err) < 0)
			return -1;
		unlink(to);
		if (link(from, to) < 0)
			return berth_error_errno(err, errno, "import: link %s", to);
	}
	return 0;
}

static int extract_entry(struct archive *a, struct archive_entry *e, const char *dir,
			 struct link_entry **links, size_t *nlinks, struct berth_error *err)
{
	const char *name = entry_name(e, err), *hard = archive_entry_hardlink(e);
	char target[4096];

	if (!name)
		return -1;
	if (!*name)
		return 0;
	if (hard || archive_entry_filetype(e) == AE_IFLNK) {
		if (resolve_link(name, hard ? hard : archive_entry_symlink(e), !hard, target, sizeof(target)) &&
		    add_link(links, nlinks, name, target) < 0)
			return berth_error_set(err, ENOMEM, "out of memory");
		return 0;
	}
	if (archive_entry_filetype(e) == AE_IFREG)
		return extract_file(a, dir, name, err);
	return 0;
}

int gw_imp_extract(const char *archive_path, const char *dir, struct berth_error *err)
{
	struct archive *a = open_archive(archive_path, err);
	struct archive_entry *e;
	struct link_entry *links = NULL;
	size_t nlinks = 0;
	int r = ARCHIVE_OK, rc = 0;

	if (!a)
		return -1;
	while (rc == 0 && (r = archive_read_next_header(a, &e)) == ARCHIVE_OK)
		rc = extract_entry(a, e, dir, &links, &nlinks, err);
	if (rc == 0 && r != ARCHIVE_EOF)
		rc = berth_error_set(err, EINVAL, "archive: %s", archive_error_string(a));
	archive_read_free(a);
	if (rc == 0)
		rc = make_links(dir, links, nlinks, err);
	for (size_t i = 0; i < nlinks; i++) {
		free(links[i].name);
		free(links[i].target);
	}
	free(links);
	return rc;
}

/* ------------------------------------------------------------ the files */
int gw_imp_sha256_file(const char *path, char *digest, uint64_t *size, struct berth_error *err)
{
	unsigned char buf[1 << 16], md[32];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	ssize_t n;

	*size = 0;
	if (fd < 0 || !ctx) {
		berth_error_errno(err, fd < 0 ? errno : ENOMEM, "import: open %s", path);
		goto fail;
	}
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		EVP_DigestUpdate(ctx, buf, (size_t)n);
		*size += (uint64_t)n;
	}
	if (n < 0) {
		berth_error_errno(err, errno, "import: read %s", path);
		goto fail;
	}
	EVP_DigestFinal_ex(ctx, md, NULL);
	berth_digest_format(md, digest);
	close(fd);
	EVP_MD_CTX_free(ctx);
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	EVP_MD_CTX_free(ctx);
	return -1;
}

int gw_imp_read_small(const char *path, char **out, size_t *len, struct berth_error *err)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	ssize_t n;

	if (fd < 0)
		return berth_error_errno(err, errno, "import: %s", strrchr(path, '/') + 1);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (off_t)IMPORT_JSON_MAX) {
		close(fd);
		return berth_error_set(err, EINVAL, "import: %s: not a file of at most %u bytes",
				       strrchr(path, '/') + 1, IMPORT_JSON_MAX);
	}
	*out = malloc((size_t)st.st_size + 1);
	if (!*out) {
		close(fd);
		return berth_error_set(err, ENOMEM, "out of memory");
	}
	n = read(fd, *out, (size_t)st.st_size);
	close(fd);
	if (n != st.st_size) {
		free(*out);
		return berth_error_set(err, EIO, "import: short read of %s", path);
	}
	(*out)[n] = '\0';
	*len = (size_t)n;
	return 0;
}

struct json_object *gw_imp_parse_json(const char *text, size_t len, const char *what,
				      struct berth_error *err)
{
	struct json_tokener *tok = json_tokener_new_ex(32);
	struct json_object *o = tok ? json_tokener_parse_ex(tok, text, (int)len) : NULL;

	if (!o || json_tokener_get_error(tok) != json_tokener_success) {
		berth_error_set(err, EINVAL, "import: %s: not valid JSON", what);
		if (o)
			json_object_put(o);
		o = NULL;
	}
	if (tok)
		json_tokener_free(tok);
	return o;
}

const char *gw_imp_get_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

void gw_import_image_free(struct import_image *img)
{
	free(img->config);
	for (size_t i = 0; i < img->nlayers; i++)
		free(img->layers[i]);
	free(img->layers);
}

