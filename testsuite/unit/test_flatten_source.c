/*
 * test_flatten_source.c - flatten_layers_from(): layers read while they are
 * still being written (a download in progress), top layer first.
 *
 * A writer thread copies the layer files in small pieces, top layer first,
 * the way the gateway's downloads fill the layer cache; the source lets the
 * flattener open a file once it exists and wait at its end.  The image must
 * be byte-identical to the one made from the complete files.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flatten.h"
#include "test_flatten_cases.h"
#include "test_flatten_util.h"
#include "unit.h"

#define GROW_MAX 8
#define GROW_PIECE 7001   /* odd: pieces never line up with tar blocks */

struct grow {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	const char *from[GROW_MAX];
	char *to[GROW_MAX];
	size_t n;
	uint64_t written[GROW_MAX];
	bool created[GROW_MAX];
	bool done[GROW_MAX];
	size_t fail_layer;        /* GROW_MAX: none; else that layer's download fails */
	uint64_t fail_at;         /* ... after this many bytes */
	size_t opened[GROW_MAX];  /* the order the flattener asked for the layers */
	size_t nopened;
	unsigned waits;           /* wait_more calls that found the file short */
};

static void grow_copy(struct grow *g, size_t i)
{
	char buf[GROW_PIECE];
	int in = open(g->from[i], O_RDONLY | O_CLOEXEC);
	int out = open(g->to[i], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ssize_t n;

	ck_assert(in >= 0 && out >= 0);
	pthread_mutex_lock(&g->lock);
	g->created[i] = true;
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		ck_assert_int_eq(write(out, buf, (size_t)n), n);
		pthread_mutex_lock(&g->lock);
		g->written[i] += (uint64_t)n;
		pthread_cond_broadcast(&g->cond);
		pthread_mutex_unlock(&g->lock);
		if (i == g->fail_layer && g->written[i] >= g->fail_at)
			break;
		usleep(200);   /* let the reader catch up and wait */
	}
	close(in);
	close(out);
	pthread_mutex_lock(&g->lock);
	g->done[i] = true;
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
}

static void *grow_writer(void *arg)
{
	struct grow *g = arg;

	for (size_t i = g->n; i-- > 0;)
		grow_copy(g, i);
	return NULL;
}

static int grow_open(void *arg, size_t layer, struct berth_error *err)
{
	struct grow *g = arg;
	int fd;

	pthread_mutex_lock(&g->lock);
	g->opened[g->nopened++] = layer;
	while (!g->created[layer])
		pthread_cond_wait(&g->cond, &g->lock);
	pthread_mutex_unlock(&g->lock);
	fd = open(g->to[layer], O_RDONLY | O_CLOEXEC);
	return fd < 0 ? berth_error_errno(err, errno, "open") : fd;
}

static int grow_wait(void *arg, size_t layer, uint64_t have, struct berth_error *err)
{
	struct grow *g = arg;
	int rc;

	pthread_mutex_lock(&g->lock);
	if (g->written[layer] <= have && !g->done[layer])
		g->waits++;
	while (g->written[layer] <= have && !g->done[layer])
		pthread_cond_wait(&g->cond, &g->lock);
	if (layer == g->fail_layer && g->done[layer])
		rc = berth_error_set(err, EBADMSG, "blob sha256:feed: digest mismatch");
	else
		rc = g->written[layer] > have;
	pthread_mutex_unlock(&g->lock);
	return rc;
}

static void grow_init(struct grow *g, const char *dir, const char *const *paths, size_t n)
{
	char name[32];

	memset(g, 0, sizeof(*g));
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->cond, NULL);
	g->n = n;
	g->fail_layer = GROW_MAX;
	for (size_t i = 0; i < n; i++) {
		g->from[i] = paths[i];
		snprintf(name, sizeof(name), "arriving%zu", i);
		g->to[i] = strdup(tl_path(dir, name));
	}
}

static void grow_free(struct grow *g)
{
	for (size_t i = 0; i < g->n; i++) {
		unlink(g->to[i]);
		free(g->to[i]);
	}
	pthread_cond_destroy(&g->cond);
	pthread_mutex_destroy(&g->lock);
}

/* One big gzip layer on top of a case whose lowest layer needs the second
 * pass for a hard link (hl_hidden: gzip, then plain). */
static size_t write_stack(const char *dir, const char **paths)
{
	static const struct tl_entry big[] = {
		{ .type = 'f', .path = "opt/big", .gen_size = 3000000, .gen_seed = 9 },
		{ .type = 'f', .path = "opt/small", .data = "x" },
		{ 0 },
	};
	size_t i, n = 0;

	for (i = 0; i < flat_case_count; i++)
		if (!strcmp(flat_cases[i].name, "hard link keeps the content of a replaced target"))
			break;
	ck_assert(i < flat_case_count);
	n = tc_write_layers(dir, flat_cases[i].layers, paths);
	paths[n] = strdup(tl_path(dir, "big.gz"));
	ck_assert_int_eq(tl_write_layer(paths[n++], TL_GZIP, big), 0);
	return n;
}

START_TEST(test_growing_layers_same_image)
{
	struct flatten_options opts = { .workers = 2 };
	struct berth_error err = BERTH_ERROR_INIT;
	char *dir = tl_tmpdir();
	const char *paths[GROW_MAX];
	size_t n = write_stack(dir, paths);
	const char *whole = strdup(tl_path(dir, "whole.sqfs")), *grown = strdup(tl_path(dir, "grown.sqfs"));
	struct grow g;
	struct flatten_source src;
	pthread_t writer;

	ck_assert_msg(flatten_layers(paths, n, whole, &opts, NULL, &err) == 0, "%s", err.msg);
	grow_init(&g, dir, paths, n);
	src = (struct flatten_source){ &g, grow_open, grow_wait };
	ck_assert_int_eq(pthread_create(&writer, NULL, grow_writer, &g), 0);
	ck_assert_msg(flatten_layers_from(&src, n, grown, &opts, NULL, &err) == 0, "%s", err.msg);
	pthread_join(writer, NULL);
	ck_assert_int_eq(tl_cmp_files(whole, grown), 0);
	/* top first, each once (the second pass reads the same descriptor) */
	ck_assert_uint_eq(g.nopened, n);
	for (size_t i = 0; i < n; i++)
		ck_assert_uint_eq(g.opened[i], n - 1 - i);
	ck_assert_uint_gt(g.waits, 0);   /* it did read while the files grew */
	grow_free(&g);
	tc_free_paths(paths, n);
	free((char *)whole);
	free((char *)grown);
	tl_rmtree(dir);
	free(dir);
}
END_TEST

/* A download that fails under the reader fails the image with its reason,
 * and leaves nothing; so does a layer that never comes. */
static int never_opens(void *arg, size_t layer, struct berth_error *err)
{
	(void)arg;
	return layer == 0 ? berth_error_set(err, ECONNRESET, "download of sha256:beef failed") : -1;
}

static int opens_top(void *arg, size_t layer, struct berth_error *err)
{
	const char *const *paths = arg;

	if (layer == 0)
		return never_opens(arg, layer, err);
	return open(paths[layer], O_RDONLY | O_CLOEXEC);
}

START_TEST(test_failing_source)
{
	struct berth_error err = BERTH_ERROR_INIT;
	char *dir = tl_tmpdir();
	const char *paths[GROW_MAX];
	size_t n = write_stack(dir, paths);
	const char *out = strdup(tl_path(dir, "out.sqfs"));
	struct grow g;
	struct flatten_source src;
	pthread_t writer;

	grow_init(&g, dir, paths, n);
	g.fail_layer = n - 1;   /* the big top layer, half way */
	g.fail_at = 100000;
	src = (struct flatten_source){ &g, grow_open, grow_wait };
	ck_assert_int_eq(pthread_create(&writer, NULL, grow_writer, &g), 0);
	ck_assert_int_eq(flatten_layers_from(&src, n, out, NULL, NULL, &err), -1);
	pthread_join(writer, NULL);
	ck_assert_msg(strstr(err.msg, "blob sha256:feed: digest mismatch") != NULL, "%s", err.msg);
	ck_assert_msg(strncmp(err.msg, "layer 3: ", 9) == 0, "%s", err.msg);
	ck_assert_int_eq(access(out, F_OK), -1);
	grow_free(&g);

	src = (struct flatten_source){ (void *)paths, opens_top, NULL };
	ck_assert_int_eq(flatten_layers_from(&src, n, out, NULL, NULL, &err), -1);
	ck_assert_str_eq(err.msg, "layer 1: download of sha256:beef failed");
	ck_assert_int_eq(err.code, ECONNRESET);
	ck_assert_int_eq(access(out, F_OK), -1);
	src.open_layer = NULL;
	ck_assert_int_eq(flatten_layers_from(&src, n, out, NULL, NULL, &err), -1);
	ck_assert_str_eq(err.msg, "no layer source");
	tc_free_paths(paths, n);
	free((char *)out);
	tl_rmtree(dir);
	free(dir);
}
END_TEST

Suite *flatten_source_suite(Suite *s);

Suite *flatten_source_suite(Suite *s)
{
	TCase *tc = tcase_create("source");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_growing_layers_same_image);
	tcase_add_test(tc, test_failing_source);
	suite_add_tcase(s, tc);
	return s;
}
