/* SPDX-License-Identifier: GPL-2.0 */
/* mount: the whole log as a read-only FUSE view of the IMA directory. */
#ifndef IMA_EXPORT_VIEW_H
#define IMA_EXPORT_VIEW_H

#include "ops.h"

/*
 * ima-export mount [--foreground] [--export-every SECONDS] [--pid-file FILE]
 * MOUNTPOINT
 * (argv: the words after "mount").  securityfs is the real IMA directory,
 * opened before mounting, so MOUNTPOINT may be that directory itself.
 * Without --foreground it returns once the view is mounted and primed,
 * having printed the pid of the process that serves it (and written it to
 * FILE: systemd's PIDFile=).  Returns an EX_* code.
 */
int cmd_mount(struct ctx *c, const char *securityfs, const char *boot_id,
	      int argc, char **argv);

/*
 * 1, with a message, when dir is a FUSE file system (the view itself): the
 * other commands and the view need the kernel's directory.
 */
int securityfs_is_view(const char *dir);
/*
 * When dir is covered by a FUSE file system (the view), move this process
 * into a mount namespace of its own where it is not: the kernel's files
 * under it are then what dir shows.  0, or -1 with a message.
 */
int securityfs_uncover(const char *dir);

#endif
