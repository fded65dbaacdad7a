/* SPDX-License-Identifier: MIT */
/*
 * vmbus.c - VMBus rings and channels: byte accounting, and the signalling rules of Linux's
 *           drivers/hv/ring_buffer.c (interface and rules: vmbus.h).
 * Role: decides, for each write and read, whether the caller must signal the other side; holds no
 *       time, charges no cost, schedules nothing. Every operation is O(1) and allocates nothing (the
 *       packet's queue link is embedded in it).
 * See: ../shared/REFERENCE.md 5.1-5.3; tests/unit/io/test_vmbus.c
 */
#include "models/io/vmbus.h"

#include <inttypes.h>

#include "sim/sim.h"

void vmbus_ring_init(struct vmbus_ring *r, uint32_t size)
{
	if (size < VMBUS_RING_MIN_BYTES || size % VMBUS_PACKET_ALIGN != 0)
		sim_bug(NULL, NULL, "vmbus: ring of %" PRIu32 " bytes (need a multiple of %u, at least %u)", size,
			VMBUS_PACKET_ALIGN, VMBUS_RING_MIN_BYTES);
	*r = (struct vmbus_ring){ .size = size };
	g_queue_init(&r->packets);
}

void vmbus_ring_fini(struct vmbus_ring *r)
{
	GList *l;

	/* Not g_queue_clear: the links are embedded in the packets and must not be freed. */
	while ((l = g_queue_pop_head_link(&r->packets)))
		l->data = NULL;
	r->used = 0;
	r->pending_send_sz = 0;
	r->interrupt_mask = false;
}

uint32_t vmbus_packet_size(uint32_t payload)
{
	g_return_val_if_fail(payload <= VMBUS_PACKET_PAYLOAD_MAX, 0);
	uint32_t padded = (payload + (VMBUS_PACKET_ALIGN - 1)) & ~(VMBUS_PACKET_ALIGN - 1);
	return VMBUS_PACKET_DESC_BYTES + padded + VMBUS_PACKET_TRAILER_BYTES;
}

uint32_t vmbus_ring_free(const struct vmbus_ring *r)
{
	return r->size - r->used;
}

/*
 * Strictly less than the free space: with read index == write index meaning "empty", a ring filled to
 * its last byte would read as empty (hv_ringbuffer_write: "If there is only room for the packet, assume
 * it is full").
 */
bool vmbus_ring_fits(const struct vmbus_ring *r, uint32_t bytes)
{
	return bytes < vmbus_ring_free(r);
}

bool vmbus_ring_write(struct vmbus_ring *r, struct vmbus_packet *p, bool *signal)
{
	if (p->bytes == 0 || p->bytes % VMBUS_PACKET_ALIGN != 0 || p->bytes > r->size - VMBUS_PACKET_ALIGN)
		sim_bug(NULL, NULL, "vmbus: packet of %" PRIu32 " bytes on a ring of %" PRIu32
			" (a packet is a positive multiple of 8 and at most size - 8)", p->bytes, r->size);
	if (signal)
		*signal = false;
	if (!vmbus_ring_fits(r, p->bytes)) {
		/* The writer waits; the reader signals it when more than this is free (vmbus_ring_read). */
		r->pending_send_sz = p->bytes;
		r->full_stalls++;
		return false;
	}
	bool was_empty = vmbus_ring_empty(r);
	p->link.data = p;
	g_queue_push_tail_link(&r->packets, &p->link);
	r->used += p->bytes;
	if (r->used > r->max_used)
		r->max_used = r->used;
	r->pending_send_sz = 0;
	r->writes++;
	r->bytes_written += p->bytes;
	/* hv_signal_on_write: only on empty -> non-empty, and only if the reader is not draining. */
	if (was_empty && !r->interrupt_mask) {
		r->signals_to_reader++;
		if (signal)
			*signal = true;
	}
	return true;
}

struct vmbus_packet *vmbus_ring_read(struct vmbus_ring *r, bool *signal_writer)
{
	if (signal_writer)
		*signal_writer = false;
	GList *l = g_queue_pop_head_link(&r->packets);
	if (!l)
		return NULL;
	struct vmbus_packet *p = sim_container_of(l, struct vmbus_packet, link);
	l->data = NULL;
	SIM_ASSERT(NULL, p->bytes <= r->used);
	r->used -= p->bytes;
	r->reads++;
	r->bytes_read += p->bytes;
	/*
	 * hv_pkt_iter_close: signal a blocked writer only on the transition from "not enough space" to
	 * "enough" (free > pending_send_sz). Before this read free <= pending_send_sz held: it holds from
	 * the refused write on, reads that leave it true do not signal, and the first read that breaks
	 * it clears pending_send_sz (as does the writer's next successful write), so it signals once.
	 */
	if (r->pending_send_sz && vmbus_ring_free(r) > r->pending_send_sz) {
		r->pending_send_sz = 0;
		r->signals_to_writer++;
		if (signal_writer)
			*signal_writer = true;
	}
	return p;
}

void vmbus_ring_begin_read(struct vmbus_ring *r)
{
	r->interrupt_mask = true;
}

/*
 * hv_end_read: unmask, then look again. Packets written while the mask was set did not signal; if
 * any are still there the reader must drain them now, or they would wait for the next burst's signal.
 */
bool vmbus_ring_end_read(struct vmbus_ring *r)
{
	r->interrupt_mask = false;
	return !vmbus_ring_empty(r);
}

void vmbus_channel_init(struct vmbus_channel *c, uint32_t id, uint32_t ring_size, uint32_t target_vcpu)
{
	vmbus_ring_init(&c->out, ring_size);
	vmbus_ring_init(&c->in, ring_size);
	c->id = id;
	c->target_vcpu = target_vcpu;
}

void vmbus_channel_fini(struct vmbus_channel *c)
{
	vmbus_ring_fini(&c->out);
	vmbus_ring_fini(&c->in);
}

uint32_t vmbus_storvsc_channels(uint32_t vcpus)
{
	g_return_val_if_fail(vcpus >= 1, 1);
	return 1 + (vcpus - 1) / VMBUS_STORVSC_VCPUS_PER_SUBCHANNEL;
}

uint32_t vmbus_netvsc_channels(uint32_t vcpus, uint32_t max_channels)
{
	g_return_val_if_fail(vcpus >= 1 && max_channels >= 1, 1);
	uint32_t n = MIN(vcpus, max_channels);
	return MIN(n, VMBUS_NETVSC_CHANNELS_MAX);
}

void vmbus_ring_drain(struct vmbus_ring *r, void (*fn)(struct vmbus_packet *p, bool signal_writer, void *arg), void *arg)
{
	do {
		vmbus_ring_begin_read(r);
		struct vmbus_packet *p;
		bool signal = false;
		while ((p = vmbus_ring_read(r, &signal)) != NULL)
			fn(p, signal, arg);
	} while (vmbus_ring_end_read(r));
}
