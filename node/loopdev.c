/*
 * loopdev.c - see loopdev.h.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs_util.h"
#include "loopdev.h"
#include "safe_path.h"

#ifndef LOOP_CONFIGURE
#define LOOP_CONFIGURE 0x4C0A
struct loop_config {
	__u32 fd;
	__u32 block_size;
	struct loop_info64 info;
	__u64 __reserved[8];
};
#endif

/* Another process may take the device LOOP_CTL_GET_FREE gave us: retry. */
#define LOOP_ATTACH_TRIES 64

static int force_legacy;

void berth_loop_force_legacy(int on)
{
	force_legacy = on;
}

static void set_info(struct loop_info64 *info, const char *name)
{
	memset(info, 0, sizeof(*info));
	info->lo_flags = LO_FLAGS_READ_ONLY | LO_FLAGS_AUTOCLEAR;
	if (name)
		snprintf((char *)info->lo_file_name, sizeof(info->lo_file_name), "%s", name);
}

/* 0 attached, 1 busy (try another device), -1 error (errno).  *legacy is
 * set once the kernel turns out not to know LOOP_CONFIGURE. */
static int configure(int dev_fd, int file_fd, const char *name, int *legacy)
{
	struct loop_config cfg;

	if (!*legacy) {
		memset(&cfg, 0, sizeof(cfg));
		cfg.fd = (__u32)file_fd;
		set_info(&cfg.info, name);
		if (ioctl(dev_fd, LOOP_CONFIGURE, &cfg) == 0)
			return 0;
		if (errno == EBUSY)
			return 1;
		if (errno != EINVAL && errno != ENOTTY)
			return -1;
		*legacy = 1;
	}
	/* The device is read-only because file_fd is. */
	if (ioctl(dev_fd, LOOP_SET_FD, file_fd) < 0)
		return errno == EBUSY ? 1 : -1;
	set_info(&cfg.info, name);
	if (ioctl(dev_fd, LOOP_SET_STATUS64, &cfg.info) < 0) {
		int saved = errno;

		ioctl(dev_fd, LOOP_CLR_FD, 0);
		errno = saved;
		return -1;
	}
	return 0;
}

int berth_loop_attach(int file_fd, const char *name, struct berth_loop *loop,
		      struct berth_error *err)
{
	int legacy = force_legacy, ctl, rc = 1;

	loop->fd = -1;
	loop->number = -1;
	loop->path[0] = '\0';
	if ((ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC)) < 0)
		return berth_error_errno(err, errno, "open \"/dev/loop-control\"");
	for (int i = 0; i < LOOP_ATTACH_TRIES && rc == 1; i++) {
		int n = ioctl(ctl, LOOP_CTL_GET_FREE);

		if (n < 0) {
			rc = berth_error_errno(err, errno, "no free loop device");
			break;
		}
		snprintf(loop->path, sizeof(loop->path), "/dev/loop%d", n);
		if ((loop->fd = open(loop->path, O_RDONLY | O_CLOEXEC)) < 0) {
			rc = berth_error_errno(err, errno, "open \"%s\"", loop->path);
			break;
		}
		if ((rc = configure(loop->fd, file_fd, name, &legacy)) == 0) {
			loop->number = n;
			break;
		}
		if (rc < 0)
			berth_error_errno(err, errno, "attach \"%s\"", loop->path);
		close(loop->fd);
		loop->fd = -1;
	}
	close(ctl);
	if (rc == 1)
		return berth_error_set(err, EBUSY, "no loop device after %d tries", LOOP_ATTACH_TRIES);
	return rc;
}

void berth_loop_close(struct berth_loop *loop)
{
	if (loop->fd >= 0)
		close(loop->fd);
	loop->fd = -1;
}

int berth_squashfs_mount(const char *image, const char *target, struct berth_error *err)
{
	char shown[BERTH_PATH_SHOWN_SIZE];
	struct berth_loop loop;
	struct stat st;
	int file_fd, rc;

	berth_path_shown(image, shown, sizeof(shown));
	if ((file_fd = berth_open_image_file(image, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
		return berth_error_errno(err, errno, "image \"%s\"", shown);
	if (fstat(file_fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(file_fd);
		return berth_error_set(err, EINVAL, "image \"%s\": not a regular file", shown);
	}
	rc = berth_loop_attach(file_fd, image, &loop, err);
	close(file_fd);
	if (rc < 0)
		return berth_error_prefix(err, "image \"%s\"", shown);
	rc = mount(loop.path, target, "squashfs", MS_RDONLY | MS_NOSUID | MS_NODEV, NULL);
	if (rc < 0)
		berth_error_errno(err, errno, "image \"%s\": mount squashfs from \"%s\"", shown,
				  loop.path);
	/* From here on the superblock holds the device: autoclear on last umount. */
	berth_loop_close(&loop);
	return rc;
}
