/*
 * test_sshd.c - the per-job sshd's building blocks: the job key check (the
 * key comes from the user's side), the request file, the node list, the
 * generated texts, and the cgroup adoption against fake v1 and v2
 * hierarchies laid out as Slurm 22.05 makes them (this is how the v2 path
 * is tested: the development hosts run cgroup v1 only).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"
#include "fs_util.h"
#include "prolog_job.h"
#include "sshd_job.h"
#include "unit.h"

#define ED25519 "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFvPq0Tq9yN9Dn8cN6mZ5r0n3b0HkV2GQeP6n1fYdL1x"

static char tmp_dir[] = "/tmp/berth-test-sshd.XXXXXX";

static void setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(tmp_dir));
}

static void teardown(void)
{
	struct berth_error err = BERTH_ERROR_INIT;

	ck_assert_int_eq(berth_remove_tree(tmp_dir, &err), 0);
	memcpy(tmp_dir + strlen(tmp_dir) - 6, "XXXXXX", 6);
}

static char *slurp(const char *path)
{
	static char buf[4096];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	ck_assert_int_ge(fd, 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/* ------------------------------------------------------------ key */

START_TEST(good_key_is_normalized)
{
	struct berth_error err = BERTH_ERROR_INIT;
	char *out = NULL;

	ck_assert_int_eq(berth_ssh_pubkey_check(ED25519 " alice@login 'x'\n", &out, &err), 0);
	ck_assert_str_eq(out, ED25519);
	free(out);
}
END_TEST

static const struct {
	const char *key, *reason;
} bad_keys[] = {
	{ "", "empty" },
	{ "\n", "empty" },
	{ "ssh-dss AAAAB3NzaC1kc3MAAACBAPxxxxxxxx", "unknown key type \"ssh-dss\"" },
	{ "command=\"/bin/sh\" " ED25519, "unknown key type" },
	{ "no-pty,from=\"*\" " ED25519, "unknown key type" },
	{ "ssh-ed25519 !!!notbase64!!!!!!!!!!", "not base64" },
	{ "ssh-ed25519 AAAA", "not base64" },
	{ ED25519 "\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFvPq0Tq9yN9Dn8cN6", "control character" },
	{ "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI\tx", "control character" },
};

START_TEST(bad_key_is_refused)
{
	struct berth_error err = BERTH_ERROR_INIT;
	char *out = (char *)1;

	ck_assert_int_eq(berth_ssh_pubkey_check(bad_keys[_i].key, &out, &err), -1);
	ck_assert_ptr_null(out);
	ck_assert_msg(strstr(err.msg, bad_keys[_i].reason), "%s: %s", bad_keys[_i].reason, err.msg);
}
END_TEST

/* ------------------------------------------------------------ request */

START_TEST(request_round_trip)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_sshd_request in = { .port = 2222, .user_key = ED25519,
					 .hosts = "n1=10.77.0.11/2 n2=n2/1" }, out;
	char path[128];

	snprintf(path, sizeof(path), "%s/sshd.request", tmp_dir);
	ck_assert_int_eq(berth_sshd_request_read(path, &out, &err), 0);
	ck_assert_msg(berth_sshd_request_write(path, &in, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(berth_sshd_request_read(path, &out, &err), 1);
	ck_assert_uint_eq(out.port, 2222);
	ck_assert_str_eq(out.user_key, ED25519);
	ck_assert_str_eq(out.hosts, in.hosts);
	ck_assert_ptr_null(out.refused);
	berth_sshd_request_free(&out);

	in.refused = "no sshd: shared";
	in.hosts = "x\ny";
	ck_assert_int_eq(berth_sshd_request_write(path, &in, &err), -1);
	in.hosts = "a\"b";
	ck_assert_int_eq(berth_sshd_request_write(path, &in, &err), -1);
}
END_TEST

START_TEST(hosts_parse)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_sshd_host *hosts;
	size_t n;

	ck_assert_int_eq(berth_sshd_hosts_parse(" n1=10.77.0.11/2  n10=fe80::1/16 ", &hosts, &n, &err), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(hosts[0].name, "n1");
	ck_assert_str_eq(hosts[0].address, "10.77.0.11");
	ck_assert_uint_eq(hosts[0].tasks, 2);
	ck_assert_str_eq(hosts[1].address, "fe80::1");
	ck_assert_uint_eq(hosts[1].tasks, 16);
	berth_sshd_hosts_free(hosts, n);
}
END_TEST

static const char *const bad_hosts[] = {
	"n1", "n1=a", "n1=/2", "=a/2", "n1=a/", "n1=a/x", "n1=a/2x", "n 1=a/2", "n1=a;b/2",
	"-oProxyCommand=x/1", "n1=a$(id)/1", "n1=a/99999999",
};

START_TEST(bad_hosts_refused)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_sshd_host *hosts = (void *)1;
	size_t n = 7;

	ck_assert_int_eq(berth_sshd_hosts_parse(bad_hosts[_i], &hosts, &n, &err), -1);
	ck_assert_ptr_null(hosts);
	ck_assert_uint_eq(n, 0);
	ck_assert_msg(strstr(err.msg, "sshd hosts: bad"), "%s", err.msg);
}
END_TEST

/* ------------------------------------------------------------ texts */

START_TEST(generated_texts)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_sshd_host hosts[] = { { "n1", "10.77.0.11", 2 }, { "n2", "n2", 0 } };
	char *text;

	ck_assert_int_eq(berth_sshd_config_text(1204, "alice", 0, &text, &err), 0);
	ck_assert_ptr_nonnull(strstr(text, "\nPort 1204\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nAllowUsers alice\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nPermitRootLogin no\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nPasswordAuthentication no\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nUsePAM no\n"));
	/* OpenSSH before 9.8 refuses the Sshd*Path keywords */
	ck_assert_ptr_null(strstr(text, "SshdSessionPath"));
	ck_assert_ptr_null(strstr(text, "SshdAuthPath"));
	free(text);
	ck_assert_int_eq(berth_sshd_config_text(1204, "alice", BERTH_SSHD_SPLIT_SESSION, &text, &err), 0);
	ck_assert_ptr_nonnull(strstr(text, "\nSshdSessionPath /.berth/ssh/bin/sshd-session\n"));
	ck_assert_ptr_null(strstr(text, "SshdAuthPath"));
	free(text);
	ck_assert_int_eq(berth_sshd_config_text(1204, "alice", BERTH_SSHD_SPLIT_SESSION | BERTH_SSHD_SPLIT_AUTH,
						&text, &err), 0);
	ck_assert_ptr_nonnull(strstr(text, "\nSshdSessionPath /.berth/ssh/bin/sshd-session\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nSshdAuthPath /.berth/ssh/bin/sshd-auth\n"));
	free(text);
	ck_assert_int_eq(berth_ssh_client_config_text(1204, hosts, 2, &text, &err), 0);
	ck_assert_ptr_nonnull(strstr(text, "Host n1 10.77.0.11\n    HostName 10.77.0.11\n"));
	ck_assert_ptr_nonnull(strstr(text, "Host n2\n    HostName n2\n"));
	/* the job's settings apply to the job's nodes only */
	ck_assert_ptr_nonnull(strstr(text, "Host n1 10.77.0.11 n2\n    Port 1204\n"));
	ck_assert_ptr_null(strstr(text, "Host *"));
	/* a peer's sshd may come up after the batch script started */
	ck_assert_ptr_nonnull(strstr(text, "\n    ConnectionAttempts 20\n"));
	free(text);
	ck_assert_int_eq(berth_sshd_hostsfile_text(hosts, 2, BERTH_HOSTSFILE_OPENMPI, &text, &err), 0);
	ck_assert_str_eq(text, "n1 slots=2\nn2 slots=1\n");
	free(text);
	ck_assert_int_eq(berth_sshd_hostsfile_text(hosts, 2, BERTH_HOSTSFILE_HYDRA, &text, &err), 0);
	ck_assert_str_eq(text, "n1:2\nn2:1\n");
	free(text);
	{
		/* Slurm's own hydra bootstrap (23.11+) is replaced, the job's stays */
		const struct berth_env_default *boot = NULL, *extra = NULL, *plm = NULL;
		const char *value = "unchanged";

		for (size_t i = 0; i < berth_ssh_launcher_env_count; i++) {
			const struct berth_env_default *d = &berth_ssh_launcher_env[i];
			if (strcmp(d->name, "HYDRA_BOOTSTRAP") == 0)
				boot = d;
			else if (strcmp(d->name, "HYDRA_LAUNCHER_EXTRA_ARGS") == 0)
				extra = d;
			else if (strcmp(d->name, "OMPI_MCA_plm") == 0)
				plm = d;
		}
		ck_assert(boot && extra && plm);
		ck_assert(berth_ssh_launcher_change(boot, NULL, &value) && strcmp(value, "ssh") == 0);
		ck_assert(berth_ssh_launcher_change(boot, "slurm", &value) && strcmp(value, "ssh") == 0);
		ck_assert(!berth_ssh_launcher_change(boot, "rsh", &value));
		ck_assert(berth_ssh_launcher_change(extra, "--external-launcher", &value) && value == NULL);
		ck_assert(!berth_ssh_launcher_change(extra, NULL, &value));
		ck_assert(!berth_ssh_launcher_change(extra, "-v", &value));
		ck_assert(berth_ssh_launcher_change(plm, NULL, &value) && strcmp(value, "rsh") == 0);
		ck_assert(!berth_ssh_launcher_change(plm, "slurm", &value));   /* the job chose it */
	}
	/* n2's address is its name: nothing to add for it */
	ck_assert_int_eq(berth_sshd_etc_hosts_text(hosts, 2, &text, &err), 0);
	ck_assert_str_eq(text, "# berth: the job's nodes\n10.77.0.11 n1\n");
	free(text);
	ck_assert_int_eq(berth_ssh_refused_text("no sshd: it's `$(id)` \"shared\"\n", &text, &err), 0);
	ck_assert_ptr_nonnull(strstr(text, "echo 'berth: no sshd: it?s ?" "?(id)? ?shared?" "?' >&2\n"));
	free(text);
}
END_TEST

/* ------------------------------------------------------------ cgroups */

static void make_dirs(const char *const *dirs)
{
	char path[512];

	for (; *dirs; dirs++) {
		snprintf(path, sizeof(path), "%s/%s", tmp_dir, *dirs);
		for (char *p = path + strlen(tmp_dir) + 1; (p = strchr(p, '/')); p++) {
			*p = '\0';
			mkdir(path, 0755);
			*p = '/';
		}
		ck_assert_msg(mkdir(path, 0755) == 0 || errno == EEXIST, "%s", path);
		strcat(path, "/cgroup.procs");
		close(open(path, O_WRONLY | O_CREAT, 0644));
	}
}

static const char v1_self[] =
	"13:name=systemd:/\n"
	"10:freezer:/slurm_n1/uid_2001/job_42\n"
	"9:cpu,cpuacct:/\n"
	"7:memory:/slurm_n1/uid_2001/job_42/step_extern\n"
	"4:cpuset:/slurm_n1/uid_2001/job_42/step_extern\n"
	"0::/\n";

START_TEST(v1_adopts_into_every_step_extern)
{
	const char *const dirs[] = {
		"freezer/slurm_n1/uid_2001/job_42/step_extern",
		"memory/slurm_n1/uid_2001/job_42/step_extern",
		"cpuset/slurm_n1/uid_2001/job_42/step_extern",
		"memory/slurm_n1/uid_2001/job_420/step_extern",   /* another job */
		"cpu,cpuacct", "name=systemd", NULL,
	};
	struct berth_error err = BERTH_ERROR_INIT;
	char mem[512], path[512];

	make_dirs(dirs);
	ck_assert_int_eq(berth_cgroup_adopt_extern(tmp_dir, BERTH_CGROUP_V1, v1_self, 42, 4711, mem,
						   sizeof(mem), &err), 3);
	snprintf(path, sizeof(path), "%s/memory/slurm_n1/uid_2001/job_42/step_extern", tmp_dir);
	ck_assert_str_eq(mem, path);
	ck_assert_str_eq(slurp(strcat(path, "/cgroup.procs")), "4711\n");
	snprintf(path, sizeof(path), "%s/freezer/slurm_n1/uid_2001/job_42/step_extern/cgroup.procs",
		 tmp_dir);
	ck_assert_str_eq(slurp(path), "4711\n");
	snprintf(path, sizeof(path), "%s/memory/slurm_n1/uid_2001/job_420/step_extern/cgroup.procs",
		 tmp_dir);
	ck_assert_str_eq(slurp(path), "");
	/* job 4 is not job 42: "job_4" must be a whole component */
	ck_assert_int_eq(berth_cgroup_adopt_extern(tmp_dir, BERTH_CGROUP_V1, v1_self, 4, 1, mem,
						   sizeof(mem), &err), 0);
	ck_assert_str_eq(mem, "");
}
END_TEST

START_TEST(v2_adopts_into_task_special)
{
	/* Slurm 22.05 cgroup/v2: stepd in step_extern/slurm, the extern
	 * step's processes in step_extern/user/task_special. */
	const char *const dirs[] = {
		"system.slice/slurmstepd.scope/job_42/step_extern/slurm",
		"system.slice/slurmstepd.scope/job_42/step_extern/user/task_special", NULL,
	};
	const char self[] = "0::/system.slice/slurmstepd.scope/job_42/step_extern/slurm\n";
	struct berth_error err = BERTH_ERROR_INIT;
	char mem[512], path[512];

	make_dirs(dirs);
	ck_assert_int_eq(berth_cgroup_adopt_extern(tmp_dir, BERTH_CGROUP_V2, self, 42, 4711, mem,
						   sizeof(mem), &err), 1);
	snprintf(path, sizeof(path), "%s/system.slice/slurmstepd.scope/job_42/step_extern/user/task_special",
		 tmp_dir);
	ck_assert_str_eq(mem, path);
	ck_assert_str_eq(slurp(strcat(path, "/cgroup.procs")), "4711\n");
	/* the v1 lines of a hybrid host are not read as v2, and vice versa */
	ck_assert_int_eq(berth_cgroup_adopt_extern(tmp_dir, BERTH_CGROUP_V2, v1_self, 42, 1, mem,
						   sizeof(mem), &err), 0);
	ck_assert_int_eq(berth_cgroup_adopt_extern(tmp_dir, BERTH_CGROUP_V1, self, 42, 1, mem,
						   sizeof(mem), &err), 0);
}
END_TEST

START_TEST(no_slurm_cgroup_no_adoption)
{
	struct berth_error err = BERTH_ERROR_INIT;
	char mem[64];

	/* proctrack/linuxproc + task/none: the stepd is in no job cgroup */
	ck_assert_int_eq(berth_cgroup_adopt_extern(tmp_dir, BERTH_CGROUP_V1, "7:memory:/\n4:freezer:/\n",
						   42, 1, mem, sizeof(mem), &err), 0);
	ck_assert_int_eq(berth_cgroup_adopt_extern(tmp_dir, BERTH_CGROUP_NONE, v1_self, 42, 1, mem,
						   sizeof(mem), &err), 0);
	ck_assert_int_eq(berth_cgroup_detect(tmp_dir), BERTH_CGROUP_NONE);
}
END_TEST

START_TEST(this_host_is_detected)
{
	enum berth_cgroup_mode mode = berth_cgroup_detect(BERTH_CGROUP_ROOT);
	char own[512];

	/* whatever the host runs, the answer agrees with /proc/self/cgroup */
	ck_assert_int_eq(berth_cgroup_of(getpid(), mode, own, sizeof(own)), 0);
	if (mode != BERTH_CGROUP_NONE)
		ck_assert_msg(own[0] == '/', "mode %s, own cgroup \"%s\"", berth_cgroup_mode_name(mode), own);
}
END_TEST

/* The prolog's environment as a test sets it: NULL-terminated name, value pairs. */
static const char *const *fake_env;

static const char *fake_getenv(const char *name)
{
	for (size_t i = 0; fake_env[i]; i += 2)
		if (strcmp(fake_env[i], name) == 0)
			return fake_env[i + 1];
	return NULL;
}

START_TEST(prolog_env_of_22_05_is_not_present)
{
	static const char *const env[] = { "SLURM_JOB_NODELIST", "n[1-3]", "SLURM_JOB_ID", "7", NULL };
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_prolog_job pj;

	fake_env = env;
	ck_assert_int_eq(berth_prolog_job_read(fake_getenv, &pj, &err), 0);
	ck_assert(!pj.present);
	ck_assert_uint_eq(berth_prolog_job_tasks_on(&pj, 0), 0);   /* ask slurmctld */
}
END_TEST

START_TEST(prolog_env_exclusive_spreads_tasks)
{
	static const char *const env[] = { "SLURM_JOB_OVERSUBSCRIBE", "NO", "SLURM_JOB_NODELIST", "n[1-3]",
					   "SLURM_JOB_NUM_NODES", "3", "SLURM_JOB_NTASKS", "7", NULL };
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_prolog_job pj;

	fake_env = env;
	ck_assert_int_eq(berth_prolog_job_read(fake_getenv, &pj, &err), 0);
	ck_assert(pj.present && pj.exclusive);
	ck_assert_str_eq(pj.node_list, "n[1-3]");
	/* 7 tasks on 3 nodes: 3 2 2, as slurmctld's answer gave */
	ck_assert_uint_eq(berth_prolog_job_tasks_on(&pj, 0), 3);
	ck_assert_uint_eq(berth_prolog_job_tasks_on(&pj, 1), 2);
	ck_assert_uint_eq(berth_prolog_job_tasks_on(&pj, 2), 2);
	ck_assert_uint_eq(berth_prolog_job_tasks_on(&pj, 3), 0);
}
END_TEST

/* Every sharing but "NO" is shared (scontrol's words: YES, OK, USER, MCS, TOPO). */
static const char *const shared_values[] = { "YES", "OK", "USER", "MCS", "TOPO", "no", "" };

START_TEST(prolog_env_shared)
{
	const char *env[] = { "SLURM_JOB_OVERSUBSCRIBE", shared_values[_i], "SLURM_JOB_NUM_NODES", "1",
			      "SLURM_JOB_NTASKS", "1", NULL };
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_prolog_job pj;

	fake_env = env;
	ck_assert_int_eq(berth_prolog_job_read(fake_getenv, &pj, &err), 0);
	ck_assert(pj.present);
	ck_assert_msg(!pj.exclusive, "\"%s\" taken for exclusive", shared_values[_i]);
}
END_TEST

/* 26.05: OVERSUBSCRIBE=NO for a job on a shared node; EXCLUSIVE decides. */
static const char *const exclusive_26_05[][2] = {
	{ "NODE", "1" }, { "NO", "0" }, { "USER", "0" }, { "MCS", "0" }, { "TOPO", "0" }, { "", "0" },
};

START_TEST(prolog_env_26_05_exclusive_decides)
{
	const char *env[] = { "SLURM_JOB_OVERSUBSCRIBE", "NO", "SLURM_JOB_EXCLUSIVE", exclusive_26_05[_i][0],
			      "SLURM_JOB_NUM_NODES", "1", "SLURM_JOB_NTASKS", "1", NULL };
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_prolog_job pj;

	fake_env = env;
	ck_assert_int_eq(berth_prolog_job_read(fake_getenv, &pj, &err), 0);
	ck_assert(pj.present);
	ck_assert_msg(pj.exclusive == (exclusive_26_05[_i][1][0] == '1'), "SLURM_JOB_EXCLUSIVE=\"%s\"",
		      exclusive_26_05[_i][0]);
}
END_TEST

/* Tasks per node from the environment alone, or 0 (ask slurmctld).  No -n:
 * one task a node, which slurmctld's answer gives too (it reports the node
 * count as the task count of a running job without one); NO_VAL is Slurm's
 * "not set".  Fewer tasks than nodes (Slurm refuses that: not slurmd's) or
 * no node count: not known here. */
static const struct {
	const char *env[9];
	unsigned tasks[4];
} task_count_cases[] = {
	{ { "SLURM_JOB_OVERSUBSCRIBE", "NO", "SLURM_JOB_NUM_NODES", "3", NULL }, { 1, 1, 1, 0 } },
	{ { "SLURM_JOB_OVERSUBSCRIBE", "NO", "SLURM_JOB_NUM_NODES", "3", "SLURM_JOB_NTASKS", "4294967294", NULL },
	  { 1, 1, 1, 0 } },
	{ { "SLURM_JOB_OVERSUBSCRIBE", "NO", "SLURM_JOB_NUM_NODES", "3", "SLURM_JOB_NTASKS", "2", NULL },
	  { 0, 0, 0, 0 } },
	{ { "SLURM_JOB_OVERSUBSCRIBE", "NO", "SLURM_JOB_NTASKS", "2", NULL }, { 0, 0, 0, 0 } },
	{ { "SLURM_JOB_OVERSUBSCRIBE", "NO", NULL }, { 0, 0, 0, 0 } },
};

START_TEST(prolog_env_task_counts)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_prolog_job pj;

	fake_env = task_count_cases[_i].env;
	ck_assert_int_eq(berth_prolog_job_read(fake_getenv, &pj, &err), 0);
	ck_assert(pj.present && pj.exclusive);
	for (size_t node = 0; node < 4; node++)
		ck_assert_msg(berth_prolog_job_tasks_on(&pj, node) == task_count_cases[_i].tasks[node],
			      "case %d node %zu: %u", _i, node, berth_prolog_job_tasks_on(&pj, node));
}
END_TEST

static const char *const bad_counts[] = { "", "-1", "+3", " 3", "3 ", "3x", "4294967296", "0x10" };

START_TEST(prolog_env_bad_count_is_an_error)
{
	const char *env[] = { "SLURM_JOB_OVERSUBSCRIBE", "NO", "SLURM_JOB_NUM_NODES", bad_counts[_i], NULL };
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_prolog_job pj;

	fake_env = env;
	ck_assert_int_eq(berth_prolog_job_read(fake_getenv, &pj, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "SLURM_JOB_NUM_NODES"));
}
END_TEST

static Suite *sshd_suite(void)
{
	Suite *s = suite_create("sshd");
	TCase *tc = tcase_create("sshd");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, good_key_is_normalized);
	tcase_add_loop_test(tc, bad_key_is_refused, 0, ARRAY_LEN(bad_keys));
	tcase_add_test(tc, request_round_trip);
	tcase_add_test(tc, hosts_parse);
	tcase_add_loop_test(tc, bad_hosts_refused, 0, ARRAY_LEN(bad_hosts));
	tcase_add_test(tc, generated_texts);
	tcase_add_test(tc, v1_adopts_into_every_step_extern);
	tcase_add_test(tc, v2_adopts_into_task_special);
	tcase_add_test(tc, no_slurm_cgroup_no_adoption);
	tcase_add_test(tc, this_host_is_detected);
	tcase_add_test(tc, prolog_env_of_22_05_is_not_present);
	tcase_add_test(tc, prolog_env_exclusive_spreads_tasks);
	tcase_add_loop_test(tc, prolog_env_shared, 0, ARRAY_LEN(shared_values));
	tcase_add_loop_test(tc, prolog_env_26_05_exclusive_decides, 0, ARRAY_LEN(exclusive_26_05));
	tcase_add_loop_test(tc, prolog_env_task_counts, 0, ARRAY_LEN(task_count_cases));
	tcase_add_loop_test(tc, prolog_env_bad_count_is_an_error, 0, ARRAY_LEN(bad_counts));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(sshd_suite());
}
