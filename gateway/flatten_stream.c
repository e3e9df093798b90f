/*
 * flatten_stream.c - decompress a layer blob in its own thread.
 *
 * Inflating gzip costs about as much CPU as compressing the image at a low
 * level; done on the thread that also parses the tar and feeds the block
 * processor it would be the bottleneck.  A producer thread runs libarchive's
 * "raw" format (gzip, zstd or none, recognized by content) into a small ring
 * of chunks; the tar parser reads the ring through archive_read_open().
 * Memory is bounded by the ring (FL_STREAM_SLOTS x FL_STREAM_CHUNK).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>

#include "flatten_internal.h"

#define FL_STREAM_SLOTS 4
#define FL_STREAM_CHUNK ((size_t)1 << 20)

struct fl_stream {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int fd;
	unsigned char *buf[FL_STREAM_SLOTS];
	size_t len[FL_STREAM_SLOTS];
	size_t head;   /* next chunk for the reader */
	size_t tail;   /* next chunk the producer fills */
	bool held;     /* the reader holds chunk head until its next read */
	bool done;     /* producer finished (end of data or error) */
	bool stop;     /* reader gave up */
	int error;
	char msg[256];
};

static void producer_failed(struct fl_stream *s, struct archive *ar, const char *fallback)
{
	const char *text = ar ? archive_error_string(ar) : NULL;

	pthread_mutex_lock(&s->lock);
	s->error = ar && archive_errno(ar) > 0 ? archive_errno(ar) : EINVAL;
	snprintf(s->msg, sizeof(s->msg), "%s", text ? text : fallback);
	pthread_mutex_unlock(&s->lock);
}

/* Returns the slot to fill next, or -1 once the reader stopped. */
static int wait_for_slot(struct fl_stream *s)
{
	int slot;

	pthread_mutex_lock(&s->lock);
	while (s->tail - s->head == FL_STREAM_SLOTS && !s->stop)
		pthread_cond_wait(&s->cond, &s->lock);
	slot = s->stop ? -1 : (int)(s->tail % FL_STREAM_SLOTS);
	pthread_mutex_unlock(&s->lock);
	return slot;
}

static void produce(struct fl_stream *s, struct archive *ar)
{
	struct archive_entry *e;
	int rc = archive_read_next_header(ar, &e);

	if (rc == ARCHIVE_EOF)
		return;  /* an empty blob: an empty layer */
	if (rc < ARCHIVE_WARN) {
		producer_failed(s, ar, "cannot decompress");
		return;
	}
	for (;;) {
		int slot = wait_for_slot(s);
		la_ssize_t n;

		if (slot < 0)
			return;
		n = archive_read_data(ar, s->buf[slot], FL_STREAM_CHUNK);
		if (n < 0) {
			producer_failed(s, ar, "cannot decompress");
			return;
		}
		if (n == 0)
			return;
		pthread_mutex_lock(&s->lock);
		s->len[slot] = (size_t)n;
		s->tail++;
		pthread_cond_broadcast(&s->cond);
		pthread_mutex_unlock(&s->lock);
	}
}

static void *producer(void *arg)
{
	struct fl_stream *s = arg;
	struct archive *ar = archive_read_new();

	if (!ar) {
		producer_failed(s, NULL, "out of memory");
	} else {
		archive_read_support_filter_gzip(ar);
		archive_read_support_filter_zstd(ar);
		archive_read_support_format_raw(ar);
		archive_read_support_format_empty(ar);
		if (archive_read_open_fd(ar, s->fd, FL_STREAM_CHUNK) != ARCHIVE_OK)
			producer_failed(s, ar, "cannot read");
		else
			produce(s, ar);
		archive_read_free(ar);
	}
	pthread_mutex_lock(&s->lock);
	s->done = true;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

la_ssize_t fl_stream_read(struct archive *ar, void *client, const void **out)
{
	struct fl_stream *s = client;
	la_ssize_t n = 0;

	pthread_mutex_lock(&s->lock);
	if (s->held) {
		s->head++;
		s->held = false;
		pthread_cond_broadcast(&s->cond);
	}
	while (s->head == s->tail && !s->done)
		pthread_cond_wait(&s->cond, &s->lock);
	if (s->head != s->tail) {
		*out = s->buf[s->head % FL_STREAM_SLOTS];
		n = (la_ssize_t)s->len[s->head % FL_STREAM_SLOTS];
		s->held = true;
	} else if (s->error) {
		archive_set_error(ar, s->error, "%s", s->msg);
		n = -1;
	}
	pthread_mutex_unlock(&s->lock);
	return n;
}

static void stream_free(struct fl_stream *s)
{
	for (size_t i = 0; i < FL_STREAM_SLOTS; i++)
		free(s->buf[i]);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

struct fl_stream *fl_stream_start(int fd, int *error)
{
	struct fl_stream *s = calloc(1, sizeof(*s));
	sigset_t all, old;
	int rc;

	if (!s) {
		*error = ENOMEM;
		return NULL;
	}
	s->fd = fd;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	for (size_t i = 0; i < FL_STREAM_SLOTS; i++) {
		s->buf[i] = malloc(FL_STREAM_CHUNK);
		if (!s->buf[i]) {
			stream_free(s);
			*error = ENOMEM;
			return NULL;
		}
	}
	/* the daemon's signals are for its main thread */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&s->thread, NULL, producer, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		stream_free(s);
		*error = rc;
		return NULL;
	}
	return s;
}

void fl_stream_stop(struct fl_stream *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->stop = true;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	stream_free(s);
}
