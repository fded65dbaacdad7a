/* SPDX-License-Identifier: MIT */
/*
 * path.h - the ways a VM's device reaches its physical device, shared by disks (disk.h) and
 *          network adapters (net.h).
 * Role: names and parses the paths; each device module implements them. docs/io.md compares them.
 *   native    - bare metal (or a device assigned to the VM): the driver talks to the device, its
 *               interrupts are the guest's own (in a VM: virtualized, an exit each);
 *   sriov     - a virtual function of the device mapped into the VM: like native in a VM;
 *   synthetic - a VMBus channel to a service provider (StorVSP, VMSwitch) in the root partition;
 *   emulated  - a legacy device (IDE, DEC 21140) whose register accesses are intercepts served by
 *               the VM's worker process in the root.
 */
#ifndef MODELS_IO_PATH_H
#define MODELS_IO_PATH_H

#include <stdbool.h>

enum io_path { IO_PATH_NATIVE, IO_PATH_SRIOV, IO_PATH_SYNTHETIC, IO_PATH_EMULATED };
const char *io_path_name(enum io_path p);
bool io_path_parse(const char *s, enum io_path *out);
/* Paths that need a root partition (synthetic, emulated): refused on bare metal. */
static inline bool io_path_needs_root(enum io_path p) { return p == IO_PATH_SYNTHETIC || p == IO_PATH_EMULATED; }

#endif /* MODELS_IO_PATH_H */
