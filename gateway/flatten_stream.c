/*
 * flatten_stream.c - decompress a layer blob in its own thread.
 *
 * Inflating gzip costs about as much CPU as compressing the image at a low
 * level; done on the thread that also parses the tar and feeds the block
 * processor it would be the bottleneck.  A producer thread runs libarchive's
 * "raw" format (gzip, zstd or none, recognized by content) into a small ring
 * of chunks; the tar parser reads the ring through archive_read_open().
 * Memory is bounded by the ring (FL_STREAM_SLOTS x FL_STREAM_CHUNK).
 * Built with isa-l (HAVE_ISAL), gzip blobs are inflated by isa-l instead.
 * The producer reads the layer's file with read() only: at its end, a
 * source whose file is still growing (a download in progress, flatten.h)
 * says whether more comes, so a layer is inflated while it arrives.
 *
 * The producer also hashes what it inflates (when asked): the sha256 of a
 * layer's uncompressed stream is its diff_id (OCI image spec), checked
 * against the image config without inflating the layer a second time.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>

#include "flatten_internal.h"

#ifdef HAVE_ISAL
#include <isa-l/igzip_lib.h>
#endif

#define FL_STREAM_SLOTS 4
#define FL_STREAM_CHUNK ((size_t)1 << 20)

struct fl_stream {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int fd;
	const struct flatten_source *src;  /* wait_more: the file may grow */
	size_t layer;
	uint64_t pos;           /* bytes read from fd (producer only) */
	unsigned char *in;      /* producer's input buffer (FL_STREAM_CHUNK) */
	size_t in_len;          /* bytes in it not handed to a decoder yet */
	unsigned char *buf[FL_STREAM_SLOTS];
	size_t len[FL_STREAM_SLOTS];
	size_t head;   /* next chunk for the reader */
	size_t tail;   /* next chunk the producer fills */
	bool held;     /* the reader holds chunk head until its next read */
	bool done;     /* producer finished (end of data or error) */
	bool stop;     /* reader gave up */
	EVP_MD_CTX *sha;  /* NULL: not hashing; producer-only until done */
	int error;
	char msg[BERTH_ERROR_MSG_MAX];
};

static void producer_failed(struct fl_stream *s, struct archive *ar, const char *fallback)
{
	const char *text = ar ? archive_error_string(ar) : NULL;

	pthread_mutex_lock(&s->lock);
	s->error = ar && archive_errno(ar) > 0 ? archive_errno(ar) : EINVAL;
	snprintf(s->msg, sizeof(s->msg), "%s", text ? text : fallback);
	pthread_mutex_unlock(&s->lock);
}

static void stream_failed(struct fl_stream *s, int code, const char *msg)
{
	pthread_mutex_lock(&s->lock);
	s->error = code;
	snprintf(s->msg, sizeof(s->msg), "%s", msg);
	pthread_mutex_unlock(&s->lock);
}

static bool stopped(struct fl_stream *s)
{
	bool stop;

	pthread_mutex_lock(&s->lock);
	stop = s->stop;
	pthread_mutex_unlock(&s->lock);
	return stop;
}

/* read() the layer, waiting at the end of a file that is still growing:
 * bytes read, 0 at the end, -1 on error (recorded).  The reader giving up
 * ends the wait at the source's next wake-up. */
static ssize_t input_read(struct fl_stream *s, unsigned char *buf, size_t size)
{
	for (;;) {
		struct berth_error err = BERTH_ERROR_INIT;
		ssize_t n = read(s->fd, buf, size);
		int rc;

		if (n > 0) {
			s->pos += (uint64_t)n;
			return n;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			stream_failed(s, errno, "cannot read the layer");
			return -1;
		}
		if (!s->src || !s->src->wait_more)
			return 0;
		rc = s->src->wait_more(s->src->arg, s->layer, s->pos, &err);
		if (rc == 0)
			return 0;
		if (rc < 0) {
			stream_failed(s, err.code ? err.code : EIO, err.msg[0] ? err.msg : "layer not available");
			return -1;
		}
		if (stopped(s)) {
			stream_failed(s, ECANCELED, "stopped");
			return -1;
		}
	}
}

/* Hand chunk `slot` (n bytes) to the reader; hashed first, in this thread,
 * so the hash sees every inflated byte in order.  -1 if hashing failed. */
static int publish_chunk(struct fl_stream *s, int slot, size_t n)
{
	if (s->sha && EVP_DigestUpdate(s->sha, s->buf[slot], n) != 1) {
		pthread_mutex_lock(&s->lock);
		s->error = ENOMEM;
		snprintf(s->msg, sizeof(s->msg), "cannot hash the layer");
		pthread_mutex_unlock(&s->lock);
		return -1;
	}
	pthread_mutex_lock(&s->lock);
	s->len[slot] = n;
	s->tail++;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	return 0;
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
		if (n == 0 || publish_chunk(s, slot, (size_t)n) < 0)
			return;
	}
}

#ifdef HAVE_ISAL
/* ---- gzip with isa-l ---------------------------------------------------
 * isa-l's inflate is 2-3x faster than zlib's, and inflating is the longest
 * stage of a conversion (one thread per layer).  Members follow each other
 * like gzip(1) reads them; data after the last member that is not another
 * gzip header ends the stream, as in libarchive. */
struct gz_input {
	unsigned char *buf;   /* s->in */
	bool eof;
};

/* Input for the state, keeping what it has not used: at least `want`
 * bytes unless the layer ends first.  1 got them, 0 end of file, -1 error. */
static int gz_refill(struct fl_stream *s, struct gz_input *in, struct inflate_state *st,
		     uint32_t want)
{
	while (st->avail_in < want && !in->eof) {
		ssize_t n;

		if (st->avail_in)
			memmove(in->buf, st->next_in, st->avail_in);
		st->next_in = in->buf;
		n = input_read(s, in->buf + st->avail_in, FL_STREAM_CHUNK - st->avail_in);
		if (n < 0)
			return -1;
		in->eof = n == 0;
		st->avail_in += (uint32_t)n;
	}
	return st->avail_in >= want ? 1 : 0;
}

/* After a member: 1 another member follows (state reset), 0 end, -1 error. */
static int gz_next_member(struct fl_stream *s, struct gz_input *in, struct inflate_state *st)
{
	int rc = gz_refill(s, in, st, 2);

	if (rc <= 0)
		return rc;
	if (st->next_in[0] != 0x1f || st->next_in[1] != 0x8b)
		return 0;
	{
		uint8_t *next = st->next_in;
		uint32_t avail = st->avail_in;

		isal_inflate_reset(st);
		st->crc_flag = ISAL_GZIP;
		st->next_in = next;
		st->avail_in = avail;
	}
	return 1;
}

/* Fill one chunk: its length, 0 at the end, -1 on error. */
static ssize_t gz_fill(struct fl_stream *s, struct gz_input *in, struct inflate_state *st,
		       unsigned char *out)
{
	char msg[64];

	st->next_out = out;
	st->avail_out = (uint32_t)FL_STREAM_CHUNK;
	while (st->avail_out) {
		int rc;

		if (st->block_state == ISAL_BLOCK_FINISH) {
			rc = gz_next_member(s, in, st);
			if (rc < 0)
				return -1;
			if (rc == 0)
				break;
		}
		uint32_t room = st->avail_out;

		if (gz_refill(s, in, st, 1) < 0)
			return -1;
		/* with no input left isa-l may still hold decoded bytes */
		rc = isal_inflate(st);
		if (rc != ISAL_DECOMP_OK && rc != ISAL_END_INPUT) {
			snprintf(msg, sizeof(msg), "invalid gzip data (isa-l error %d)", rc);
			stream_failed(s, rc == ISAL_INCORRECT_CHECKSUM ? EBADMSG : EINVAL, msg);
			return -1;
		}
		if (st->block_state != ISAL_BLOCK_FINISH && !st->avail_in && in->eof &&
		    st->avail_out == room) {
			stream_failed(s, EIO, "truncated gzip input");
			return -1;
		}
	}
	return (ssize_t)(FL_STREAM_CHUNK - st->avail_out);
}

/* s->in holds the first s->in_len bytes of the layer. */
static void produce_gzip(struct fl_stream *s)
{
	struct gz_input in = { s->in, false };
	struct inflate_state *st = malloc(sizeof(*st));

	if (!st) {
		stream_failed(s, ENOMEM, "out of memory");
		return;
	}
	isal_inflate_init(st);
	st->crc_flag = ISAL_GZIP;
	st->next_in = s->in;
	st->avail_in = (uint32_t)s->in_len;
	s->in_len = 0;
	for (;;) {
		int slot = wait_for_slot(s);
		ssize_t n;

		if (slot < 0)
			break;
		n = gz_fill(s, &in, st, s->buf[slot]);
		if (n <= 0 || publish_chunk(s, slot, (size_t)n) < 0)
			break;
	}
	free(st);
}
#endif

/* libarchive's input: what the producer read first, then the layer. */
static la_ssize_t archive_input(struct archive *ar, void *arg, const void **out)
{
	struct fl_stream *s = arg;
	ssize_t n;

	*out = s->in;
	if (s->in_len) {
		n = (ssize_t)s->in_len;
		s->in_len = 0;
		return n;
	}
	n = input_read(s, s->in, FL_STREAM_CHUNK);
	if (n < 0)
		archive_set_error(ar, s->error, "%s", s->msg);
	return n;
}

static void produce_archive(struct fl_stream *s)
{
	struct archive *ar = archive_read_new();

	if (!ar) {
		producer_failed(s, NULL, "out of memory");
		return;
	}
	archive_read_support_filter_gzip(ar);
	archive_read_support_filter_zstd(ar);
	archive_read_support_format_raw(ar);
	archive_read_support_format_empty(ar);
	if (archive_read_open(ar, s, NULL, archive_input, NULL) != ARCHIVE_OK)
		producer_failed(s, ar, "cannot read");
	else
		produce(s, ar);
	archive_read_free(ar);
}

/* Content decides: the first bytes of the layer (two, unless it is
 * shorter) pick isa-l for gzip, libarchive for the rest. */
static void *producer(void *arg)
{
	struct fl_stream *s = arg;
	ssize_t n = 1;

	while (s->in_len < 2 && n > 0) {
		n = input_read(s, s->in + s->in_len, FL_STREAM_CHUNK - s->in_len);
		if (n > 0)
			s->in_len += (size_t)n;
	}
	if (n >= 0) {
#ifdef HAVE_ISAL
		if (s->in_len >= 2 && s->in[0] == 0x1f && s->in[1] == 0x8b)
			produce_gzip(s);
		else
#endif
			produce_archive(s);
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
	free(s->in);
	EVP_MD_CTX_free(s->sha);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

struct fl_stream *fl_stream_start(int fd, bool hash, const struct flatten_source *src, size_t layer,
				  int *error)
{
	struct fl_stream *s = calloc(1, sizeof(*s));
	sigset_t all, old;
	int rc;

	if (!s) {
		*error = ENOMEM;
		return NULL;
	}
	s->fd = fd;
	s->src = src;
	s->layer = layer;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	if (hash && (!(s->sha = EVP_MD_CTX_new()) ||
		     EVP_DigestInit_ex(s->sha, EVP_sha256(), NULL) != 1)) {
		stream_free(s);
		*error = ENOMEM;
		return NULL;
	}
	s->in = malloc(FL_STREAM_CHUNK);
	for (size_t i = 0; i < FL_STREAM_SLOTS; i++) {
		s->buf[i] = malloc(FL_STREAM_CHUNK);
		if (!s->buf[i] || !s->in) {
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

int fl_stream_digest(struct fl_stream *s, char out[FL_DIGEST_SIZE], struct berth_error *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (!s->sha)
		return berth_error_set(err, EINVAL, "layer stream not hashed");
	/* the tar reader stops at the end-of-archive blocks; the rest (padding)
	 * belongs to the stream and so to its digest: let the producer finish */
	pthread_mutex_lock(&s->lock);
	s->held = false;
	for (;;) {
		s->head = s->tail;
		pthread_cond_broadcast(&s->cond);
		if (s->done)
			break;
		pthread_cond_wait(&s->cond, &s->lock);
	}
	pthread_mutex_unlock(&s->lock);
	if (s->error)
		return berth_error_set(err, s->error, "%s", s->msg);
	if (EVP_DigestFinal_ex(s->sha, md, &mdlen) != 1 || mdlen != 32)
		return berth_error_set(err, ENOMEM, "cannot hash the layer");
	berth_digest_format(md, out);
	return 0;
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
