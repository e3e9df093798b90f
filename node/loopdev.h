/*
 * loopdev.h - attach an image file to a loop device and mount squashfs
 * from it.
 *
 * The device is attached read-only with LO_FLAGS_AUTOCLEAR, so it is
 * detached by the kernel when its last user goes: once the squashfs
 * superblock is gone (last umount, or the end of the mount namespace that
 * holds it) and no fd is open.  Nothing has to detach it by hand, and a
 * crashed slurmstepd leaves no device behind.
 */
#ifndef BERTH_LOOPDEV_H_
#define BERTH_LOOPDEV_H_

#include "berth_error.h"

struct berth_loop {
	int fd;             /* open device (O_RDONLY | O_CLOEXEC), -1 when none */
	int number;         /* N of /dev/loopN */
	char path[32];      /* "/dev/loopN" */
};

/* Attach the regular file file_fd (opened O_RDONLY) to a free loop device:
 * LOOP_CTL_GET_FREE + LOOP_CONFIGURE (retried when another process takes
 * the same device first), or LOOP_SET_FD + LOOP_SET_STATUS64 on kernels
 * without LOOP_CONFIGURE (< 5.8).  name (may be NULL) is recorded as the
 * backing file name shown by losetup.  Close with berth_loop_close(). */
int berth_loop_attach(int file_fd, const char *name, struct berth_loop *loop,
		      struct berth_error *err);

/* Close the device fd: with autoclear, the device goes once unused. */
void berth_loop_close(struct berth_loop *loop);

/* Attach image (a squashfs file) and mount it on target read-only,
 * nosuid, nodev; the device fd is closed before returning, so the last
 * umount frees the device.  Messages name the image. */
int berth_squashfs_mount(const char *image, const char *target, struct berth_error *err);

/* Test switch: force the LOOP_SET_FD path. */
void berth_loop_force_legacy(int on);

#endif
