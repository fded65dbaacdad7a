/* SPDX-License-Identifier: MIT */
/*
 * vmbus.h - VMBus transport: channels, their two packet rings, and when a side must signal the other.
 * Role: a pure data structure. The guest's VSCs and the root's VSPs write and read packets here; this
 *       module only says whether a write or a read obliges the caller to signal the other side. The
 *       caller charges the CPU cost, sends the signal (vhw vmbus_signal / a synthetic interrupt) and
 *       schedules whatever follows. No events, no costs, no allocation after init.
 * Signalling (../shared/REFERENCE.md 5.1 [S]; linux: drivers/hv/ring_buffer.c hv_signal_on_write,
 *       hv_pkt_iter_close, hv_begin_read/hv_end_read):
 *       - a writer signals the reader only when the ring was empty before its write (empty ->
 *         non-empty) and the reader has not set interrupt_mask: one signal per burst, not per packet;
 *       - the reader masks interrupts while it drains, unmasks when it finds the ring empty and then
 *         looks again, so a packet that arrived in between is not stranded;
 *       - a writer that finds the ring full records pending_send_sz and waits; the reader signals it
 *         once when its reads take the free space from "not enough" to "enough" (full -> not full).
 * Sizes: `size` is the ring's data area (Linux ring_datasize; the header page with the indices is
 *       extra). On-ring packet size: 16-byte descriptor + payload rounded up to 8 + the 8-byte
 *       trailer (vmbus_packet_size). As in Linux, a write needs strictly more free bytes than the
 *       packet: a ring never fills to its last byte, or full and empty would look alike.
 * Invariants: used == sum of bytes of the queued packets <= size - 8; writes == reads + queued packets;
 *       bytes_written - bytes_read == used; pending_send_sz != 0 implies free <= pending_send_sz.
 * Simplifies: a read frees its packet's space at once (hv_ringbuffer_read, which commits the read
 *       index per packet), not at the end of a batch (the hv_pkt_iter_* iterator commits at close);
 *       both directions use the same flow control, whichever side (guest or host) writes; monitor
 *       pages (the host polls instead of being signalled) are the caller's business.
 * Units: bytes. See: docs/design.md "I/O paths"; tests/unit/io/test_vmbus.c
 */
#ifndef MODELS_IO_VMBUS_H
#define MODELS_IO_VMBUS_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

/* ---- constants, with their sources ---- */

/* struct vmpacket_descriptor (type, offset8, len8, flags: u16 each; trans_id: u64); linux include/linux/hyperv.h. */
#define VMBUS_PACKET_DESC_BYTES 16u
/* Packets are padded to 8 bytes (vmbus_sendpacket: ALIGN(packetlen, sizeof(u64))). */
#define VMBUS_PACKET_ALIGN 8u
/* The u64 "previous indices" written after each packet (ring_buffer.c VMBUS_PKT_TRAILER). */
#define VMBUS_PACKET_TRAILER_BYTES 8u
/* The largest payload whose on-ring size fits a uint32_t. */
#define VMBUS_PACKET_PAYLOAD_MAX (UINT32_MAX - 31u)
/* Smallest ring accepted: one empty packet plus the byte that keeps full and empty apart (rounded to 8). */
#define VMBUS_RING_MIN_BYTES 32u

/* Control-plane messages (channel offers, GPADL setup): HvCallPostMessage payload (REFERENCE 5.1 [S], TLFS). */
#define VMBUS_MESSAGE_PAYLOAD_BYTES 240u
/* storvsc ring data area per direction per channel: storvsc_ringbuffer_size (REFERENCE 5.2 [S], storvsc_drv.c). */
#define VMBUS_STORVSC_RING_BYTES (128u * 1024u)
/* storvsc: vCPUs per sub-channel, storvsc_vcpus_per_sub_channel (REFERENCE 5.1 [S], storvsc_drv.c). */
#define VMBUS_STORVSC_VCPUS_PER_SUBCHANNEL 4u
/* netvsc ring data area per direction per channel: ring_size = 128 pages of 4 KiB (REFERENCE 5.3 [S]). */
#define VMBUS_NETVSC_RING_BYTES (128u * 4096u)
/* netvsc vRSS channels: VRSS_CHANNEL_DEFAULT 8 (16 from 2025), VRSS_CHANNEL_MAX 64 (REFERENCE 5.1 [S];
   linux drivers/net/hyperv/hyperv_net.h). */
#define VMBUS_NETVSC_CHANNELS_DEFAULT 8u
#define VMBUS_NETVSC_CHANNELS_MAX 64u

/* ---- packets and rings ---- */

/*
 * One packet (descriptor) on a ring. Embed it in the request or completion it carries; the caller owns
 * the memory and gets back to the outer struct with sim_container_of. A packet is on at most one ring.
 */
struct vmbus_packet {
	uint32_t bytes; /* header + payload as written to the ring (vmbus_packet_size: 8-byte multiple) */
	GList link;     /* private: in the ring's queue */
};

/* One direction of a channel: a ring of `size` bytes holding packets in order. Fields are read-only. */
struct vmbus_ring {
	uint32_t size;            /* bytes of data area (e.g. VMBUS_STORVSC_RING_BYTES) */
	uint32_t used;            /* bytes in the ring */
	bool interrupt_mask;      /* the reader is draining and asks not to be signalled */
	uint32_t pending_send_sz; /* a writer that found the ring full waits for more than this free (0: none) */
	GQueue packets;           /* struct vmbus_packet *, oldest first */
	/* counters (since init) */
	uint64_t writes, reads;    /* packets written / read */
	uint64_t signals_to_reader; /* writes after which the writer had to signal */
	uint64_t signals_to_writer; /* reads after which the reader had to signal a waiting writer */
	uint64_t full_stalls;       /* writes refused for lack of space */
	uint64_t bytes_written, bytes_read;
	uint32_t max_used;          /* high-water mark of used */
};

void vmbus_ring_init(struct vmbus_ring *r, uint32_t size);
/* Forgets the packets still queued (unlinks them; they belong to their owners and are not freed). */
void vmbus_ring_fini(struct vmbus_ring *r);

/*
 * The on-ring size of a packet carrying `payload` bytes: VMBUS_PACKET_DESC_BYTES + payload rounded up
 * to VMBUS_PACKET_ALIGN + VMBUS_PACKET_TRAILER_BYTES (linux: vmbus_sendpacket + hv_ringbuffer_write).
 * 0 (and a critical warning) when payload > VMBUS_PACKET_PAYLOAD_MAX.
 */
uint32_t vmbus_packet_size(uint32_t payload);

/*
 * Writes p (p->bytes set, not on any ring). When it does not fit (free <= p->bytes) returns false,
 * sets pending_send_sz = p->bytes and counts a full stall: the writer must wait until a read reports
 * space. On success returns true, clears pending_send_sz (the writer is no longer waiting) and sets
 * *signal (may be NULL) to whether the writer must signal the reader: the ring was empty before this
 * write and the reader has not set interrupt_mask. A packet that can never fit (p->bytes > size - 8)
 * or whose size is not a positive multiple of 8 is a model bug (aborts).
 */
bool vmbus_ring_write(struct vmbus_ring *r, struct vmbus_packet *p, bool *signal);

/*
 * Takes the oldest packet (NULL when empty) and frees its space. *signal_writer (may be NULL) says
 * whether the reader must signal a waiting writer: pending_send_sz was set and the free space now
 * exceeds it (linux hv_pkt_iter_close); pending_send_sz is then cleared, so a writer is signalled once.
 */
struct vmbus_packet *vmbus_ring_read(struct vmbus_ring *r, bool *signal_writer);

/*
 * The reader's draining protocol (linux hv_begin_read / hv_end_read). begin masks interrupts: writes
 * during the drain do not signal. end unmasks and returns true if packets are in the ring (they
 * arrived after the last read found it empty, and their writers did not signal): the reader must
 * begin and drain again instead of sleeping.
 */
void vmbus_ring_begin_read(struct vmbus_ring *r);
bool vmbus_ring_end_read(struct vmbus_ring *r);

/*
 * The whole reader's protocol in one call: begin, read every packet (fn for each, told whether that
 * read must signal a waiting writer), end, and again while packets slipped in. fn may write more
 * packets to the ring (a writer it lets in): they are read in the same call.
 */
void vmbus_ring_drain(struct vmbus_ring *r, void (*fn)(struct vmbus_packet *p, bool signal_writer, void *arg), void *arg);

static inline bool vmbus_ring_empty(const struct vmbus_ring *r)
{
	return r->used == 0;
}

/* Free bytes (size - used). A packet fits only if it is strictly smaller (vmbus_ring_fits). */
uint32_t vmbus_ring_free(const struct vmbus_ring *r);
/* Whether a packet of `bytes` would be accepted now. */
bool vmbus_ring_fits(const struct vmbus_ring *r, uint32_t bytes);

/* ---- channels ---- */

/* A channel: outbound (guest -> host) and inbound (host -> guest) rings, and the vCPU its interrupts go to. */
struct vmbus_channel {
	struct vmbus_ring out, in;
	uint32_t target_vcpu; /* guest vCPU that receives this channel's interrupts (re-targetable) */
	uint32_t id;          /* the device's channel number: 0 primary, 1.. sub-channels */
};

/* Both rings get ring_size bytes of data area each (storvsc and netvsc use equal sizes both ways). */
void vmbus_channel_init(struct vmbus_channel *c, uint32_t id, uint32_t ring_size, uint32_t target_vcpu);
void vmbus_channel_fini(struct vmbus_channel *c);

/*
 * Channels (primary + sub-channels) a device uses in a guest with `vcpus` vCPUs.
 * storvsc: 1 + (vcpus - 1) / VMBUS_STORVSC_VCPUS_PER_SUBCHANNEL (REFERENCE 5.1/5.2 [S]): 1 up to 4
 *   vCPUs, 2 from 5, 3 from 9, ... 16 at 64.
 * netvsc (vRSS): min(vcpus, max_channels, VMBUS_NETVSC_CHANNELS_MAX) (REFERENCE 5.1/5.3 [S];
 *   rndis_filter_device_add), max_channels being the driver's setting (VMBUS_NETVSC_CHANNELS_DEFAULT).
 *   Assumes the host offers at least that many receive queues.
 * vcpus (and max_channels) must be at least 1 (else a critical warning and 1).
 */
uint32_t vmbus_storvsc_channels(uint32_t vcpus);
uint32_t vmbus_netvsc_channels(uint32_t vcpus, uint32_t max_channels);

#endif /* MODELS_IO_VMBUS_H */
