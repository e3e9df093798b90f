/*
 * js_cache.h - job_submit's in-memory cache of pinned images, so that a
 * burst of submissions of one image costs one gateway lookup.
 *
 * Key: the canonical reference and the submitting uid (private images: what
 * alice may use is not what bob may use).  A tag is kept for ttl_ms (a tag
 * moves: after the TTL the gateway is asked again); a reference that already
 * names a digest never changes and is kept until evicted.  Only successful
 * resolutions are cached: an unknown or not yet READY image is asked again.
 * Bounded (max entries; the oldest insertion is evicted).  Thread-safe:
 * slurmctld may run job_submit from several RPC threads at once.
 */
#ifndef BERTH_JS_CACHE_H_
#define BERTH_JS_CACHE_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "image_ref.h"

/* Any uid: for entries that do not depend on the user. */
#define JS_CACHE_ANY_UID ((uid_t)-1)

struct js_cache;

struct js_cache_stats {
	uint64_t hits, misses, inserts, evictions;
	size_t entries;
};

/* NULL when out of memory. */
struct js_cache *js_cache_new(size_t max_entries, uint64_t ttl_ms);
void js_cache_free(struct js_cache *cache);

/* true and the digest (BERTH_DIGEST_LEN + 1 bytes) on a live entry for
 * (ref, uid) or (ref, JS_CACHE_ANY_UID). */
bool js_cache_get(struct js_cache *cache, const char *ref, uid_t uid, uint64_t now_ms,
		  char *digest);

/* forever: the reference names a digest (never expires). */
void js_cache_put(struct js_cache *cache, const char *ref, uid_t uid, const char *digest,
		  bool forever, uint64_t now_ms);

/* Drop everything (reconfigure). */
void js_cache_clear(struct js_cache *cache);

void js_cache_get_stats(struct js_cache *cache, struct js_cache_stats *stats);

#endif
