/*
 * auth_store.c - registry logins of `berth login`, kept in
 * ~/.config/berth/auth.json (mode 0600, written atomically):
 *   {"auths": {"reg.example:5000": {"username": "..", "password": ".."}}}
 * Buffers that held a password are wiped before they are freed.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "helper.h"

#define AUTH_FILE_MAX (1u << 20)

int auth_registry_normalize(const char *text, char *buf, size_t size, struct berth_error *err)
{
	const char *p = text;
	size_t len, i;

	if (!strncmp(p, "https://", 8))
		p += 8;
	else if (!strncmp(p, "http://", 7))
		p += 7;
	len = strcspn(p, "/");
	if (!len || len >= size || len > 255)
		return berth_error_set(err, EINVAL, "bad registry name (expected HOST[:PORT])");
	for (i = 0; i < len; i++) {
		char c = (char)tolower((unsigned char)p[i]);

		if (!isalnum((unsigned char)c) && !strchr(".-:[]", c))
			return berth_error_set(err, EINVAL, "bad registry name (expected HOST[:PORT])");
		buf[i] = c;
	}
	buf[len] = '\0';
	if (!strcmp(buf, "index.docker.io") || !strcmp(buf, "registry-1.docker.io"))
		snprintf(buf, size, "docker.io");
	return 0;
}

int auth_file_path(char *buf, size_t size, struct berth_error *err)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	struct passwd *pw;
	int n;

	if (xdg && xdg[0] == '/') {
		n = snprintf(buf, size, "%s/berth/auth.json", xdg);
	} else {
		if (!home || home[0] != '/') {
			pw = getpwuid(getuid());
			home = pw ? pw->pw_dir : NULL;
		}
		if (!home || home[0] != '/')
			return berth_error_set(err, ENOENT, "no home directory to keep logins in");
		n = snprintf(buf, size, "%s/.config/berth/auth.json", home);
	}
	if (n < 0 || (size_t)n >= size)
		return berth_error_set(err, ENAMETOOLONG, "login file path is too long");
	return 0;
}

/* Wipe every string in the tree (json-c keeps them in its own buffers). */
static void wipe_json(struct json_object *obj)
{
	size_t i;

	switch (json_object_get_type(obj)) {
	case json_type_string:
		explicit_bzero((char *)json_object_get_string(obj),
			       (size_t)json_object_get_string_len(obj));
		break;
	case json_type_object: {
		json_object_object_foreach(obj, key, val) {
			(void)key;
			wipe_json(val);
		}
		break;
	}
	case json_type_array:
		for (i = 0; i < json_object_array_length(obj); i++)
			wipe_json(json_object_array_get_idx(obj, i));
		break;
	default:
		break;
	}
}

static void put_wiped(struct json_object *obj)
{
	if (obj) {
		wipe_json(obj);
		json_object_put(obj);
	}
}

static int read_all(int fd, const char *path, char **text, size_t *len, struct berth_error *err)
{
	struct stat st;
	ssize_t n;

	if (fstat(fd, &st) < 0)
		return berth_error_errno(err, errno, "%s", path);
	if (!S_ISREG(st.st_mode))
		return berth_error_set(err, EINVAL, "%s: not a regular file", path);
	if (st.st_uid != getuid())
		return berth_error_set(err, EPERM, "%s: not owned by you", path);
	if (st.st_mode & 077)
		return berth_error_set(err, EPERM,
				       "%s: readable by others; `chmod 600` it (and change the passwords)",
				       path);
	if ((size_t)st.st_size > AUTH_FILE_MAX)
		return berth_error_set(err, EFBIG, "%s: larger than %u bytes", path, AUTH_FILE_MAX);
	*text = calloc(1, (size_t)st.st_size + 1);
	if (!*text)
		return berth_error_set(err, ENOMEM, "out of memory");
	*len = 0;
	while (*len < (size_t)st.st_size) {
		n = read(fd, *text + *len, (size_t)st.st_size - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		*len += (size_t)n;
	}
	return 0;
}

/* The file as {"auths":{...}}; a missing file is an empty one. */
static struct json_object *load(const char *path, struct berth_error *err)
{
	struct json_object *obj = NULL, *auths;
	char *text = NULL;
	size_t len = 0;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);

	if (fd < 0 && errno == ENOENT) {
		obj = json_object_new_object();
		if (!obj || json_object_object_add(obj, "auths", json_object_new_object()))
			return put_wiped(obj), berth_error_set(err, ENOMEM, "out of memory"), NULL;
		return obj;
	}
	if (fd < 0)
		return berth_error_errno(err, errno, "%s", path), NULL;
	if (read_all(fd, path, &text, &len, err) == 0) {
		obj = json_tokener_parse(text);
		if (!obj || !json_object_object_get_ex(obj, "auths", &auths) ||
		    !json_object_is_type(auths, json_type_object)) {
			put_wiped(obj);
			obj = NULL;
			berth_error_set(err, EINVAL, "%s: not a berth login file", path);
		}
	}
	if (text) {
		explicit_bzero(text, len);
		free(text);
	}
	close(fd);
	return obj;
}

static int copy_field(struct json_object *entry, const char *key, char *buf, size_t size)
{
	struct json_object *val;
	size_t len;

	if (!json_object_object_get_ex(entry, key, &val) || !json_object_is_type(val, json_type_string))
		return -1;
	len = (size_t)json_object_get_string_len(val);
	if (len >= size)
		return -1;
	memcpy(buf, json_object_get_string(val), len + 1);
	return 0;
}

int auth_find(const char *path, const char *registry, struct auth_entry *out,
	      struct berth_error *err)
{
	struct json_object *obj = load(path, err), *auths, *entry;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (!obj)
		return -1;
	json_object_object_get_ex(obj, "auths", &auths);
	if (json_object_object_get_ex(auths, registry, &entry)) {
		snprintf(out->registry, sizeof(out->registry), "%s", registry);
		if (copy_field(entry, "username", out->username, sizeof(out->username)) < 0 ||
		    copy_field(entry, "password", out->password, sizeof(out->password)) < 0 ||
		    !out->username[0]) {
			auth_entry_wipe(out);
			rc = berth_error_set(err, EINVAL, "%s: bad entry for %s (log in again)",
					     path, registry);
		} else {
			rc = 1;
		}
	}
	put_wiped(obj);
	return rc;
}

void auth_entry_wipe(struct auth_entry *entry)
{
	explicit_bzero(entry, sizeof(*entry));
}

/* mkdir -p of path's directory, new parts 0700. */
static int make_parent_dirs(const char *path, struct berth_error *err)
{
	char dir[PATH_MAX];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	for (slash = strchr(dir + 1, '/');; slash = strchr(slash + 1, '/')) {
		if (slash)
			*slash = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			return berth_error_errno(err, errno, "%s", dir);
		if (!slash)
			return 0;
		*slash = '/';
	}
}

/* text to path through a 0600 temporary file beside it and rename(2). */
static int write_atomically(const char *path, const char *text, size_t len,
			    struct berth_error *err)
{
	char tmp[PATH_MAX];
	size_t done = 0;
	ssize_t n;
	int fd;

	if (make_parent_dirs(path, err) < 0)
		return -1;
	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
		return berth_error_set(err, ENAMETOOLONG, "login file path is too long");
	fd = mkstemp(tmp);  /* mode 0600 */
	if (fd < 0)
		return berth_error_errno(err, errno, "%s", tmp);
	while (done < len) {
		n = write(fd, text + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	if (done < len || fchmod(fd, 0600) < 0 || fsync(fd) < 0) {
		berth_error_errno(err, errno ? errno : EIO, "writing %s", tmp);
		close(fd);
		unlink(tmp);
		return -1;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		berth_error_errno(err, errno, "writing %s", path);
		unlink(tmp);
		return -1;
	}
	return 0;
}

static struct json_object *new_entry(const char *username, const char *password)
{
	struct json_object *entry = json_object_new_object();

	if (entry && !json_object_object_add(entry, "username", json_object_new_string(username)) &&
	    !json_object_object_add(entry, "password", json_object_new_string(password)))
		return entry;
	put_wiped(entry);
	return NULL;
}

int auth_update(const char *path, const char *registry, const char *username,
		const char *password, bool *existed, struct berth_error *err)
{
	struct json_object *obj = load(path, err), *auths, *entry;
	const char *text;
	size_t len;
	int rc;

	if (!obj)
		return -1;
	json_object_object_get_ex(obj, "auths", &auths);
	*existed = json_object_object_get_ex(auths, registry, &entry);
	if (!*existed && !password) {
		put_wiped(obj);
		return 0;
	}
	if (*existed)
		wipe_json(entry);  /* freed below without wiping otherwise */
	if (!password) {
		json_object_object_del(auths, registry);
	} else {
		entry = new_entry(username, password);
		if (!entry || json_object_object_add(auths, registry, entry)) {
			put_wiped(obj);
			return berth_error_set(err, ENOMEM, "out of memory");
		}
	}
	text = json_object_to_json_string_length(obj, JSON_C_TO_STRING_PRETTY |
						 JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	rc = text ? write_atomically(path, text, len, err)
		  : berth_error_set(err, ENOMEM, "out of memory");
	if (text)
		explicit_bzero((char *)text, len);
	put_wiped(obj);
	return rc;
}
