/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "gateway/adapters/events/ms-gateway-events.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "common/ms-log.h"

/*
 * GLib's main context polls each of its sources' descriptors on every
 * wakeup: with one source per connection, each idle keep-alive connection
 * cost every request a pollfd, a check and a prepare. Here the context polls
 * one descriptor, an epoll set, and the events dispatch only the connections
 * it reports, whose deadline is due or which were woken.
 *
 * The epoll set is level-triggered, like poll() before it: a connection may
 * stop reading with bytes left in the socket (a pipelining client past a
 * head's worth, a short read taken as all there was) and be told again on the
 * next wakeup. Edge-triggered would save nothing on the hot path (interest
 * changes only when an answer waits for the socket) and would have every
 * connection read to EAGAIN or remember by itself what it left unread.
 *
 * Deadlines are a GSequence sorted by time, so arming one and finding the due
 * ones cost O(log n), and the connections arm lazily (a later deadline waits
 * for the armed one to fire): steady keep-alive traffic arms nothing per
 * request. The source's prepare() and check() read the earliest deadline
 * instead of a ready time, because g_source_set_ready_time() writes the
 * context's wakeup descriptor each time it is moved.
 *
 * The source can recurse: a source that cannot is blocked around each
 * dispatch, and unblocking it re-adds its descriptor and wakes the context up,
 * a write and a read per dispatch.
 */

/* ready connections taken per wakeup; more stay readable for the next one */
#define EVENTS_BATCH 256

struct _MsGatewayEvents {
	GSource source;
	int epoll_fd;
	gpointer tag;
	GSequence *deadlines; /* MsGatewayWatch, by armed time */
	/* the first of them, -1 for none: prepare() and check() read it every iteration */
	gint64 first_deadline;
	gint64 now; /* of the dispatch under way */
	GQueue due; /* MsGatewayWatch, each holding a reference */
	guint64 n_dispatches;
};

/* GLib's conditions and epoll's events: the same poll() bits, under other names */
static const struct {
	GIOCondition condition;
	guint32 epoll;
} condition_bits[] = {
	{ G_IO_IN, EPOLLIN },   { G_IO_OUT, EPOLLOUT }, { G_IO_PRI, EPOLLPRI },
	{ G_IO_HUP, EPOLLHUP }, { G_IO_ERR, EPOLLERR },
};

/* @to_epoll: GLib's condition to epoll's events, else epoll's events to GLib's condition */
static guint32
convert_poll_bits(guint32 bits, gboolean to_epoll)
{
	guint32 converted = 0;

	for (gsize i = 0; i < G_N_ELEMENTS(condition_bits); i++) {
		guint32 from = to_epoll ? condition_bits[i].condition : condition_bits[i].epoll;

		if (bits & from)
			converted |=
				to_epoll ? condition_bits[i].epoll : condition_bits[i].condition;
	}
	return converted;
}

/* HUP and ERR are reported whether asked for or not */
static guint32
epoll_from_condition(GIOCondition condition)
{
	return convert_poll_bits(condition, TRUE);
}

static GIOCondition
condition_from_epoll(guint32 events)
{
	return (GIOCondition)convert_poll_bits(events, FALSE);
}

static gint
watch_compare_armed(gconstpointer a, gconstpointer b, gpointer data)
{
	const MsGatewayWatch *first = a;
	const MsGatewayWatch *second = b;

	return first->armed < second->armed ? -1 : first->armed > second->armed;
}

/* after the first deadline was taken out or moved: found again, in O(log n) */
static void
events_update_first_deadline(MsGatewayEvents *self)
{
	GSequenceIter *first = g_sequence_get_begin_iter(self->deadlines);

	self->first_deadline = g_sequence_iter_is_end(first)
				       ? -1
				       : ((MsGatewayWatch *)g_sequence_get(first))->armed;
}

/* the watch is dispatched once from the next dispatch, however many reasons it has */
static void
events_queue(MsGatewayEvents *self, MsGatewayWatch *watch)
{
	if (watch->queued)
		return;
	watch->queued = TRUE;
	watch->funcs->ref(watch);
	g_queue_push_tail_link(&self->due, &watch->due);
}

static void
events_take_ready(MsGatewayEvents *self)
{
	struct epoll_event ready[EVENTS_BATCH];
	int n;

	do
		n = epoll_wait(self->epoll_fd, ready, EVENTS_BATCH, 0);
	while (n < 0 && errno == EINTR);
	for (int i = 0; i < n; i++) {
		MsGatewayWatch *watch = ready[i].data.ptr;

		watch->revents |= condition_from_epoll(ready[i].events);
		events_queue(self, watch);
	}
}

static void
events_take_expired(MsGatewayEvents *self, gint64 now)
{
	if (self->first_deadline == -1 || self->first_deadline > now)
		return;
	for (;;) {
		GSequenceIter *first = g_sequence_get_begin_iter(self->deadlines);
		MsGatewayWatch *watch;

		if (g_sequence_iter_is_end(first))
			break;
		watch = g_sequence_get(first);
		if (watch->armed > now)
			break;
		g_sequence_remove(first);
		watch->timer = NULL;
		watch->armed = -1;
		events_queue(self, watch);
	}
	events_update_first_deadline(self);
}

static gboolean
events_prepare(GSource *source, gint *timeout)
{
	MsGatewayEvents *self = (MsGatewayEvents *)source;
	gint64 first = self->first_deadline;
	gint64 now;

	*timeout = -1;
	if (self->due.length > 0) {
		*timeout = 0;
		return TRUE;
	}
	if (first == -1)
		return FALSE;
	now = g_source_get_time(source);
	if (first <= now) {
		*timeout = 0;
		return TRUE;
	}
	/* rounded up: a poll that ends a little early would only wake the loop twice */
	*timeout = (gint)MIN((first - now + 999) / 1000, G_MAXINT);
	return FALSE;
}

static gboolean
events_check(GSource *source)
{
	MsGatewayEvents *self = (MsGatewayEvents *)source;
	gint64 first;

	if (self->due.length > 0 || (g_source_query_unix_fd(source, self->tag) & G_IO_IN))
		return TRUE;
	first = self->first_deadline;
	return first != -1 && first <= g_source_get_time(source);
}

static gboolean
events_dispatch(GSource *source, GSourceFunc callback, gpointer user_data)
{
	MsGatewayEvents *self = (MsGatewayEvents *)source;
	GQueue due;
	GList *link;

	if (g_source_query_unix_fd(source, self->tag) & G_IO_IN)
		events_take_ready(self);
	self->now = g_source_get_time(source);
	events_take_expired(self, self->now);
	/* only what is due now: what these dispatches wake waits for the next wakeup */
	due = self->due;
	g_queue_init(&self->due);
	while ((link = g_queue_pop_head_link(&due)) != NULL) {
		MsGatewayWatch *watch = link->data;
		GIOCondition revents = watch->revents;

		watch->revents = 0;
		watch->queued = FALSE;
		/* removed while it waited: only the queue's reference is left to drop */
		if (watch->events != NULL) {
			self->n_dispatches++;
			watch->funcs->dispatch(watch, revents);
		}
		watch->funcs->unref(watch);
	}
	return G_SOURCE_CONTINUE;
}

static void
events_finalize(GSource *source)
{
	MsGatewayEvents *self = (MsGatewayEvents *)source;

	g_sequence_free(self->deadlines);
	close(self->epoll_fd);
}

static GSourceFuncs events_funcs = {
	.prepare = events_prepare,
	.check = events_check,
	.dispatch = events_dispatch,
	.finalize = events_finalize,
};

/**
 * ms_gateway_events_new:
 * @context: (nullable): where the connections are served; %NULL for the
 *   global default one
 *
 * Like GMainContext's own wakeup descriptor, the epoll set is something a
 * worker cannot run without: failing to make one (no descriptors, no memory,
 * before any client is taken) aborts, as GLib does.
 */
MsGatewayEvents *
ms_gateway_events_new(GMainContext *context)
{
	MsGatewayEvents *self =
		(MsGatewayEvents *)g_source_new(&events_funcs, sizeof(MsGatewayEvents));

	self->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (self->epoll_fd < 0)
		g_error("cannot create an epoll set for the gateway's connections: %s",
			g_strerror(errno));
	self->deadlines = g_sequence_new(NULL);
	self->first_deadline = -1;
	g_queue_init(&self->due);
	self->tag = g_source_add_unix_fd(&self->source, self->epoll_fd, G_IO_IN);
	g_source_set_can_recurse(&self->source, TRUE);
	g_source_set_static_name(&self->source, "microsoup connections");
	g_source_attach(&self->source, context);
	return self;
}

/* every watch is removed already; the dispatches still due are dropped */
void
ms_gateway_events_free(MsGatewayEvents *self)
{
	GList *link;

	g_source_destroy(&self->source);
	while ((link = g_queue_pop_head_link(&self->due)) != NULL) {
		MsGatewayWatch *watch = link->data;

		watch->queued = FALSE;
		watch->funcs->unref(watch);
	}
	g_source_unref(&self->source);
}

/* Returns: (transfer none) (nullable): where the events are dispatched, %NULL for the global
 * default */
GMainContext *
ms_gateway_events_get_context(MsGatewayEvents *self)
{
	GMainContext *context = g_source_get_context(&self->source);

	return context == g_main_context_default() ? NULL : context;
}

/* the monotonic time of this main context iteration, in µs: only from a watch's dispatch */
gint64
ms_gateway_events_get_time(MsGatewayEvents *self)
{
	return self->now;
}

/* how many times a connection was dispatched: what tests count */
guint64
ms_gateway_events_get_n_dispatches(MsGatewayEvents *self)
{
	return self->n_dispatches;
}

/**
 * ms_gateway_watch_add:
 * @watch: embedded in its owner, which outlives it
 * @fd: a non-blocking socket, removed from the set before it is closed
 * @funcs: calls the owner back; static
 *
 * Polls @fd for @condition from @events' context. When the epoll set does
 * not take @fd (no memory, max_user_watches), @watch can still be armed and
 * woken, which is how its owner can close it.
 *
 * Returns: %FALSE when @fd is not polled
 */
gboolean
ms_gateway_watch_add(MsGatewayWatch *watch,
		     MsGatewayEvents *events,
		     int fd,
		     GIOCondition condition,
		     const MsGatewayWatchFuncs *funcs)
{
	struct epoll_event event = { .events = epoll_from_condition(condition), .data.ptr = watch };

	memset(watch, 0, sizeof *watch);
	watch->events = events;
	watch->funcs = funcs;
	watch->fd = fd;
	watch->condition = condition;
	watch->armed = -1;
	watch->due.data = watch;
	if (epoll_ctl(events->epoll_fd, EPOLL_CTL_ADD, fd, &event) != 0) {
		ms_warning("cannot poll a connection: %s", g_strerror(errno));
		watch->fd = -1;
		return FALSE;
	}
	return TRUE;
}

/**
 * ms_gateway_watch_add_timer:
 * @watch: embedded in its owner, which outlives it
 * @funcs: calls the owner back; static
 *
 * A watch with no socket: armed for a deadline, or woken for a turn from the
 * next dispatch. What waits for something other than a socket (a request for a
 * connection to come free) keeps its deadline with the connections' and costs a
 * wakeup no more than they do, where a GSource of its own would be prepared and
 * checked on every one.
 */
void
ms_gateway_watch_add_timer(MsGatewayWatch *watch,
			   MsGatewayEvents *events,
			   const MsGatewayWatchFuncs *funcs)
{
	memset(watch, 0, sizeof *watch);
	watch->events = events;
	watch->funcs = funcs;
	watch->fd = -1;
	watch->armed = -1;
	watch->due.data = watch;
}

/* what @watch is polled for from now on; HUP and ERR are reported whatever it is */
void
ms_gateway_watch_set_condition(MsGatewayWatch *watch, GIOCondition condition)
{
	struct epoll_event event = { .events = epoll_from_condition(condition), .data.ptr = watch };

	if (watch->events == NULL || watch->condition == condition)
		return;
	watch->condition = condition;
	if (watch->fd >= 0 && epoll_ctl(watch->events->epoll_fd, EPOLL_CTL_MOD, watch->fd, &event))
		ms_warning("cannot change what a connection is polled for: %s", g_strerror(errno));
}

/**
 * ms_gateway_watch_arm:
 * @when: monotonic µs; -1 for no deadline
 *
 * Dispatches @watch (with no revents) once @when has passed, in place of
 * what was armed before.
 */
void
ms_gateway_watch_arm(MsGatewayWatch *watch, gint64 when)
{
	MsGatewayEvents *events = watch->events;
	gboolean was_first;

	if (events == NULL || watch->armed == when)
		return;
	was_first = watch->armed != -1 && watch->armed == events->first_deadline;
	g_clear_pointer(&watch->timer, g_sequence_remove);
	watch->armed = when;
	if (when != -1)
		watch->timer = g_sequence_insert_sorted(events->deadlines,
							watch,
							watch_compare_armed,
							NULL);
	if (was_first)
		events_update_first_deadline(events);
	else if (when != -1 && (events->first_deadline == -1 || when < events->first_deadline))
		events->first_deadline = when;
}

/* the deadline dispatch that is due, -1 for none */
gint64
ms_gateway_watch_get_armed(const MsGatewayWatch *watch)
{
	return watch->armed;
}

/* dispatches @watch from the events' next dispatch, never from within the caller */
void
ms_gateway_watch_wake(MsGatewayWatch *watch)
{
	if (watch->events != NULL)
		events_queue(watch->events, watch);
}

/* before its socket is closed: no dispatch comes after this */
void
ms_gateway_watch_remove(MsGatewayWatch *watch)
{
	MsGatewayEvents *events = watch->events;

	if (events == NULL)
		return;
	ms_gateway_watch_arm(watch, -1);
	if (watch->fd >= 0)
		epoll_ctl(events->epoll_fd, EPOLL_CTL_DEL, watch->fd, NULL);
	watch->events = NULL;
}
