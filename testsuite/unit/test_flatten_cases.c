/*
 * test_flatten_cases.c - layer stacks (bottom first) and what the image
 * must look like; see test_flatten_util.h for the listing format.
 */
#include <errno.h>

#include "test_flatten_cases.h"

#define END { 0, NULL }

/* ------------------------------------------------------------ one layer */

static const struct tl_entry basic[] = {
	{ .type = 'd', .path = "./", .mode = 0750 },
	{ .type = 'd', .path = "bin" },
	{ .type = 'f', .path = "bin/busybox", .mode = 0755, .data = "BB" },
	{ .type = 'h', .path = "bin/ls", .link = "bin/busybox" },
	{ .type = 'l', .path = "bin/sh", .link = "busybox" },
	{ .type = 'l', .path = "bin/abs", .link = "/bin/busybox" },
	{ .type = 'l', .path = "bin/dangling", .link = "../../../nowhere" },
	{ .type = 'd', .path = "empty", .mode = 0700 },
	{ .type = 'd', .path = "etc" },
	{ .type = 'f', .path = "etc/hostname", .data = "box\n" },
	{ .type = 'f', .path = "etc/empty" },
	{ .type = 'p', .path = "run/fifo" },
	{ .type = 'f', .path = "caf\xc3\xa9 name", .data = "utf-8" },
	{ 0 },
};
static const struct tl_layer basic_layers[] = { { TL_PLAIN, basic }, END };

static const struct tl_entry absolute[] = {
	{ .type = 'f', .path = "/etc/abs", .data = "A" },
	{ .type = 'f', .path = "./rel", .data = "R" },
	{ .type = 'f', .path = "x//y/./z", .data = "Z" },
	{ .type = 'd', .path = "/", .mode = 0700 },
	{ 0 },
};
static const struct tl_layer absolute_layers[] = { { TL_GZIP, absolute }, END };

static const struct tl_entry modes[] = {
	{ .type = 'f', .path = "s1", .mode = 04755, .data = "1" },
	{ .type = 'f', .path = "s2", .mode = 02755, .data = "2" },
	{ .type = 'f', .path = "s3", .mode = 06644, .data = "3" },
	{ .type = 'd', .path = "sg", .mode = 02775 },
	{ .type = 'd', .path = "st", .mode = 03777 },
	{ .type = 'd', .path = "tmp", .mode = 01777 },
	{ .type = 'f', .path = "ping", .mode = 0755, .data = "P", .xattr = "security.capability=\x01\x02\x03" },
	{ .type = 'd', .path = "xd", .mode = 0755, .xattr = "user.comment=hello" },
	{ 0 },
};
static const struct tl_layer modes_layers[] = { { TL_ZSTD, modes }, END };

static const struct tl_entry same_twice[] = {
	{ .type = 'f', .path = "a", .data = "1" },
	{ .type = 'f', .path = "a", .data = "2" },
	{ .type = 'd', .path = "b" },
	{ .type = 'f', .path = "b/x", .data = "X" },
	{ .type = 'f', .path = "b", .data = "file" },
	{ .type = 'f', .path = "c", .data = "file" },
	{ .type = 'd', .path = "c", .mode = 0700 },
	{ 0 },
};
static const struct tl_layer same_twice_layers[] = { { TL_PLAIN, same_twice }, END };

static const struct tl_entry aufs[] = {
	{ .type = 'd', .path = ".wh..wh.plnk" },
	{ .type = 'f', .path = ".wh..wh.plnk/12.34", .data = "x" },
	{ .type = 'f', .path = ".wh..wh.aufs" },
	{ .type = 'f', .path = "kept", .data = "K" },
	{ 0 },
};
static const struct tl_layer aufs_layers[] = { { TL_PLAIN, aufs }, END };

/* ------------------------------------------------------------ whiteouts */

static const struct tl_entry wh_lower[] = {
	{ .type = 'd', .path = "etc" },
	{ .type = 'f', .path = "etc/a", .data = "A" },
	{ .type = 'f', .path = "etc/b", .data = "B" },
	{ .type = 'd', .path = "etc/sub" },
	{ .type = 'f', .path = "etc/sub/x", .data = "X" },
	{ .type = 'f', .path = "top", .data = "T" },
	{ 0 },
};
static const struct tl_entry wh_upper[] = {
	{ .type = 'f', .path = "etc/.wh.a" },
	{ .type = 'f', .path = "etc/.wh.sub" },
	{ .type = 'f', .path = ".wh.top" },
	{ .type = 'f', .path = "ghost/.wh.nothing" },
	{ 0 },
};
static const struct tl_layer wh_layers[] = { { TL_PLAIN, wh_lower }, { TL_GZIP, wh_upper }, END };

static const struct tl_entry opq_lower[] = {
	{ .type = 'd', .path = "d" },
	{ .type = 'f', .path = "d/a", .data = "A" },
	{ .type = 'd', .path = "d/sub" },
	{ .type = 'f', .path = "d/sub/c", .data = "C" },
	{ .type = 'f', .path = "other", .data = "O" },
	{ 0 },
};
static const struct tl_entry opq_upper[] = {
	{ .type = 'd', .path = "d", .mode = 0700 },
	{ .type = 'f', .path = "d/new1", .data = "1" },
	{ .type = 'f', .path = "d/.wh..wh..opq" },
	{ .type = 'f', .path = "d/new2", .data = "2" },
	{ 0 },
};
static const struct tl_layer opq_layers[] = { { TL_PLAIN, opq_lower }, { TL_ZSTD, opq_upper }, END };

static const struct tl_entry opq_root_lower[] = {
	{ .type = 'f', .path = "a", .data = "A" }, { .type = 'd', .path = "b" }, { .type = 'f', .path = "b/c", .data = "C" }, { 0 },
};
static const struct tl_entry opq_root_upper[] = {
	{ .type = 'f', .path = "c", .data = "C" }, { .type = 'f', .path = ".wh..wh..opq" }, { 0 },
};
static const struct tl_layer opq_root_layers[] = {
	{ TL_PLAIN, opq_root_lower }, { TL_PLAIN, opq_root_upper }, END,
};

static const struct tl_entry readd_lower[] = {
	{ .type = 'f', .path = "a", .data = "old" },
	{ .type = 'f', .path = "b", .data = "old-b" },
	{ .type = 'd', .path = "d" },
	{ .type = 'f', .path = "d/x", .data = "X" },
	{ 0 },
};
static const struct tl_entry readd_same[] = {
	{ .type = 'f', .path = ".wh.a" },
	{ .type = 'f', .path = "a", .data = "new" },
	{ .type = 'f', .path = "b", .data = "new-b" },
	{ .type = 'f', .path = ".wh.b" },
	{ .type = 'f', .path = ".wh.d" },
	{ .type = 'f', .path = "d/y", .data = "Y" },
	{ 0 },
};
static const struct tl_layer readd_same_layers[] = {
	{ TL_PLAIN, readd_lower }, { TL_GZIP, readd_same }, END,
};

static const struct tl_entry readd_wh[] = {
	{ .type = 'f', .path = ".wh.a" }, { .type = 'f', .path = ".wh.d" }, { 0 },
};
static const struct tl_entry readd_later[] = {
	{ .type = 'f', .path = "a", .data = "newer" }, { .type = 'f', .path = "d/y", .data = "Y" }, { 0 },
};
static const struct tl_layer readd_later_layers[] = {
	{ TL_PLAIN, readd_lower }, { TL_PLAIN, readd_wh }, { TL_ZSTD, readd_later }, END,
};

/* a higher layer re-creates "a" implicitly; the whiteout below hides the old "a" */
static const struct tl_entry implicit_lower[] = {
	{ .type = 'd', .path = "a", .mode = 0700 }, { .type = 'f', .path = "a/d", .data = "D" }, { 0 },
};
static const struct tl_entry implicit_wh[] = { { .type = 'f', .path = ".wh.a" }, { 0 } };
static const struct tl_entry implicit_upper[] = { { .type = 'f', .path = "a/c", .data = "C" }, { 0 } };
static const struct tl_layer implicit_layers[] = {
	{ TL_PLAIN, implicit_lower }, { TL_PLAIN, implicit_wh }, { TL_PLAIN, implicit_upper }, END,
};

/* ------------------------------------------------------------ replacing */

static const struct tl_entry dirfile_l1[] = {
	{ .type = 'd', .path = "x" }, { .type = 'f', .path = "x/a", .data = "A" }, { .type = 'd', .path = "x/sub" }, { .type = 'f', .path = "y", .data = "Y" }, { 0 },
};
static const struct tl_entry dirfile_l2[] = {
	{ .type = 'f', .path = "x", .data = "F" }, { .type = 'd', .path = "y" }, { .type = 'f', .path = "y/z", .data = "Z" }, { 0 },
};
static const struct tl_layer file_over_dir_layers[] = {
	{ TL_PLAIN, dirfile_l1 }, { TL_PLAIN, dirfile_l2 }, END,
};

static const struct tl_entry dirfile_l3[] = {
	{ .type = 'd', .path = "x", .mode = 0700 }, { .type = 'f', .path = "x/b", .data = "B" }, { 0 },
};
static const struct tl_layer dir_over_file_layers[] = {
	{ TL_PLAIN, dirfile_l1 }, { TL_PLAIN, dirfile_l2 }, { TL_GZIP, dirfile_l3 }, END,
};

static const struct tl_entry merge_l1[] = {
	{ .type = 'd', .path = "usr", .mode = 0700 }, { .type = 'f', .path = "usr/a", .data = "A" }, { .type = 'd', .path = "opt", .mode = 0700 }, { 0 },
};
static const struct tl_entry merge_l2[] = {
	{ .type = 'f', .path = "usr/b", .data = "B" }, { .type = 'd', .path = "opt", .mode = 0711 }, { .type = 'f', .path = "opt/o", .data = "O" }, { 0 },
};
static const struct tl_layer merge_layers[] = { { TL_PLAIN, merge_l1 }, { TL_PLAIN, merge_l2 }, END };

static const struct tl_entry under_file_l1[] = {
	{ .type = 'd', .path = "a" }, { .type = 'f', .path = "a/b", .data = "B" }, { 0 },
};
static const struct tl_entry under_file_l2[] = { { .type = 'f', .path = "a", .data = "A" }, { 0 } };
static const struct tl_layer under_file_layers[] = {
	{ TL_PLAIN, under_file_l1 }, { TL_PLAIN, under_file_l2 }, END,
};

static const struct tl_entry dev_l1[] = {
	{ .type = 'f', .path = "dev/null", .data = "notnull" }, { .type = 'f', .path = "dev/keep", .data = "K" }, { 0 },
};
static const struct tl_entry dev_l2[] = {
	{ .type = 'c', .path = "dev/null" }, { .type = 'b', .path = "dev/sda" }, { .type = 'p', .path = "dev/fifo" }, { 0 },
};
static const struct tl_layer dev_layers[] = { { TL_PLAIN, dev_l1 }, { TL_PLAIN, dev_l2 }, END };

static const struct tl_entry comp_l1[] = { { .type = 'f', .path = "a", .data = "1" }, { 0 } };
static const struct tl_entry comp_l2[] = { { .type = 'f', .path = "b", .data = "2" }, { 0 } };
static const struct tl_entry comp_l3[] = { { .type = 'f', .path = "c", .data = "3" }, { 0 } };
static const struct tl_entry empty_layer[] = { { 0 } };
static const struct tl_layer comp_layers[] = {
	{ TL_PLAIN, comp_l1 }, { TL_GZIP, comp_l2 }, { TL_ZSTD, empty_layer },
	{ TL_ZSTD, comp_l3 }, { TL_PLAIN, empty_layer }, END,
};

/* ------------------------------------------------------------ hard links */

static const struct tl_entry hl_hidden_l1[] = {
	{ .type = 'd', .path = "bin" },
	{ .type = 'f', .path = "bin/perl5", .mode = 0755, .data = "P5" },
	{ .type = 'h', .path = "bin/perl", .link = "bin/perl5" },
	{ 0 },
};
static const struct tl_entry hl_hidden_l2[] = { { .type = 'f', .path = "bin/perl5", .mode = 0755, .data = "NEW" }, { 0 } };
static const struct tl_layer hl_hidden_layers[] = {
	{ TL_GZIP, hl_hidden_l1 }, { TL_PLAIN, hl_hidden_l2 }, END,
};

static const struct tl_entry hl_chain_l1[] = {
	{ .type = 'f', .path = "a", .mode = 0600, .data = "A" },
	{ .type = 'h', .path = "b", .link = "a" },
	{ .type = 'h', .path = "c", .link = "./a" },
	{ .type = 'h', .path = "d", .link = "b" },
	{ .type = 'l', .path = "s", .link = "a" },
	{ .type = 'h', .path = "s2", .link = "s" },
	{ 0 },
};
static const struct tl_entry hl_chain_l2[] = { { .type = 'f', .path = ".wh.a" }, { .type = 'f', .path = ".wh.s" }, { 0 } };
static const struct tl_layer hl_chain_layers[] = {
	{ TL_ZSTD, hl_chain_l1 }, { TL_PLAIN, hl_chain_l2 }, END,
};

static const struct tl_entry hl_readd[] = {
	{ .type = 'f', .path = "t", .data = "one" }, { .type = 'h', .path = "p", .link = "t" }, { .type = 'f', .path = "t", .data = "two" }, { 0 },
};
static const struct tl_layer hl_readd_layers[] = { { TL_PLAIN, hl_readd }, END };

static const struct tl_entry hl_missing[] = { { .type = 'h', .path = "b", .link = "nope" }, { 0 } };
static const struct tl_layer hl_missing_layers[] = { { TL_PLAIN, hl_missing }, END };

static const struct tl_entry hl_dir[] = { { .type = 'd', .path = "dir" }, { .type = 'h', .path = "b", .link = "dir" }, { 0 } };
static const struct tl_layer hl_dir_layers[] = { { TL_PLAIN, hl_dir }, END };

static const struct tl_entry hl_lower_only[] = { { .type = 'h', .path = "b", .link = "a" }, { 0 } };
static const struct tl_layer hl_lower_layers[] = {
	{ TL_PLAIN, comp_l1 }, { TL_PLAIN, hl_lower_only }, END,
};

static const struct tl_entry hl_escape[] = {
	{ .type = 'f', .path = "a", .data = "A" }, { .type = 'h', .path = "b", .link = "../a" }, { 0 },
};
static const struct tl_layer hl_escape_layers[] = { { TL_PLAIN, hl_escape }, END };

/* ------------------------------------------------------------ rejected */

static const struct tl_entry dotdot[] = { { .type = 'f', .path = "../etc/x", .data = "evil" }, { 0 } };
static const struct tl_layer dotdot_layers[] = { { TL_PLAIN, comp_l1 }, { TL_GZIP, dotdot }, END };

static const struct tl_entry dotdot_mid[] = { { .type = 'f', .path = "a/../../b", .data = "evil" }, { 0 } };
static const struct tl_layer dotdot_mid_layers[] = { { TL_PLAIN, dotdot_mid }, END };

static const struct tl_entry dotdot_ctl[] = { { .type = 'd', .path = "../evil\nname" }, { 0 } };
static const struct tl_layer dotdot_ctl_layers[] = { { TL_PLAIN, dotdot_ctl }, END };

static const struct tl_entry under_own_file[] = {
	{ .type = 'f', .path = "a", .data = "A" }, { .type = 'f', .path = "a/b", .data = "B" }, { 0 },
};
static const struct tl_layer under_own_file_layers[] = { { TL_PLAIN, under_own_file }, END };

static const struct tl_entry root_file[] = { { .type = 'f', .path = ".", .data = "x" }, { 0 } };
static const struct tl_layer root_file_layers[] = { { TL_PLAIN, root_file }, END };

static const struct tl_entry wh_dir[] = { { .type = 'f', .path = ".wh.x/y", .data = "y" }, { 0 } };
static const struct tl_layer wh_dir_layers[] = { { TL_PLAIN, wh_dir }, END };

static const struct tl_entry wh_empty[] = { { .type = 'f', .path = "d/.wh." }, { 0 } };
static const struct tl_layer wh_empty_layers[] = { { TL_PLAIN, wh_empty }, END };

static const struct tl_entry empty_target[] = { { .type = 'l', .path = "s", .link = "" }, { 0 } };
static const struct tl_layer empty_target_layers[] = { { TL_PLAIN, empty_target }, END };

static const struct tl_entry wh_dot[] = { { .type = 'f', .path = ".wh.." }, { 0 } };
static const struct tl_layer wh_dot_layers[] = { { TL_PLAIN, wh_dot }, END };

const struct flat_case flat_cases[] = {
	{ .name = "single layer", .layers = basic_layers,
	  .expected = "/ d 0750 0:0 n=6\n"
		"/bin d 0755 0:0 n=2\n"
		"/bin/abs l 0777 0:0 n=1 -> /bin/busybox\n"
		"/bin/busybox f 0755 0:0 n=2 \"BB\"\n"
		"/bin/dangling l 0777 0:0 n=1 -> ../../../nowhere\n"
		"/bin/ls f 0755 0:0 n=2 \"BB\"\n"
		"/bin/sh l 0777 0:0 n=1 -> busybox\n"
		"/caf\xc3\xa9 name f 0644 0:0 n=1 \"utf-8\"\n"
		"/empty d 0700 0:0 n=2\n"
		"/etc d 0755 0:0 n=2\n"
		"/etc/empty f 0644 0:0 n=1 \"\"\n"
		"/etc/hostname f 0644 0:0 n=1 \"box\\n\"\n"
		"/run d 0755 0:0 n=2\n"
		"/run/fifo p 0644 0:0 n=1\n" },
	{ .name = "leading slash and dot are stripped", .layers = absolute_layers,
	  .expected = "/ d 0700 0:0 n=4\n"
		"/etc d 0755 0:0 n=2\n"
		"/etc/abs f 0644 0:0 n=1 \"A\"\n"
		"/rel f 0644 0:0 n=1 \"R\"\n"
		"/x d 0755 0:0 n=3\n"
		"/x/y d 0755 0:0 n=2\n"
		"/x/y/z f 0644 0:0 n=1 \"Z\"\n" },
	{ .name = "setuid/setgid stripped, sticky kept, xattrs dropped", .layers = modes_layers,
	  .expected = "/ d 0755 0:0 n=6\n"
		"/ping f 0755 0:0 n=1 \"P\"\n"
		"/s1 f 0755 0:0 n=1 \"1\"\n"
		"/s2 f 0755 0:0 n=1 \"2\"\n"
		"/s3 f 0644 0:0 n=1 \"3\"\n"
		"/sg d 0775 0:0 n=2\n"
		"/st d 1777 0:0 n=2\n"
		"/tmp d 1777 0:0 n=2\n"
		"/xd d 0755 0:0 n=2\n" },
	{ .name = "later entry of one layer wins", .layers = same_twice_layers,
	  .expected = "/ d 0755 0:0 n=3\n"
		"/a f 0644 0:0 n=1 \"2\"\n"
		"/b f 0644 0:0 n=1 \"file\"\n"
		"/c d 0700 0:0 n=2\n" },
	{ .name = "aufs metadata ignored", .layers = aufs_layers,
	  .expected = "/ d 0755 0:0 n=2\n"
		"/kept f 0644 0:0 n=1 \"K\"\n" },
	{ .name = "whiteouts delete lower entries", .layers = wh_layers,
	  .expected = "/ d 0755 0:0 n=3\n"
		"/etc d 0755 0:0 n=2\n"
		"/etc/b f 0644 0:0 n=1 \"B\"\n" },
	{ .name = "opaque directory", .layers = opq_layers,
	  .expected = "/ d 0755 0:0 n=3\n"
		"/d d 0700 0:0 n=2\n"
		"/d/new1 f 0644 0:0 n=1 \"1\"\n"
		"/d/new2 f 0644 0:0 n=1 \"2\"\n"
		"/other f 0644 0:0 n=1 \"O\"\n" },
	{ .name = "opaque root", .layers = opq_root_layers,
	  .expected = "/ d 0755 0:0 n=2\n"
		"/c f 0644 0:0 n=1 \"C\"\n" },
	{ .name = "re-added in the same layer", .layers = readd_same_layers,
	  .expected = "/ d 0755 0:0 n=3\n"
		"/a f 0644 0:0 n=1 \"new\"\n"
		"/b f 0644 0:0 n=1 \"new-b\"\n"
		"/d d 0755 0:0 n=2\n"
		"/d/y f 0644 0:0 n=1 \"Y\"\n" },
	{ .name = "re-added in a later layer", .layers = readd_later_layers,
	  .expected = "/ d 0755 0:0 n=3\n"
		"/a f 0644 0:0 n=1 \"newer\"\n"
		"/b f 0644 0:0 n=1 \"old-b\"\n"
		"/d d 0755 0:0 n=2\n"
		"/d/y f 0644 0:0 n=1 \"Y\"\n" },
	{ .name = "whited-out directory re-created implicitly", .layers = implicit_layers,
	  .expected = "/ d 0755 0:0 n=3\n"
		"/a d 0755 0:0 n=2\n"
		"/a/c f 0644 0:0 n=1 \"C\"\n" },
	{ .name = "file replaces directory, directory replaces file", .layers = file_over_dir_layers,
	  .expected = "/ d 0755 0:0 n=3\n"
		"/x f 0644 0:0 n=1 \"F\"\n"
		"/y d 0755 0:0 n=2\n"
		"/y/z f 0644 0:0 n=1 \"Z\"\n" },
	{ .name = "lower subtree stays gone under a re-created directory", .layers = dir_over_file_layers,
	  .expected = "/ d 0755 0:0 n=4\n"
		"/x d 0700 0:0 n=2\n"
		"/x/b f 0644 0:0 n=1 \"B\"\n"
		"/y d 0755 0:0 n=2\n"
		"/y/z f 0644 0:0 n=1 \"Z\"\n" },
	{ .name = "directories merge", .layers = merge_layers,
	  .expected = "/ d 0755 0:0 n=4\n"
		"/opt d 0711 0:0 n=2\n"
		"/opt/o f 0644 0:0 n=1 \"O\"\n"
		"/usr d 0700 0:0 n=2\n"
		"/usr/a f 0644 0:0 n=1 \"A\"\n"
		"/usr/b f 0644 0:0 n=1 \"B\"\n" },
	{ .name = "entry under a higher layer's file is hidden", .layers = under_file_layers,
	  .expected = "/ d 0755 0:0 n=2\n"
		"/a f 0644 0:0 n=1 \"A\"\n" },
	{ .name = "devices skipped and hiding lower entries", .layers = dev_layers,
	  .expected = "/ d 0755 0:0 n=3\n"
		"/dev d 0755 0:0 n=2\n"
		"/dev/fifo p 0644 0:0 n=1\n"
		"/dev/keep f 0644 0:0 n=1 \"K\"\n" },
	{ .name = "plain, gzip, zstd and empty layers", .layers = comp_layers,
	  .expected = "/ d 0755 0:0 n=2\n"
		"/a f 0644 0:0 n=1 \"1\"\n"
		"/b f 0644 0:0 n=1 \"2\"\n"
		"/c f 0644 0:0 n=1 \"3\"\n" },
	{ .name = "hard link keeps the content of a replaced target", .layers = hl_hidden_layers,
	  .expected = "/ d 0755 0:0 n=3\n"
		"/bin d 0755 0:0 n=2\n"
		"/bin/perl f 0755 0:0 n=1 \"P5\"\n"
		"/bin/perl5 f 0755 0:0 n=1 \"NEW\"\n" },
	{ .name = "hard links to whited-out targets", .layers = hl_chain_layers,
	  .expected = "/ d 0755 0:0 n=2\n"
		"/b f 0600 0:0 n=3 \"A\"\n"
		"/c f 0600 0:0 n=3 \"A\"\n"
		"/d f 0600 0:0 n=3 \"A\"\n"
		"/s2 l 0777 0:0 n=1 -> a\n" },
	{ .name = "hard link to a name written twice", .layers = hl_readd_layers,
	  .expected = "/ d 0755 0:0 n=2\n"
		"/p f 0644 0:0 n=1 \"one\"\n"
		"/t f 0644 0:0 n=1 \"two\"\n" },
	{ .name = "hard link target missing", .layers = hl_missing_layers,
	  .error = "layer 1: entry \"b\": hard link target \"nope\" not found in this layer", .code = ENOENT },
	{ .name = "hard link to a directory", .layers = hl_dir_layers,
	  .error = "layer 1: entry \"b\": hard link target \"dir\" is a directory", .code = EINVAL },
	{ .name = "hard link into a lower layer", .layers = hl_lower_layers,
	  .error = "layer 2: entry \"b\": hard link target \"a\" not found in this layer", .code = ENOENT },
	{ .name = "hard link escaping", .layers = hl_escape_layers,
	  .error = "layer 1: entry \"b\": hard link target: path escapes the image root", .code = EINVAL },
	{ .name = "dot-dot rejected", .layers = dotdot_layers,
	  .error = "layer 2: entry \"../etc/x\": path escapes the image root", .code = EINVAL },
	{ .name = "dot-dot inside rejected", .layers = dotdot_mid_layers,
	  .error = "layer 1: entry \"a/../../b\": path escapes the image root", .code = EINVAL },
	{ .name = "control characters quoted", .layers = dotdot_ctl_layers,
	  .error = "layer 1: entry \"../evil?name/\": path escapes the image root", .code = EINVAL },
	{ .name = "entry under a file of the same layer", .layers = under_own_file_layers,
	  .error = "layer 1: entry \"a/b\": parent \"a\" is not a directory", .code = ENOTDIR },
	{ .name = "root as a file", .layers = root_file_layers,
	  .error = "layer 1: entry \".\": the image root must be a directory", .code = EINVAL },
	{ .name = "whiteout name as a directory", .layers = wh_dir_layers,
	  .error = "layer 1: entry \".wh.x/y\": whiteout name used as a directory", .code = EINVAL },
	{ .name = "empty whiteout name", .layers = wh_empty_layers,
	  .error = "layer 1: entry \"d/.wh.\": invalid whiteout name", .code = EINVAL },
	{ .name = "whiteout of dot", .layers = wh_dot_layers,
	  .error = "layer 1: entry \".wh..\": invalid whiteout name", .code = EINVAL },
	{ .name = "empty symlink target", .layers = empty_target_layers,
	  .error = "layer 1: entry \"s\": empty symlink target", .code = EINVAL },
};

const size_t flat_case_count = sizeof(flat_cases) / sizeof(flat_cases[0]);
