/*
 * test_cdi.c - the CDI reader (node/cdi_spec.c, node/cdi_yaml.c), device
 * resolution (node/cdi.c), hooks (node/cdi_hooks.c) and device names and
 * Slurm's GPUs (common/cdi_name.c).  Spec files in testsuite/unit/cdi/: the
 * specification's example shape with every field, and an NVIDIA-generated
 * spec (nvidia-ctk's layout) in YAML and the same in JSON.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <json-c/json.h>

#include "cdi.h"
#include "cdi_name.h"
#include "cdi_spec.h"
#include "unit.h"

static char tmpdir[] = "/tmp/berth-test-cdi.XXXXXX";

static void fixture(const char *name, char *path, size_t size)
{
	const char *srcdir = getenv("srcdir");

	snprintf(path, size, "%s/testsuite/unit/cdi/%s", srcdir ? srcdir : ".", name);
}

static int load_fixture(const char *name, struct berth_cdi_spec *spec, struct berth_error *err)
{
	char path[4096];
	struct stat st;

	fixture(name, path, sizeof(path));
	ck_assert_int_eq(stat(path, &st), 0);
	return berth_cdi_spec_load(path, st.st_uid, spec, err);
}

static int parse_text(const char *text, bool yaml, struct berth_cdi_spec *spec, struct berth_error *err)
{
	return berth_cdi_spec_parse(text, strlen(text), yaml, "t", spec, err);
}

/* A canonical dump, to compare the YAML and JSON forms of one spec. */
static void dump_edits(FILE *f, const struct berth_cdi_edits *e)
{
	for (size_t i = 0; i < e->env.count; i++)
		fprintf(f, "env %s\n", e->env.items[i]);
	for (size_t i = 0; i < e->n_nodes; i++)
		fprintf(f, "node %s %s %c %d\n", e->nodes[i].path, e->nodes[i].host_path ? e->nodes[i].host_path : "-",
			e->nodes[i].type ? e->nodes[i].type : '-', e->nodes[i].has_major);
	for (size_t i = 0; i < e->n_mounts; i++) {
		fprintf(f, "mount %s %s", e->mounts[i].host_path, e->mounts[i].container_path);
		for (size_t j = 0; j < e->mounts[i].options.count; j++)
			fprintf(f, " %s", e->mounts[i].options.items[j]);
		fputc('\n', f);
	}
	for (size_t i = 0; i < e->n_hooks; i++) {
		fprintf(f, "hook %s %s", e->hooks[i].name, e->hooks[i].path);
		for (size_t j = 0; j < e->hooks[i].args.count; j++)
			fprintf(f, " %s", e->hooks[i].args.items[j]);
		fputc('\n', f);
	}
}

static char *dump(const struct berth_cdi_spec *s)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	fprintf(f, "%s %s\n", s->version, s->kind);
	dump_edits(f, &s->edits);
	for (size_t i = 0; i < s->n_devices; i++) {
		fprintf(f, "device %s\n", s->devices[i].name);
		dump_edits(f, &s->devices[i].edits);
	}
	fclose(f);
	return text;
}

START_TEST(nvidia_yaml_and_json)
{
	struct berth_cdi_spec y, j;
	struct berth_error err = BERTH_ERROR_INIT;
	char *a, *b;

	ck_assert_msg(load_fixture("nvidia.yaml", &y, &err) == 0, "%s", err.msg);
	ck_assert_msg(load_fixture("nvidia.json", &j, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(y.kind, "nvidia.com/gpu");
	ck_assert_str_eq(y.version, "0.5.0");
	ck_assert_uint_eq(y.n_devices, 4);
	ck_assert_str_eq(y.devices[0].name, "0");   /* quoted in YAML: a string */
	ck_assert_uint_eq(y.edits.n_nodes, 4);
	ck_assert_uint_eq(y.edits.n_hooks, 2);
	ck_assert_str_eq(y.edits.hooks[1].args.items[1], "update-ldcache");
	ck_assert_uint_eq(y.edits.n_mounts, 3);
	ck_assert_uint_eq(y.devices[0].edits.n_hooks, 1);
	a = dump(&y);
	b = dump(&j);
	ck_assert_str_eq(a, b);
	free(a);
	free(b);
	berth_cdi_spec_free(&y);
	berth_cdi_spec_free(&j);
}
END_TEST

START_TEST(spec_example_every_field)
{
	struct berth_cdi_spec s;
	struct berth_error err = BERTH_ERROR_INIT;
	const struct berth_cdi_device_node *n;

	ck_assert_msg(load_fixture("spec-example.json", &s, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(s.version, "1.1.0");
	n = &s.devices[0].edits.nodes[0];
	ck_assert_str_eq(n->host_path, "/vendor/dev/card1");
	ck_assert_int_eq(n->type, 'c');
	ck_assert(n->has_major && n->major == 25 && n->has_minor && n->minor == 25);
	ck_assert(n->has_mode && n->mode == 0600 && n->has_uid && n->uid == 1000 && n->gid == 1000);
	ck_assert_str_eq(n->permissions, "rw");
	ck_assert_uint_eq(s.edits.n_gids, 3);
	ck_assert(s.edits.intel_rdt);
	ck_assert_uint_eq(s.edits.n_net_devices, 1);
	ck_assert_str_eq(s.edits.mounts[2].type, "tmpfs");
	ck_assert_str_eq(s.edits.hooks[1].name, "startContainer");
	berth_cdi_spec_free(&s);

	ck_assert_msg(load_fixture("minimal.yaml", &s, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(s.edits.env.items ? "x" : s.devices[0].edits.env.items[0], "VENDOR=yes");
	berth_cdi_spec_free(&s);
}
END_TEST

static const struct {
	bool yaml;
	const char *text;
	const char *msg;
} bad[] = {
	{ true, "cdiVersion: 0.3.0\nkind: a.com/b\ndevices: [{name: x, extra: 1}]\n",
	  "CDI spec \"t\": devices[0]: unknown field \"extra\"" },
	{ true, "cdiVersion: 0.3.0\nkind: a.com/b\ndevices: [{name: x, containerEdits: {deviceNodes: [{path: /dev/x, major: \"1\"}]}}]\n",
	  "CDI spec \"t\": devices[0].containerEdits.deviceNodes[0].major: not an integer" },
	{ true, "cdiVersion: 0.3.0\nkind: a.com/b\ndevices: [{name: x, containerEdits: {deviceNodes: [{path: /dev/x, hostPath: /dev/y}]}}]\n",
	  "CDI spec \"t\": cdiVersion 0.3.0 is too old for the fields used (needs 0.5.0)" },
	{ true, "cdiVersion: 0.4.0\nkind: a.com/b\ndevices: [{name: \"0\"}]\n",
	  "CDI spec \"t\": cdiVersion 0.4.0 is too old for the fields used (needs 0.5.0)" },
	{ true, "cdiVersion: 0.6.0\nkind: a.com/b\ndevices: [{name: x}]\ncontainerEdits: {additionalGids: [4]}\n",
	  "CDI spec \"t\": cdiVersion 0.6.0 is too old for the fields used (needs 0.7.0)" },
	{ true, "cdiVersion: 2.0.0\nkind: a.com/b\ndevices: [{name: x}]\n",
	  "CDI spec \"t\": cdiVersion \"2.0.0\" is not one berth knows (0.1.0 - 1.1.0)" },
	{ true, "cdiVersion: 0.3.0\nkind: b\ndevices: [{name: x}]\n",
	  "CDI spec \"t\": kind: CDI kind \"b\" is not vendor/class" },
	{ true, "cdiVersion: 0.3.0\nkind: a.com/b\ndevices: [{name: x}, {name: x}]\n",
	  "CDI spec \"t\": devices: device \"x\" twice" },
	{ true, "cdiVersion: 0.3.0\nkind: a.com/b\ndevices: []\n", "CDI spec \"t\": devices: no device" },
	{ true, "cdiVersion: 0.3.0\nkind: a.com/b\n", "CDI spec \"t\": devices: missing" },
	{ true, "cdiVersion: 0.3.0\nkind: a.com/b\ndevices: [{name: -x}]\n",
	  "CDI spec \"t\": devices[0]: bad CDI device name \"-x\"" },
	{ true, "cdiVersion: 0.3.0\nkind: a.com/b\ndevices: [{name: x, containerEdits: {hooks: [{hookName: createContainer, path: bin/x}]}}]\n",
	  "CDI spec \"t\": devices[0].containerEdits.hooks[0].path: not an absolute path" },
	{ true, "cdiVersion: 0.3.0\nkind: a.com/b\ndevices: [{name: x, containerEdits: {env: [NOEQUALS]}}]\n",
	  "CDI spec \"t\": devices[0].containerEdits.env: an entry is not NAME=value" },
	{ true, "cdiVersion: 0.3.0\nkind: a.com/b\ndevices: [{name: x, containerEdits: {hooks: [{hookName: a, path: /x, timeout: 0}]}}]\n",
	  "CDI spec \"t\": devices[0].containerEdits.hooks[0].timeout: out of range" },
	{ true, "a: &x [1]\nb: *x\n", "CDI spec \"t\": YAML line 2: aliases are not allowed" },
	{ true, "cdiVersion: 0.3.0\n---\nkind: a\n", "CDI spec \"t\": YAML: more than one document" },
	{ true, "a: 1\na: 2\n", "CDI spec \"t\": YAML: key \"a\" twice (or too long)" },
	{ true, "a: [1\n", "CDI spec \"t\": YAML line 2: did not find expected ',' or ']'" },
	{ true, "a: [[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]\n", "CDI spec \"t\": YAML line 1: nested deeper than 16 levels" },
	{ false, "{\"cdiVersion\": \"0.3.0\"} x", "CDI spec \"t\": JSON: unexpected character" },
	{ false, "[1]", "CDI spec \"t\": spec: not an object" },
	{ false, "{\"cdiVersion\": \"0.3.0\", \"kind\": \"a.com/b\", \"devices\": [{\"name\": \"x\", "
		 "\"containerEdits\": {\"deviceNodes\": [{\"path\": \"/dev/x\", \"type\": \"z\"}]}}]}",
	  "CDI spec \"t\": devices[0].containerEdits.deviceNodes[0].type: not c, b, u or p" },
};

START_TEST(bad_specs)
{
	struct berth_cdi_spec s;
	struct berth_error err = BERTH_ERROR_INIT;

	ck_assert_int_eq(parse_text(bad[_i].text, bad[_i].yaml, &s, &err), -1);
	ck_assert_str_eq(err.msg, bad[_i].msg);
	ck_assert_ptr_null(s.kind);
	ck_assert_uint_eq(s.n_devices, 0);
}
END_TEST

/* Found by fuzz_cdi: a null deviceNodes or mounts (YAML "~" or an empty
 * value) passed the walk as "absent", then the version check asked json-c
 * for its length, which aborts (json-c asserts the type). */
START_TEST(null_edits_lists)
{
	static const char *const texts[] = {
		"cdiVersion: 0.5.0\nkind: a.com/b\ndevices: [{name: x, containerEdits: {deviceNodes: ~}}]\n",
		"cdiVersion: 0.5.0\nkind: a.com/b\ndevices: [{name: x, containerEdits: {mounts: }}]\n",
		"cdiVersion: 0.5.0\nkind: a.com/b\ndevices: [{name: x}]\ncontainerEdits: {deviceNodes: ~, mounts: ~}\n",
	};
	struct berth_cdi_spec s;
	struct berth_error err = BERTH_ERROR_INIT;

	for (size_t i = 0; i < ARRAY_LEN(texts); i++) {
		ck_assert_msg(parse_text(texts[i], true, &s, &err) == 0, "%s: %s", texts[i], err.msg);
		ck_assert_uint_eq(s.n_devices, 1);
		berth_cdi_spec_free(&s);
	}
}
END_TEST

START_TEST(yaml_typing)
{
	struct json_object *o = NULL, *v = NULL;
	struct berth_error err = BERTH_ERROR_INIT;
	const char *text = "a: 0644\nb: \"12\"\nc: 0x10\nd: true\ne: ~\nf: 1.5\n";

	ck_assert_int_eq(berth_cdi_yaml_to_json(text, strlen(text), &o, &err), 0);
	json_object_object_get_ex(o, "a", &v);
	ck_assert_int_eq(json_object_get_int64(v), 0644);
	json_object_object_get_ex(o, "b", &v);
	ck_assert(json_object_is_type(v, json_type_string));
	json_object_object_get_ex(o, "c", &v);
	ck_assert_int_eq(json_object_get_int64(v), 16);
	json_object_object_get_ex(o, "d", &v);
	ck_assert(json_object_is_type(v, json_type_boolean));
	ck_assert(json_object_object_get_ex(o, "e", &v) && v == NULL);
	json_object_object_get_ex(o, "f", &v);
	ck_assert(json_object_is_type(v, json_type_string));
	json_object_put(o);
}
END_TEST

/* ---------------------------------------------------------------- resolve */

static void write_spec(const char *dir, const char *name, const char *text, mode_t mode)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/%s", tmpdir, dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	fchmod(fd, mode);
	close(fd);
}

static void setup_dirs(void)
{
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	write_spec("etc", "fake.yaml",
		   "cdiVersion: 0.5.0\nkind: fake.com/gpu\n"
		   "containerEdits:\n  env: [FAKE_DRIVER=1]\n"
		   "  mounts: [{hostPath: /usr/lib, containerPath: /opt/fake/lib, options: [ro, rbind]}]\n"
		   "devices:\n"
		   "- name: \"0\"\n  containerEdits: {env: [WHICH=etc0], deviceNodes: [{path: /dev/fakegpu0, hostPath: /dev/null}]}\n"
		   "- name: \"1\"\n  containerEdits: {env: [WHICH=etc1], deviceNodes: [{path: /dev/fakegpu1, hostPath: /dev/zero}]}\n",
		   0644);
	/* the later directory wins for device 1 */
	write_spec("run", "fake.json",
		   "{\"cdiVersion\": \"0.7.0\", \"kind\": \"fake.com/gpu\", \"devices\": [{\"name\": \"1\", "
		   "\"containerEdits\": {\"env\": [\"WHICH=run1\"], \"deviceNodes\": [{\"path\": \"/dev/fakegpu1\", "
		   "\"type\": \"c\", \"major\": 1, \"minor\": 5, \"fileMode\": 432, \"gid\": 44}], "
		   "\"additionalGids\": [44]}}]}", 0644);
	/* a broken file and a conflict in one directory */
	write_spec("run", "broken.yaml", "cdiVersion: [\n", 0644);
	write_spec("conflict", "a.yaml", "cdiVersion: 0.3.0\nkind: x.com/y\ndevices: [{name: d}]\n", 0644);
	write_spec("conflict", "b.yaml", "cdiVersion: 0.3.0\nkind: x.com/y\ndevices: [{name: d}]\n", 0644);
	write_spec("writable", "w.yaml", "cdiVersion: 0.3.0\nkind: w.com/y\ndevices: [{name: d}]\n", 0666);
	write_spec("unsupported", "u.yaml",
		   "cdiVersion: 0.5.0\nkind: u.com/y\ndevices:\n"
		   "- {name: tmpfs, containerEdits: {mounts: [{hostPath: tmpfs, containerPath: /x, type: tmpfs}]}}\n"
		   "- {name: hook, containerEdits: {hooks: [{hookName: poststop, path: /bin/true}]}}\n"
		   "- {name: node, containerEdits: {deviceNodes: [{path: /etc/x, hostPath: /dev/null}]}}\n"
		   "- {name: opt, containerEdits: {mounts: [{hostPath: /a, containerPath: /b, options: [bind, exec]}]}}\n",
		   0644);
}

static void teardown_dirs(void)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/berth-test-cdi.XXXXXX");
}

static int resolve(const char *dirs, const char *names, struct berth_cdi_step *step, struct berth_error *err)
{
	struct berth_cdi_names list = BERTH_CDI_NAMES_INIT;
	char paths[4096] = "";
	int rc;

	for (const char *p = dirs; *p;) {
		size_t len = strcspn(p, ":");

		snprintf(paths + strlen(paths), sizeof(paths) - strlen(paths), "%s%s/%.*s", paths[0] ? ":" : "",
			 tmpdir, (int)len, p);
		p += len + (p[len] == ':');
	}
	ck_assert_int_eq(berth_cdi_names_add(&list, names, err), 0);
	rc = berth_cdi_resolve(paths, getuid(), &list, step, err);
	berth_cdi_names_free(&list);
	return rc;
}

START_TEST(resolve_later_dir_wins)
{
	struct berth_cdi_step step = BERTH_CDI_STEP_INIT;
	struct berth_error err = BERTH_ERROR_INIT;

	ck_assert_msg(resolve("etc:run", "fake.com/gpu=0,fake.com/gpu=1", &step, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(step.env.count, 3);
	ck_assert_str_eq(step.env.items[0], "FAKE_DRIVER=1");   /* spec level first, once */
	ck_assert_str_eq(step.env.items[1], "WHICH=etc0");
	ck_assert_str_eq(step.env.items[2], "WHICH=run1");      /* /run's device 1 */
	ck_assert_uint_eq(step.n_devices, 2);
	ck_assert_str_eq(step.devices[0].path, "/dev/fakegpu0");
	ck_assert_uint_eq(step.devices[0].type, S_IFCHR);       /* from the host's /dev/null */
	ck_assert_uint_eq(step.devices[0].major, 1);
	ck_assert_uint_eq(step.devices[0].minor, 3);
	ck_assert_uint_eq(step.devices[1].minor, 5);
	ck_assert_uint_eq(step.devices[1].mode, 0660);
	ck_assert_uint_eq(step.devices[1].gid, 44);
	ck_assert_uint_eq(step.mounts.count, 1);
	ck_assert_str_eq(step.mounts.items[0].dst, "/opt/fake/lib");
	ck_assert_uint_eq(step.mounts.items[0].flags, BERTH_VOLUME_RO | BERTH_VOLUME_REC);
	ck_assert_uint_eq(step.n_gids, 1);
	berth_cdi_step_free(&step);

	/* =all: no device named "all", so every device of the kind */
	ck_assert_msg(resolve("etc:run", "fake.com/gpu=all", &step, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(step.names.count, 2);
	ck_assert_uint_eq(step.n_devices, 2);
	berth_cdi_step_free(&step);
}
END_TEST

static const struct {
	const char *dirs, *names, *msg;
} refused[] = {
	{ "etc", "fake.com/gpu=7", "CDI device \"fake.com/gpu=7\" not found in any spec" },
	{ "conflict", "x.com/y=d", "CDI device \"x.com/y=d\" is defined in both @D/conflict/a.yaml and "
				   "@D/conflict/b.yaml" },
	{ "writable", "w.com/y=d", "CDI device \"w.com/y=d\" not found (CDI spec \"@D/writable/w.yaml\": not a "
				   "regular file owned by uid @U and writable only by it)" },
	{ "unsupported", "u.com/y=tmpfs", "CDI device \"u.com/y=tmpfs\" (@D/unsupported/u.yaml): mount \"/x\": "
					   "type \"tmpfs\" is not supported by berth (bind mounts only)" },
	{ "unsupported", "u.com/y=hook", "CDI device \"u.com/y=hook\" (@D/unsupported/u.yaml): hook \"poststop\" "
					  "(/bin/true): only createContainer and startContainer hooks are supported by berth" },
	{ "unsupported", "u.com/y=node", "CDI device \"u.com/y=node\" (@D/unsupported/u.yaml): device node "
					  "\"/etc/x\" is not under /dev" },
	{ "unsupported", "u.com/y=opt", "CDI device \"u.com/y=opt\" (@D/unsupported/u.yaml): mount \"/b\": "
					 "option \"exec\" is not supported by berth" },
	{ "etc", "nothere.com/gpu=all", "CDI device \"nothere.com/gpu=all\": no device of that kind" },
};

START_TEST(resolve_refused)
{
	struct berth_cdi_step step = BERTH_CDI_STEP_INIT;
	struct berth_error err = BERTH_ERROR_INIT;
	char want[1024];
	size_t n = 0;

	/* @D: the test's directory, @U: our uid */
	for (const char *p = refused[_i].msg; *p && n < sizeof(want) - 64; p++) {
		if (p[0] == '@' && (p[1] == 'D' || p[1] == 'U')) {
			n += (size_t)(p[1] == 'D' ? snprintf(want + n, sizeof(want) - n, "%s", tmpdir)
						  : snprintf(want + n, sizeof(want) - n, "%u", (unsigned)getuid()));
			p++;
		} else {
			want[n++] = *p;
		}
	}
	want[n] = '\0';
	ck_assert_int_eq(resolve(refused[_i].dirs, refused[_i].names, &step, &err), -1);
	ck_assert_str_eq(err.msg, want);
	ck_assert_uint_eq(step.n_devices, 0);
	ck_assert_uint_eq(step.env.count, 0);
}
END_TEST

START_TEST(resolve_names_broken_spec)
{
	struct berth_cdi_step step = BERTH_CDI_STEP_INIT;
	struct berth_error err = BERTH_ERROR_INIT;

	ck_assert_int_eq(resolve("run", "fake.com/gpu=0", &step, &err), -1);
	ck_assert_msg(strstr(err.msg, "not found (CDI spec \"") && strstr(err.msg, "broken.yaml\": YAML"), "%s",
		      err.msg);
}
END_TEST

/* ---------------------------------------------------------------- hooks */

START_TEST(hooks_get_state_on_stdin)
{
	struct berth_cdi_step step = BERTH_CDI_STEP_INIT;
	struct berth_error err = BERTH_ERROR_INIT;
	char spec[4096], out[1024], buf[4096];
	struct json_object *state, *v;
	FILE *f;
	size_t n;

	snprintf(out, sizeof(out), "%s/stdin.json", tmpdir);
	snprintf(spec, sizeof(spec),
		 "cdiVersion: 0.5.0\nkind: h.com/y\ndevices:\n- name: ok\n  containerEdits:\n    hooks:\n"
		 "    - {hookName: createContainer, path: /bin/sh, args: [sh, -c, 'cat > \"$OUT\"; echo $1', x, y], "
		 "env: [\"OUT=%s\"]}\n"
		 "- name: slow\n  containerEdits: {hooks: [{hookName: createContainer, path: /bin/sleep, args: [sleep, '5'], timeout: 1}]}\n"
		 "- name: fails\n  containerEdits: {hooks: [{hookName: createContainer, path: /bin/sh, args: [sh, -c, 'echo no way; exit 3']}]}\n",
		 out);
	write_spec("hooks", "h.yaml", spec, 0644);
	ck_assert_msg(resolve("hooks", "h.com/y=ok", &step, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(step.hooks[0].argv[0], "/bin/sh");
	ck_assert_msg(berth_cdi_run_hooks(&step, BERTH_CDI_CREATE_CONTAINER, "/some/root", "42.0", 10, 0, 0, NULL, 0,
					  &err) == 0, "%s", err.msg);
	/* a startContainer pass runs nothing here */
	ck_assert_int_eq(berth_cdi_run_hooks(&step, BERTH_CDI_START_CONTAINER, "/x", "42.0", 10, 0, 0, NULL, 0, &err), 0);
	berth_cdi_step_free(&step);
	f = fopen(out, "r");
	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	state = json_tokener_parse(buf);
	ck_assert_ptr_nonnull(state);
	ck_assert(json_object_object_get_ex(state, "root", &v));
	ck_assert_str_eq(json_object_get_string(v), "/some/root");
	ck_assert(json_object_object_get_ex(state, "id", &v));
	ck_assert_str_eq(json_object_get_string(v), "42.0");
	ck_assert(json_object_object_get_ex(state, "ociVersion", &v));
	json_object_put(state);

	ck_assert_int_eq(resolve("hooks", "h.com/y=slow", &step, &err), 0);
	ck_assert_int_eq(berth_cdi_run_hooks(&step, BERTH_CDI_CREATE_CONTAINER, "/", "1", 10, 0, 0, NULL, 0, &err), -1);
	ck_assert_str_eq(err.msg, "CDI createContainer hook: \"/bin/sleep\": timed out after 1000 ms");
	berth_cdi_step_free(&step);
	ck_assert_int_eq(resolve("hooks", "h.com/y=fails", &step, &err), 0);
	ck_assert_int_eq(berth_cdi_run_hooks(&step, BERTH_CDI_CREATE_CONTAINER, "/", "1", 10, 0, 0, NULL, 0, &err), -1);
	ck_assert_str_eq(err.msg, "CDI createContainer hook: \"/bin/sh\": exit status 3: no way");
	berth_cdi_step_free(&step);
	unit_assert_no_children();
}
END_TEST

/* ---------------------------------------------------------------- names */

START_TEST(names_and_gres)
{
	struct berth_cdi_names list = BERTH_CDI_NAMES_INIT;
	struct berth_error err = BERTH_ERROR_INIT;
	char kind[BERTH_CDI_NAME_MAX + 1];
	char *env_step[] = { (char *)"SLURM_JOB_GPUS=0,1", (char *)"SLURM_STEP_GPUS=1,3", NULL };
	char *env_job[] = { (char *)"SLURM_JOB_GPUS=2", NULL };
	char *env_bad[] = { (char *)"SLURM_STEP_GPUS=1,,2", NULL };
	char *env_none[] = { (char *)"SLURM_STEP_GPUS=", NULL };

	ck_assert_int_eq(berth_cdi_gres_devices(env_step, "nvidia.com/gpu", &list, &err), 0);
	ck_assert_uint_eq(list.count, 2);
	ck_assert_str_eq(list.items[0], "nvidia.com/gpu=1");
	ck_assert_str_eq(list.items[1], "nvidia.com/gpu=3");
	berth_cdi_names_free(&list);
	/* the job's GPUs, inherited from the batch script: not the step's */
	ck_assert_int_eq(berth_cdi_gres_devices(env_job, "nvidia.com/gpu", &list, &err), 0);
	ck_assert_uint_eq(list.count, 0);
	ck_assert_int_eq(berth_cdi_gres_devices(env_none, "nvidia.com/gpu", &list, &err), 0);
	ck_assert_uint_eq(list.count, 0);
	ck_assert_int_eq(berth_cdi_gres_devices(env_bad, "nvidia.com/gpu", &list, &err), -1);
	ck_assert_str_eq(err.msg, "SLURM_STEP_GPUS \"1,,2\" is not a list of GPU indexes");

	ck_assert_int_eq(berth_cdi_gres_parse("gpu=nvidia.com/gpu", kind, &err), 0);
	ck_assert_str_eq(kind, "nvidia.com/gpu");
	ck_assert_int_eq(berth_cdi_gres_parse("", kind, &err), 0);
	ck_assert_str_eq(kind, "");
	ck_assert_int_eq(berth_cdi_gres_parse("mps=nvidia.com/gpu", kind, &err), -1);
	ck_assert_str_eq(err.msg, "cdi_gres \"mps=nvidia.com/gpu\": only the GRES \"gpu\" is supported (Slurm names "
			 "no other GRES devices in a step's environment)");
	ck_assert_int_eq(berth_cdi_gres_parse("gpu=nvidia", kind, &err), -1);
	ck_assert_str_eq(err.msg, "cdi_gres: CDI kind \"nvidia\" is not vendor/class");

	ck_assert_int_eq(berth_cdi_names_add(&list, "a.com/b=x,a.com/b=x,c.org/d=GPU-1:2", &err), 0);
	ck_assert_uint_eq(list.count, 2);
	ck_assert_int_eq(berth_cdi_names_add(&list, "a.com/b=y,nokind", &err), -1);
	ck_assert_str_eq(err.msg, "CDI device \"nokind\" is not vendor.com/class=name");
	ck_assert_uint_eq(list.count, 2);
	ck_assert_int_eq(berth_cdi_names_add(&list, "a.com/b=y,", &err), -1);
	ck_assert_str_eq(err.msg, "empty entry in CDI device list");
	ck_assert_int_eq(berth_cdi_names_add(&list, "a.com/b=-y", &err), -1);
	ck_assert_str_eq(err.msg, "bad CDI device name \"-y\"");
	ck_assert_int_eq(berth_cdi_user_allowed("a.com/b,c.org/d", &list, &err), 0);
	ck_assert_int_eq(berth_cdi_user_allowed("*", &list, &err), 0);
	ck_assert_int_eq(berth_cdi_user_allowed("a.com/b", &list, &err), -1);
	ck_assert_str_eq(err.msg, "CDI device \"c.org/d=GPU-1:2\": this site lets users name no devices of that "
			 "kind (berth.conf cdi_user_kinds)");
	ck_assert_int_eq(berth_cdi_user_allowed("", &list, &err), -1);
	ck_assert_int_eq(berth_cdi_user_kinds_check("a.com/b,*", &err), 0);
	ck_assert_int_eq(berth_cdi_user_kinds_check("a.com/b,x", &err), -1);
	ck_assert_str_eq(err.msg, "cdi_user_kinds: CDI kind \"x\" is not vendor/class");
	berth_cdi_names_free(&list);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cdi");
	TCase *parse = tcase_create("parse"), *res = tcase_create("resolve");

	tcase_add_test(parse, nvidia_yaml_and_json);
	tcase_add_test(parse, spec_example_every_field);
	tcase_add_loop_test(parse, bad_specs, 0, ARRAY_LEN(bad));
	tcase_add_test(parse, null_edits_lists);
	tcase_add_test(parse, yaml_typing);
	tcase_add_test(parse, names_and_gres);
	tcase_add_checked_fixture(res, setup_dirs, teardown_dirs);
	tcase_add_test(res, resolve_later_dir_wins);
	tcase_add_loop_test(res, resolve_refused, 0, ARRAY_LEN(refused));
	tcase_add_test(res, resolve_names_broken_spec);
	tcase_add_test(res, hooks_get_state_on_stdin);
	tcase_set_timeout(res, 20);
	suite_add_tcase(s, parse);
	suite_add_tcase(s, res);
	return unit_run(s);
}
