/*
 * slurm_conf_file.h - Slurm's configuration files (slurm.conf,
 * plugstack.conf) read as Slurm reads them: '#' comments ("\#" is not
 * one), words split at blanks, "include PATTERN" lines (any case, glob,
 * relative to the including file) followed.  What the words mean is the
 * caller's.  The files are the admin's: trusted.
 */
#ifndef BERTH_SLURM_CONF_FILE_H_
#define BERTH_SLURM_CONF_FILE_H_

#include <stddef.h>

struct berth_slurm_conf_reader {
	void *ctx;
	/* Each line's words but an include's: the first, strtok_r(NULL, " \t",
	 * save) gives the others. */
	void (*on_words)(void *ctx, char *first, char **save);
};

/* 0, or -1 with *why (malloc'd) naming the file that could not be read. */
int berth_slurm_conf_file_read(const char *path, const struct berth_slurm_conf_reader *reader, char **why);

/* The directory part of a file's path ("." for a bare name) into buf:
 * where includes and plugstack.conf are looked for. */
void berth_slurm_conf_dir(const char *path, char *buf, size_t size);

#endif
