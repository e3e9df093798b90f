/*
 * test_hostile_job.c - every value a job hands to root on the node (its
 * SPANK options, BERTH_* control variables, the spec and sshd request
 * fields) taken hostile, through the node-side entry points job_prolog
 * uses: the job request from env, the spec writer/reader, the pubkey check,
 * the sshd request writer/reader.  Each value either round-trips or becomes
 * a one-line error for the job's steps; the prolog's own writers never fail
 * (a failed prolog drains the node).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "berth_conf.h"
#include "fs_util.h"
#include "job_request.h"
#include "job_spec.h"
#include "job_wire.h"
#include "sshd_job.h"
#include "unit.h"

#define ED25519 "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFvPq0Tq9yN9Dn8cN6"

static char state_dir[] = "/tmp/berth-test-hostile.XXXXXX";
static struct berth_config config;
static char *huge;

static void setup(void)
{
	struct berth_error err = BERTH_ERROR_INIT;

	ck_assert_ptr_nonnull(mkdtemp(state_dir));
	ck_assert_msg(berth_config_load("/nonexistent/berth.conf", true, &config, &err) == 0, "%s",
		      err.msg);
	free(config.state_dir);   /* the default's copy: the config owns its strings */
	config.state_dir = strdup(state_dir);
	ck_assert_ptr_nonnull(config.state_dir);
	huge = malloc(200 * 1024);
	memset(huge, 'A', 200 * 1024 - 1);
	huge[200 * 1024 - 1] = '\0';
}

static void teardown(void)
{
	struct berth_error err = BERTH_ERROR_INIT;

	ck_assert_int_eq(berth_remove_tree(state_dir, &err), 0);
	memcpy(state_dir + strlen(state_dir) - 6, "XXXXXX", 6);
	berth_config_free(&config);
	free(huge);
}

/* NULL stands for the huge value (built at setup). */
static const char *const hostile[] = {
	"\"", "a\"b", "\"\"", "x\"\ny=\"", "\n", "a\r\nb", "=", "a=b=c", "uid=0",
	"/a:/b\nuid=0", "\\", "a\\", "#", "\x01\x1b[31m\x7f", "\xff\xfe\xc0\x80",
	"ab\0cd", " ", "/x:/y;", "id:sha256:\"", "docker:a\"b", "--x", "$(id)`id`", NULL,
};

static const char *value_of(unsigned i)
{
	return hostile[i] ? hostile[i] : huge;
}

static bool one_printable_line(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

/* Write with job_prolog's writer, read back like job_container does. */
static void spec_survives(const struct berth_job_spec *in, bool must_round_trip)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_job_paths paths;
	struct berth_job_spec out;

	ck_assert_int_eq(berth_job_paths(&config, "n1", 7, &paths, &err), 0);
	ck_assert_msg(berth_job_spec_write_or_fail_job(in, &paths, &err) == 0, "%s", err.msg);
	ck_assert_msg(berth_job_spec_read(&paths, &out, &err) == 1, "%s", err.msg);
	ck_assert_uint_eq(out.uid, in->uid);
	if (out.error) {
		ck_assert_msg(one_printable_line(out.error), "error not one line: %s", out.error);
		ck_assert_ptr_null(out.image);
		ck_assert_ptr_null(out.volumes);
	} else {
		ck_assert_pstr_eq(out.image, in->image);
		ck_assert_pstr_eq(out.volumes, in->volumes);
		ck_assert_pstr_eq(out.modules, in->modules);
		ck_assert_pstr_eq(out.request, in->request);
	}
	if (must_round_trip)
		ck_assert_ptr_null(out.error);
	berth_job_spec_free(&out);
}

START_TEST(spec_field_hostile)
{
	const char *v = value_of((unsigned)_i % ARRAY_LEN(hostile));
	struct berth_job_spec spec = { .version = 1, .uid = 2001, .gid = 2002 };
	char **fields[] = { &spec.image, &spec.digest, &spec.request, &spec.volumes, &spec.modules,
			    &spec.error };

	*fields[_i / ARRAY_LEN(hostile)] = (char *)v;
	spec_survives(&spec, false);
}
END_TEST

/* The whole job_prolog path for one hostile option value: parse, spec or
 * error, write, read. */
START_TEST(option_hostile)
{
	static const char *const names[] = { BERTH_ENV_IMAGE, BERTH_ENV_VOLUME, BERTH_ENV_MODULE,
					     BERTH_ENV_CCM };
	const char *v = value_of((unsigned)_i % ARRAY_LEN(hostile));
	const char *name = names[_i / ARRAY_LEN(hostile)];
	struct berth_job_request req = BERTH_JOB_REQUEST_INIT;
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_job_spec spec = { 0 };
	char *env[2] = { NULL, NULL };
	size_t n = 1;

	ck_assert_int_ge(asprintf(&env[0], "%s=%s", name, v), 0);
	if (strcmp(name, BERTH_ENV_IMAGE) != 0)
		env[n++] = (char *)BERTH_ENV_IMAGE "=id:sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	if (berth_job_request_from_env(&req, env, n, &config, &err) < 0 ||
	    berth_job_spec_from_request(&req, &config, 2001, 2002, &spec, &err) < 0) {
		ck_assert_msg(one_printable_line(err.msg), "message not one line: %s", err.msg);
		memset(&spec, 0, sizeof(spec));
		spec.version = 1;
		spec.uid = 2001;
		spec.gid = 2002;
		spec.error = strdup(err.msg);
	}
	spec_survives(&spec, false);
	berth_job_spec_free(&spec);
	berth_job_request_free(&req);
	free(env[0]);
}
END_TEST

START_TEST(spec_too_large_fails_the_job)
{
	struct berth_job_spec spec = { .version = 1, .uid = 5, .gid = 5 };
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_job_paths paths;
	struct berth_job_spec out;

	spec.volumes = huge;
	ck_assert_int_eq(berth_job_paths(&config, "n1", 8, &paths, &err), 0);
	ck_assert_int_eq(berth_job_spec_write_or_fail_job(&spec, &paths, &err), 0);
	ck_assert_int_eq(berth_job_spec_read(&paths, &out, &err), 1);
	ck_assert_str_eq(out.error,
			 "the job's request cannot be written to the node: job spec larger than 65536 bytes");
	berth_job_spec_free(&out);
	spec.volumes = (char *)"/a:/b\nuid=0";
	ck_assert_int_eq(berth_job_spec_write_or_fail_job(&spec, &paths, &err), 0);
	ck_assert_int_eq(berth_job_spec_read(&paths, &out, &err), 1);
	ck_assert_uint_eq(out.uid, 5);
	ck_assert_str_eq(out.error,
			 "the job's request cannot be written to the node: job spec value contains a newline");
	berth_job_spec_free(&out);
}
END_TEST

/* BERTH_SSH_PUBKEY as job_prolog handles it: checked, then the request or
 * the refusal (quoting the bad key) written, then read by the extern step. */
START_TEST(pubkey_hostile)
{
	char key[256];
	const char *v = value_of((unsigned)_i % ARRAY_LEN(hostile));
	struct berth_sshd_request req = { .port = 1204, .hosts = (char *)"n1=n1/1" }, out;
	struct berth_error err = BERTH_ERROR_INIT;
	char path[256], *normalized = NULL, *reason = NULL;

	/* the value alone, and as a comment or type around a good key */
	if (_i / ARRAY_LEN(hostile) == 1 && hostile[_i % ARRAY_LEN(hostile)]) {
		snprintf(key, sizeof(key), "%s %s", ED25519, v);
		v = key;
	} else if (_i / ARRAY_LEN(hostile) == 2 && hostile[_i % ARRAY_LEN(hostile)]) {
		snprintf(key, sizeof(key), "ssh-ed25519%s AAAAC3NzaC1lZDI1NTE5AAAAIFvPq0Tq9yN9Dn8cN6", v);
		v = key;
	}
	if (berth_ssh_pubkey_check(v, &normalized, &err) == 0) {
		ck_assert_msg(strncmp(normalized, ED25519, strlen(ED25519)) == 0 && !strchr(normalized, '"'),
			      "normalized: %s", normalized);
		req.user_key = normalized;
	} else {
		ck_assert_msg(one_printable_line(err.msg), "message not one line: %s", err.msg);
		ck_assert_int_ge(asprintf(&reason, "no sshd: %s", err.msg), 0);
		req.refused = reason;
		req.hosts = NULL;
	}
	snprintf(path, sizeof(path), "%s/sshd.request", state_dir);
	ck_assert_msg(berth_sshd_request_write_or_refuse(path, &req, &err) == 0, "%s", err.msg);
	ck_assert_msg(berth_sshd_request_read(path, &out, &err) == 1, "%s", err.msg);
	ck_assert_int_eq(!out.refused, !reason);
	if (out.refused)
		ck_assert_msg(one_printable_line(out.refused) && !strchr(out.refused, '"'), "%s",
			      out.refused);
	else
		ck_assert_str_eq(out.user_key, normalized);
	berth_sshd_request_free(&out);
	free(normalized);
	free(reason);
}
END_TEST

START_TEST(sshd_request_field_hostile)
{
	const char *v = value_of((unsigned)_i % ARRAY_LEN(hostile));
	struct berth_sshd_request req = { .port = 1204 }, out;
	struct berth_error err = BERTH_ERROR_INIT;
	char **fields[] = { &req.user_key, &req.hosts, &req.refused };
	char path[256];

	*fields[_i / ARRAY_LEN(hostile)] = (char *)v;
	snprintf(path, sizeof(path), "%s/sshd.request", state_dir);
	ck_assert_msg(berth_sshd_request_write_or_refuse(path, &req, &err) == 0, "%s", err.msg);
	ck_assert_msg(berth_sshd_request_read(path, &out, &err) == 1, "%s", err.msg);
	if (out.refused)
		ck_assert_msg(one_printable_line(out.refused), "%s", out.refused);
	else {
		ck_assert_pstr_eq(out.user_key, req.user_key);
		ck_assert_pstr_eq(out.hosts, req.hosts);
	}
	berth_sshd_request_free(&out);
}
END_TEST

/* The message of the reported case: a quote in the key's type. */
START_TEST(quoted_key_refusal_is_written)
{
	struct berth_sshd_request req = { .port = 1204 }, out;
	struct berth_error err = BERTH_ERROR_INIT;
	char path[256], *normalized, reason[600];

	ck_assert_int_eq(berth_ssh_pubkey_check("ssh-ed25519\" AAAAC3NzaC1lZDI1NTE5", &normalized, &err), -1);
	ck_assert_str_eq(err.msg, "ssh public key: unknown key type \"ssh-ed25519\"\"");
	snprintf(reason, sizeof(reason), "no sshd: %s", err.msg);
	req.refused = reason;
	snprintf(path, sizeof(path), "%s/sshd.request", state_dir);
	ck_assert_msg(berth_sshd_request_write_or_refuse(path, &req, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(berth_sshd_request_read(path, &out, &err), 1);
	ck_assert_str_eq(out.refused, "no sshd: ssh public key: unknown key type 'ssh-ed25519''");
	berth_sshd_request_free(&out);
	req.refused = NULL;
	req.user_key = (char *)"ssh-ed25519 \"x\"";
	ck_assert_int_eq(berth_sshd_request_write_or_refuse(path, &req, &err), 0);
	ck_assert_int_eq(berth_sshd_request_read(path, &out, &err), 1);
	ck_assert_ptr_null(out.user_key);
	ck_assert_str_eq(out.refused, "no sshd: sshd request value with a newline or quote");
	berth_sshd_request_free(&out);
}
END_TEST

int main(void)
{
	Suite *suite = suite_create("hostile_job");
	TCase *tc = tcase_create("hostile");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, spec_field_hostile, 0, 6 * ARRAY_LEN(hostile));
	tcase_add_loop_test(tc, option_hostile, 0, 4 * ARRAY_LEN(hostile));
	tcase_add_test(tc, spec_too_large_fails_the_job);
	tcase_add_loop_test(tc, pubkey_hostile, 0, 3 * ARRAY_LEN(hostile));
	tcase_add_loop_test(tc, sshd_request_field_hostile, 0, 3 * ARRAY_LEN(hostile));
	tcase_add_test(tc, quoted_key_refusal_is_written);
	suite_add_tcase(suite, tc);
	return unit_run(suite);
}
