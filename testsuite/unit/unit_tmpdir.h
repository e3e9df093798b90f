/*
 * unit_tmpdir.h - a scratch directory for the config tests
 * (test_conf_parser.c, test_berth_conf.c).
 */
#ifndef BERTH_UNIT_TMPDIR_H_
#define BERTH_UNIT_TMPDIR_H_

#include <stddef.h>

extern char unit_tmpdir[64];

/* A fresh /tmp/berth-test-conf.XXXXXX into unit_tmpdir. */
void unit_make_tmpdir(void);
/* Write len bytes of text into unit_tmpdir/name; the path into path. */
void unit_write_file(const char *name, const char *text, size_t len, char *path, size_t size);
void unit_remove_tmpdir(void);

#endif
