/*
 * job_wire.h - the one definition of every value that travels between berth
 * processes about a job: the environment variable names the SPANK client,
 * job_submit (slurmctld), slurmd's prolog and slurmstepd read and write,
 * and the AdminComment record job_submit writes and srun reads back.
 *
 * Everything here crosses a trust boundary: a value read back is untrusted
 * until the reader has validated it (the parsers below do, for their part).
 */
#ifndef BERTH_JOB_WIRE_H_
#define BERTH_JOB_WIRE_H_

#include <stdbool.h>
#include <stddef.h>

#include "berth_error.h"
#include "image_ref.h"

/* ---------------------------------------------------------------- env
 *
 * The options travel in the job's SPANK environment as
 * _SLURM_SPANK_OPTION_berth_<option>=<value> (Slurm's own naming; the plugin
 * is SPANK_PLUGIN(berth, 1)).  Repeated --volume options are joined with ';'
 * by the client into that one variable.  In the job's (batch) environment
 * Slurm adds the same names behind SLURM_SPANK_; a job control variable X
 * set by the client reaches the remote side as SPANK_X. */
#define BERTH_SPANK_PLUGIN_NAME "berth"
#define BERTH_OPTION_ENV_PREFIX "_SLURM_SPANK_OPTION_berth_"
#define BERTH_ENV_IMAGE  BERTH_OPTION_ENV_PREFIX "image"
#define BERTH_ENV_VOLUME BERTH_OPTION_ENV_PREFIX "volume"
#define BERTH_ENV_MODULE BERTH_OPTION_ENV_PREFIX "module"
#define BERTH_ENV_CCM    BERTH_OPTION_ENV_PREFIX "ccm"

/* Slurm's prefixes: the job environment's copy of a SPANK option, and a job
 * control variable as the remote side sees it. */
#define BERTH_ENV_JOB_PREFIX     "SLURM_SPANK_"
#define BERTH_ENV_CONTROL_PREFIX "SPANK_"

/* The --image option in the job (batch) environment. */
#define BERTH_ENV_JOB_IMAGE BERTH_ENV_JOB_PREFIX BERTH_ENV_IMAGE

/* The image as the user wrote it, once BERTH_ENV_IMAGE holds the pinned
 * id:<digest> (set by job_submit, and by srun for a step it pins). */
#define BERTH_ENV_IMAGE_REQUEST "BERTH_IMAGE_REQUEST"

/* The id:<digest> srun pinned a step's --image to (inside an allocation),
 * beside BERTH_ENV_IMAGE: from 24.05 slurmstepd ignores an option's
 * environment variable when the launch request carries the option, and
 * clears it before init_post_opt.  Taken only when BERTH_ENV_IMAGE_REQUEST
 * equals the step's --image; no more than --image=id:<digest> could ask. */
#define BERTH_ENV_IMAGE_PINNED "BERTH_IMAGE_PINNED"

/* srun --entrypoint, from the SPANK plugin to the in-container program
 * (node/entrypoint_exec.c) in the task's environment, removed there:
 * what runs first (argv_wire.h), and the task's own argv[0] when the
 * task's command follows. */
#define BERTH_ENV_ENTRYPOINT_ARGS  "BERTH_ENTRYPOINT_ARGS"
#define BERTH_ENV_ENTRYPOINT_ARGV0 "BERTH_ENTRYPOINT_ARGV0"

/* The public key that may log in to the job's sshd (job control env). */
#define BERTH_ENV_SSH_PUBKEY "BERTH_SSH_PUBKEY"

/* ---------------------------------------------------------------- AdminComment
 *
 * "image=<request>@<digest>": one whitespace-separated word of the job's
 * AdminComment, which job_submit writes because users cannot set or change
 * it (slurmctld refuses it from anyone but an admin, before job_submit and
 * job_modify run), so `scontrol show job` and `sacct -o AdminComment` show
 * what the job really ran, and srun inside the allocation reads the pin
 * back. */
#define BERTH_COMMENT_KEY "image="
#define BERTH_COMMENT_MAX 4096

/* existing (may be NULL: an admin's own text is kept) with every
 * whitespace-separated "image=..." word replaced by one
 * "image=<request>@<digest>" at the end, into buf (a wait tail, below, is
 * dropped).  request is a validated
 * image reference (no whitespace or control characters). */
int berth_comment_merge(const char *existing, const char *request, const char *digest, char *buf,
			size_t size, struct berth_error *err);

/* The digest recorded for request in comment: true with digest filled
 * (BERTH_DIGEST_LEN + 1 bytes) when a word "image=<request>@<valid digest>"
 * is there (before a wait marker, below). */
bool berth_comment_find(const char *comment, const char *request, char *digest);

/* The digest of the (last) "image=<request>@<digest>" word, whatever the
 * request: true with digest filled (BERTH_DIGEST_LEN + 1 bytes). */
bool berth_comment_pinned_digest(const char *comment, char *digest);

/* ------------------------------------------------------------ image waits
 *
 * A job admitted on an image that is not READY yet (berth.conf auto_pull =
 * wait, doc/image-wait.md) is held, and its AdminComment ends with a wait
 * marker word and a line for people:
 *   "image_wait: <status>"         released when the image is READY
 *   "image_wait(held): <status>"   the user's own --hold: held by the user
 *                                  again when the image is READY
 *   "image_failed: <message>"      the pull failed: the job was cancelled
 * job_submit writes the first two; berth-gatewayd (the releaser) rewrites
 * the status, removes the marker when it releases the job, or writes the
 * failure.  Everything from the marker word on is berth's: the text before
 * it (the admin's own words, the image= record) is kept. */
#define BERTH_WAIT_MARK "image_wait:"
#define BERTH_WAIT_HELD_MARK "image_wait(held):"
#define BERTH_WAIT_FAILED_MARK "image_failed:"

enum berth_wait_kind {
	BERTH_WAIT_NONE = 0,
	BERTH_WAIT_RELEASE,   /* image_wait: */
	BERTH_WAIT_HOLD,      /* image_wait(held): */
	BERTH_WAIT_FAILED,    /* image_failed: */
};

/* The wait marker of comment (NULL: none): its kind; *prefix_len the bytes
 * before the marker word with the blanks before it dropped, *text what
 * follows the marker and one blank (both may be NULL). */
enum berth_wait_kind berth_comment_wait(const char *comment, size_t *prefix_len, const char **text);

/* comment with its wait tail replaced by "<mark> <text>" (kind NONE: the
 * tail removed), into buf.  text is made one printable line (control
 * characters become '?'). */
int berth_comment_wait_set(const char *comment, enum berth_wait_kind kind, const char *text,
			   char *buf, size_t size, struct berth_error *err);

#endif
