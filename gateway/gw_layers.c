/*
 * gw_layers.c - the layer cache, and the downloads of one pull running
 * beside its conversion.
 *
 * Layer cache: <state_dir>/layers/<blob digest>, shared by every image.  A
 * blob is downloaded to ".tmp.*" in the same directory (the registry client
 * verifies its digest and size while streaming), fsynced and renamed into
 * place, so a cached file is always complete and verified.  Its mtime is
 * the last use; after each job the least recently used blobs go until the
 * cache is under layer_cache_max (blobs of jobs not finished are kept; 0
 * keeps nothing).
 *
 * One pull: up to GW_LAYER_DOWNLOADS threads fetch its layers top layer
 * first, the order the flattener reads them, while the worker flattens
 * (gw_layers_source): a layer is converted while it arrives and the layers
 * below it download.  What the flattener read is not trusted by itself:
 * the image is published only after gw_layers_finish() saw every download
 * verified, and a download that started over after the flattener opened
 * its file (a retry: the bytes before and after may differ) makes the
 * caller convert again from the verified files.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "berth_log.h"
#include "gw_service_internal.h"

#define WAKE_STEP ((uint64_t)256 << 10)   /* a waiting reader is woken per this much */
#define WAIT_TICK_MS 200                  /* ... or this often, to notice it gave up */

enum slot_state { SLOT_WAITING, SLOT_ARRIVING, SLOT_DONE, SLOT_FAILED };

struct layer_slot {
	char path[4096];       /* the temporary file while arriving, then the cached blob */
	uint64_t have;         /* bytes in the file */
	uint64_t wake_at;      /* a reader waits until have reaches this */
	enum slot_state state;
	bool opened;           /* the flattener has a descriptor on it */
	bool restarted;        /* ... and the download started over after that */
};

struct gw_layer_fetch {
	struct gw_service *svc;
	struct gw_job *job;
	struct registry_client *client;
	size_t n;
	struct layer_slot *slots;
	pthread_mutex_t lock;
	pthread_cond_t cond;       /* CLOCK_MONOTONIC */
	size_t taken;              /* layers handed to a downloader, from the top */
	size_t finished;           /* layers cached */
	bool failed, cancel;
	struct berth_error err;    /* the first failure */
	pthread_t threads[GW_LAYER_DOWNLOADS];
	unsigned nthreads;
};

/* ------------------------------------------------------------ downloading */
struct blob_sink {
	struct gw_layer_fetch *f;
	struct layer_slot *slot;
	int fd;
	uint64_t written;
};

static int sink_write(void *arg, const void *data, size_t len)
{
	struct blob_sink *s = arg;
	struct gw_layer_fetch *f = s->f;
	const char *p = data;
	bool stop;

	GW_COUNT_ADD(f->svc, n_download_bytes, len);
	pthread_mutex_lock(&f->svc->lock);
	stop = f->svc->stopping;
	f->job->progress.bytes_done += len;
	pthread_mutex_unlock(&f->svc->lock);
	pthread_mutex_lock(&f->lock);
	stop = stop || f->cancel;
	pthread_mutex_unlock(&f->lock);
	if (stop) {
		errno = ECANCELED;
		return -1;
	}
	while (len) {
		ssize_t n = write(s->fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
		s->written += (uint64_t)n;
	}
	pthread_mutex_lock(&f->lock);
	s->slot->have = s->written;
	if (s->slot->have >= s->slot->wake_at)
		pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->lock);
	return 0;
}

static int sink_rewind(void *arg)
{
	struct blob_sink *s = arg;
	struct gw_job *job = s->f->job;

	if (ftruncate(s->fd, 0) < 0 || lseek(s->fd, 0, SEEK_SET) < 0)
		return -1;
	pthread_mutex_lock(&s->f->svc->lock);
	job->progress.bytes_done -= s->written < job->progress.bytes_done ? s->written
									  : job->progress.bytes_done;
	pthread_mutex_unlock(&s->f->svc->lock);
	pthread_mutex_lock(&s->f->lock);
	s->slot->have = 0;
	s->slot->restarted = s->slot->opened;
	pthread_mutex_unlock(&s->f->lock);
	s->written = 0;
	return 0;
}

/* Into a temporary file the flattener may read as it grows, then renamed
 * into the cache (under f->lock: an open never finds the file gone). */
static int download_blob(struct gw_layer_fetch *f, struct layer_slot *slot,
			 const struct registry_descriptor *d, const char *path, struct berth_error *err)
{
	struct gw_service *svc = f->svc;
	char tmp[4096];
	struct blob_sink sink = { f, slot, -1, 0 };
	struct registry_sink rs = { sink_write, sink_rewind, &sink };
	int rc;

	gw_tmp_name(svc, svc->layers_dir, d->digest + 7, tmp, sizeof(tmp));
	sink.fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (sink.fd < 0)
		return berth_error_errno(err, errno, "layer cache: create %s", tmp);
	pthread_mutex_lock(&f->lock);
	snprintf(slot->path, sizeof(slot->path), "%s", tmp);
	slot->state = SLOT_ARRIVING;
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->lock);
	GW_COUNT(svc, n_blob_downloads);
	rc = registry_fetch_blob(f->client, &f->job->ref, d->digest, (int64_t)d->size, &rs, err);
	if (rc == 0 && fdatasync(sink.fd) < 0)
		rc = berth_error_errno(err, errno, "layer cache: fsync %s", tmp);
	if (close(sink.fd) < 0 && rc == 0)
		rc = berth_error_errno(err, errno, "layer cache: close %s", tmp);
	pthread_mutex_lock(&f->lock);
	if (rc == 0 && rename(tmp, path) < 0)
		rc = berth_error_errno(err, errno, "layer cache: rename to %s", path);
	if (rc == 0)
		snprintf(slot->path, sizeof(slot->path), "%s", path);
	pthread_mutex_unlock(&f->lock);
	if (rc < 0)
		unlink(tmp);
	return rc;
}

static int fetching_index(const struct gw_service *svc, const char *digest)
{
	for (unsigned i = 0; i < svc->nfetching; i++)
		if (!strcmp(svc->fetching[i], digest))
			return (int)i;
	return -1;
}

/* Is the blob cached?  Counts a hit and touches it (svc->lock held). */
static bool cache_hit(struct gw_service *svc, struct gw_job *job, const struct registry_descriptor *d,
		      const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != d->size)
		return false;
	utimensat(AT_FDCWD, path, NULL, 0);
	GW_COUNT(svc, n_cache_hits);
	job->progress.bytes_done += d->size;
	return true;
}

/* Layer i cached at slot->path, downloaded if missing.  One download per
 * blob at a time: a job that needs a blob another job is fetching waits
 * for it (at most GW_LAYER_DOWNLOADS blobs per worker are in svc->fetching). */
static int cache_layer(struct gw_layer_fetch *f, size_t i, struct berth_error *err)
{
	struct gw_service *svc = f->svc;
	const struct registry_descriptor *d = &f->job->manifest.layers[i];
	char path[4096];
	int rc, k;

	snprintf(path, sizeof(path), "%s/%s", svc->layers_dir, d->digest);
	pthread_mutex_lock(&svc->lock);
	if (fetching_index(svc, d->digest) >= 0)
		GW_COUNT(svc, n_layer_joins);   /* single-flight: another pull downloads it */
	while (fetching_index(svc, d->digest) >= 0)
		pthread_cond_wait(&svc->fetch_cond, &svc->lock);
	if (cache_hit(svc, f->job, d, path)) {
		pthread_mutex_unlock(&svc->lock);
		pthread_mutex_lock(&f->lock);
		snprintf(f->slots[i].path, sizeof(f->slots[i].path), "%s", path);
		f->slots[i].have = d->size;
		pthread_mutex_unlock(&f->lock);
		return 0;
	}
	snprintf(svc->fetching[svc->nfetching++], sizeof(*svc->fetching), "%s", d->digest);
	pthread_mutex_unlock(&svc->lock);

	rc = download_blob(f, &f->slots[i], d, path, err);

	pthread_mutex_lock(&svc->lock);
	k = fetching_index(svc, d->digest);
	svc->fetching[k][0] = '\0';
	memmove(svc->fetching[k], svc->fetching[svc->nfetching - 1], sizeof(*svc->fetching));
	svc->nfetching--;
	pthread_cond_broadcast(&svc->fetch_cond);
	pthread_mutex_unlock(&svc->lock);
	return rc < 0 ? berth_error_prefix(err, "layer %s", d->digest) : 0;
}

static void *fetch_thread(void *arg)
{
	struct gw_layer_fetch *f = arg;

	for (;;) {
		struct berth_error err = BERTH_ERROR_INIT;
		size_t i;
		bool last;
		int rc;

		pthread_mutex_lock(&f->lock);
		if (f->failed || f->cancel || f->taken == f->n) {
			pthread_mutex_unlock(&f->lock);
			return NULL;
		}
		i = f->n - 1 - f->taken++;
		pthread_mutex_unlock(&f->lock);
		rc = cache_layer(f, i, &err);
		pthread_mutex_lock(&f->lock);
		f->slots[i].state = rc == 0 ? SLOT_DONE : SLOT_FAILED;
		if (rc < 0 && !f->failed)
			f->err = err;
		f->failed = f->failed || rc < 0;
		f->finished += rc == 0;
		pthread_cond_broadcast(&f->cond);
		pthread_mutex_unlock(&f->lock);
		if (rc < 0)
			return NULL;
		pthread_mutex_lock(&f->svc->lock);
		f->job->progress.layers_done++;
		last = f->job->progress.layers_done == f->n;
		pthread_mutex_unlock(&f->svc->lock);
		if (last)   /* the conversion goes on after the last byte */
			gw_job_set_phase(f->svc, f->job, GW_STATUS_CONVERTING, "convert");
	}
}

/* ------------------------------------------------------------ one pull */
int gw_layers_start(struct gw_service *svc, struct gw_job *job, struct registry_client *client,
		    bool background, struct gw_layer_fetch **out, struct berth_error *err)
{
	struct gw_layer_fetch *f = calloc(1, sizeof(*f));
	size_t want = job->manifest.nlayers;
	pthread_condattr_t attr;
	sigset_t all, old;

	*out = NULL;
	if (!f || !(f->slots = calloc(want ? want : 1, sizeof(*f->slots)))) {
		free(f);
		return berth_error_set(err, ENOMEM, "out of memory");
	}
	f->svc = svc;
	f->job = job;
	f->client = client;
	f->n = want;
	pthread_mutex_init(&f->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&f->cond, &attr);
	pthread_condattr_destroy(&attr);
	if (want > GW_LAYER_DOWNLOADS)
		want = GW_LAYER_DOWNLOADS;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	while (background && f->nthreads < want &&
	       pthread_create(&f->threads[f->nthreads], NULL, fetch_thread, f) == 0)
		f->nthreads++;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (f->nthreads == 0)    /* not asked to, or no thread: all of them now */
		fetch_thread(f);
	*out = f;
	return 0;
}

/* Waits for every download, also after the flattener failed: bytes that
 * do not match their digest explain whatever the flattener made of them,
 * so the download's reason is the one to report (and a pull downloads no
 * longer than it did before the overlap). */
static void join_downloads(struct gw_layer_fetch *f, bool cancel)
{
	pthread_mutex_lock(&f->lock);
	f->cancel = f->cancel || cancel;
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->lock);
	for (unsigned t = 0; t < f->nthreads; t++)
		pthread_join(f->threads[t], NULL);
	f->nthreads = 0;
}

int gw_layers_finish(struct gw_layer_fetch *f, bool *restarted, struct berth_error *err)
{
	join_downloads(f, false);
	*restarted = false;
	for (size_t i = 0; i < f->n; i++)
		*restarted = *restarted || f->slots[i].restarted;
	if (f->failed) {
		*err = f->err;
		return -1;
	}
	if (f->finished != f->n)
		return berth_error_set(err, ECANCELED, "layer downloads stopped");
	return 0;
}

const char *gw_layers_path(const struct gw_layer_fetch *f, size_t i)
{
	return f->slots[i].path;
}

void gw_layers_free(struct gw_layer_fetch *f)
{
	if (!f)
		return;
	join_downloads(f, true);
	pthread_cond_destroy(&f->cond);
	pthread_mutex_destroy(&f->lock);
	free(f->slots);
	free(f);
}

/* ------------------------------------------------- the flattener's side */
static int source_failed(struct gw_layer_fetch *f, struct berth_error *err)
{
	if (f->failed)
		*err = f->err;
	else
		berth_error_set(err, ECANCELED, "layer downloads stopped");
	return -1;
}

static int source_open(void *arg, size_t layer, struct berth_error *err)
{
	struct gw_layer_fetch *f = arg;
	struct layer_slot *slot = &f->slots[layer];
	int fd;

	pthread_mutex_lock(&f->lock);
	while (slot->state == SLOT_WAITING && !f->failed && !f->cancel)
		pthread_cond_wait(&f->cond, &f->lock);
	if (slot->state == SLOT_WAITING || slot->state == SLOT_FAILED || f->failed) {
		fd = source_failed(f, err);
	} else {
		fd = open(slot->path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			berth_error_errno(err, errno, "layer cache: open %s", slot->path);
		else
			slot->opened = true;
	}
	pthread_mutex_unlock(&f->lock);
	return fd;
}

static int source_wait(void *arg, size_t layer, uint64_t have, struct berth_error *err)
{
	struct gw_layer_fetch *f = arg;
	struct layer_slot *slot = &f->slots[layer];
	struct timespec until;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_nsec += WAIT_TICK_MS * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&f->lock);
	slot->wake_at = have + WAKE_STEP;
	while (slot->state == SLOT_ARRIVING && slot->have <= have && !f->failed && !f->cancel &&
	       pthread_cond_timedwait(&f->cond, &f->lock, &until) == 0)
		;
	if (slot->state == SLOT_FAILED || f->failed || f->cancel)
		rc = source_failed(f, err);
	else   /* 1 also after a tick with nothing new: the reader may have given up */
		rc = slot->have > have || slot->state == SLOT_ARRIVING;
	pthread_mutex_unlock(&f->lock);
	return rc;
}

void gw_layers_source(struct gw_layer_fetch *f, struct flatten_source *src)
{
	*src = (struct flatten_source){ f, source_open, source_wait };
}

/* ---------------------------------------------------------- cache pruning */
struct cached_blob {
	char name[BERTH_DIGEST_LEN + 1];
	off_t size;
	time_t mtime;
};

static int by_mtime(const void *a, const void *b)
{
	const struct cached_blob *x = a, *y = b;

	return (x->mtime > y->mtime) - (x->mtime < y->mtime);
}

static bool blob_pinned(struct gw_service *svc, const char *digest)
{
	for (struct gw_job *j = svc->jobs; j; j = j->next)
		for (size_t i = 0; i < j->manifest.nlayers; i++)
			if (!strcmp(j->manifest.layers[i].digest, digest))
				return true;
	return false;
}

void gw_layer_cache_prune(struct gw_service *svc)
{
	struct cached_blob *blobs = NULL;
	size_t n = 0, cap = 0;
	uint64_t total = 0;
	DIR *d = opendir(svc->layers_dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		struct stat st;

		if (strncmp(e->d_name, "sha256:", 7) || strlen(e->d_name) > BERTH_DIGEST_LEN ||
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (n == cap) {
			struct cached_blob *grown = realloc(blobs, (cap ? cap * 2 : 64) * sizeof(*blobs));

			if (!grown)
				break;
			blobs = grown;
			cap = cap ? cap * 2 : 64;
		}
		snprintf(blobs[n].name, sizeof(blobs[n].name), "%s", e->d_name);
		blobs[n].size = st.st_size;
		blobs[n].mtime = st.st_mtime;
		total += (uint64_t)st.st_size;
		n++;
	}
	if (blobs && total > svc->cfg->layer_cache_max) {
		qsort(blobs, n, sizeof(*blobs), by_mtime);
		for (size_t i = 0; i < n && total > svc->cfg->layer_cache_max; i++) {
			if (blob_pinned(svc, blobs[i].name) || unlinkat(dirfd(d), blobs[i].name, 0) < 0)
				continue;
			total -= (uint64_t)blobs[i].size;
		}
	}
	closedir(d);
	free(blobs);
}
