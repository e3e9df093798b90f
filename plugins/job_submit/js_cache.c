/*
 * js_cache.c - see js_cache.h.  A flat array searched by hash: the cache
 * holds a few thousand entries at most and a lookup is a scan of 64-bit
 * hashes, far below the cost of the RPC it serves.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "js_cache.h"

struct js_cache_entry {
	uint64_t hash;
	char *ref;
	uid_t uid;
	char digest[BERTH_DIGEST_LEN + 1];
	bool forever;
	uint64_t inserted_ms;
};

struct js_cache {
	pthread_mutex_t lock;
	struct js_cache_entry *entries;
	size_t count, max;
	uint64_t ttl_ms;
	struct js_cache_stats stats;
};

/* FNV-1a over the reference and the uid. */
static uint64_t key_hash(const char *ref, uid_t uid)
{
	uint64_t h = 1469598103934665603ULL;

	for (const unsigned char *p = (const unsigned char *)ref; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	for (size_t i = 0; i < sizeof(uid); i++)
		h = (h ^ ((uint64_t)uid >> (8 * i) & 0xff)) * 1099511628211ULL;
	return h;
}

struct js_cache *js_cache_new(size_t max_entries, uint64_t ttl_ms)
{
	struct js_cache *cache = calloc(1, sizeof(*cache));

	if (!cache)
		return NULL;
	cache->max = max_entries ? max_entries : 1;
	cache->ttl_ms = ttl_ms;
	if (!(cache->entries = calloc(cache->max, sizeof(*cache->entries)))) {
		free(cache);
		return NULL;
	}
	pthread_mutex_init(&cache->lock, NULL);
	return cache;
}

static void clear_locked(struct js_cache *cache)
{
	for (size_t i = 0; i < cache->count; i++)
		free(cache->entries[i].ref);
	memset(cache->entries, 0, cache->max * sizeof(*cache->entries));
	cache->count = 0;
}

void js_cache_free(struct js_cache *cache)
{
	if (!cache)
		return;
	clear_locked(cache);
	free(cache->entries);
	pthread_mutex_destroy(&cache->lock);
	free(cache);
}

static bool live(const struct js_cache *cache, const struct js_cache_entry *e, uint64_t now_ms)
{
	return e->forever || (now_ms >= e->inserted_ms && now_ms - e->inserted_ms < cache->ttl_ms);
}

static struct js_cache_entry *find_locked(struct js_cache *cache, const char *ref, uid_t uid)
{
	uint64_t h = key_hash(ref, uid);

	for (size_t i = 0; i < cache->count; i++) {
		struct js_cache_entry *e = &cache->entries[i];

		if (e->hash == h && e->uid == uid && strcmp(e->ref, ref) == 0)
			return e;
	}
	return NULL;
}

bool js_cache_get(struct js_cache *cache, const char *ref, uid_t uid, uint64_t now_ms,
		  char *digest)
{
	const uid_t uids[] = { uid, JS_CACHE_ANY_UID };
	bool found = false;

	pthread_mutex_lock(&cache->lock);
	for (size_t i = 0; i < 2 && !found; i++) {
		struct js_cache_entry *e = find_locked(cache, ref, uids[i]);

		if (e && live(cache, e, now_ms)) {
			memcpy(digest, e->digest, sizeof(e->digest));
			found = true;
		}
	}
	if (found)
		cache->stats.hits++;
	else
		cache->stats.misses++;
	pthread_mutex_unlock(&cache->lock);
	return found;
}

/* A slot for a new entry: a free one, else an expired one, else the oldest. */
static struct js_cache_entry *slot_locked(struct js_cache *cache, uint64_t now_ms)
{
	struct js_cache_entry *oldest = NULL;

	if (cache->count < cache->max)
		return &cache->entries[cache->count++];
	for (size_t i = 0; i < cache->count; i++) {
		struct js_cache_entry *e = &cache->entries[i];

		if (!live(cache, e, now_ms))
			return e;
		if (!oldest || e->inserted_ms < oldest->inserted_ms)
			oldest = e;
	}
	cache->stats.evictions++;
	return oldest;
}

void js_cache_put(struct js_cache *cache, const char *ref, uid_t uid, const char *digest,
		  bool forever, uint64_t now_ms)
{
	struct js_cache_entry *e;
	char *copy;

	if (strlen(digest) > BERTH_DIGEST_LEN || !(copy = strdup(ref)))
		return;  /* not cached: the next submission asks again */
	pthread_mutex_lock(&cache->lock);
	if ((e = find_locked(cache, ref, uid)) == NULL)
		e = slot_locked(cache, now_ms);
	free(e->ref);
	e->ref = copy;
	e->hash = key_hash(ref, uid);
	e->uid = uid;
	snprintf(e->digest, sizeof(e->digest), "%s", digest);
	e->forever = forever;
	e->inserted_ms = now_ms;
	cache->stats.inserts++;
	pthread_mutex_unlock(&cache->lock);
}

void js_cache_clear(struct js_cache *cache)
{
	pthread_mutex_lock(&cache->lock);
	clear_locked(cache);
	pthread_mutex_unlock(&cache->lock);
}

void js_cache_get_stats(struct js_cache *cache, struct js_cache_stats *stats)
{
	pthread_mutex_lock(&cache->lock);
	*stats = cache->stats;
	stats->entries = cache->count;
	pthread_mutex_unlock(&cache->lock);
}
