#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * A worker's connection events: one GSource polls one epoll set that holds
 * every connection's socket, keeps the connections' deadlines in one sorted
 * sequence and a queue of connections woken for work. A main context wakeup
 * then costs what the ready connections cost, not what the open ones do:
 * GLib polls one descriptor for all of them, and an idle connection is
 * neither polled nor dispatched.
 *
 * Below the connections (ms-gateway-front-conn.c calls it; it calls back only
 * through the MsGatewayFrontWatchFuncs it was given). Everything runs on the
 * thread that owns the main context.
 */

typedef struct _MsGatewayFrontEvents MsGatewayFrontEvents;
typedef struct _MsGatewayFrontWatch MsGatewayFrontWatch;

typedef struct {
	/*
	 * @revents: what epoll reported, 0 when only a deadline came or the
	 * watch was woken; the owner looks at its own state to see which
	 */
	void (*dispatch)(MsGatewayFrontWatch *watch, GIOCondition revents);
	/* the events hold a reference while a dispatch is due */
	void (*ref)(MsGatewayFrontWatch *watch);
	void (*unref)(MsGatewayFrontWatch *watch);
} MsGatewayFrontWatchFuncs;

/* one socket's registration; embedded in its owner, its fields are ms-gateway-front-events.c's */
struct _MsGatewayFrontWatch {
	MsGatewayFrontEvents *events; /* %NULL once removed */
	const MsGatewayFrontWatchFuncs *funcs;
	int fd;
	GIOCondition condition; /* what epoll watches for */
	GIOCondition revents;   /* reported and not yet dispatched */
	gint64 armed;           /* when the deadline dispatch is due, monotonic µs; -1 for none */
	GSequenceIter *timer;   /* in the events' deadlines while armed */
	GList due;              /* the link in the queue of dispatches due */
	gboolean queued;
};

MsGatewayFrontEvents *
ms_gateway_front_events_new(GMainContext *context);
void
ms_gateway_front_events_free(MsGatewayFrontEvents *self);
GMainContext *
ms_gateway_front_events_get_context(MsGatewayFrontEvents *self);
gint64
ms_gateway_front_events_get_time(MsGatewayFrontEvents *self);
guint64
ms_gateway_front_events_get_n_dispatches(MsGatewayFrontEvents *self);

gboolean
ms_gateway_front_watch_add(MsGatewayFrontWatch *watch,
			   MsGatewayFrontEvents *events,
			   int fd,
			   GIOCondition condition,
			   const MsGatewayFrontWatchFuncs *funcs);
void
ms_gateway_front_watch_set_condition(MsGatewayFrontWatch *watch, GIOCondition condition);
void
ms_gateway_front_watch_arm(MsGatewayFrontWatch *watch, gint64 when);
gint64
ms_gateway_front_watch_get_armed(const MsGatewayFrontWatch *watch);
void
ms_gateway_front_watch_wake(MsGatewayFrontWatch *watch);
void
ms_gateway_front_watch_remove(MsGatewayFrontWatch *watch);

G_END_DECLS
