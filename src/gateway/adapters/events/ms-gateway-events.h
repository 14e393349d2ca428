/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * A worker's connection events: one GSource polls one epoll set that holds
 * every connection's socket, client and upstream alike, keeps the connections' deadlines in one
 * sorted sequence and a queue of connections woken for work. A main context wakeup then costs what
 * the ready connections cost, not what the open ones do: GLib polls one descriptor for all of them,
 * and an idle connection is neither polled nor dispatched.
 *
 * Below the connections (ms-gateway-front-conn.c calls it; it calls back only
 * through the MsGatewayWatchFuncs it was given). Everything runs on the
 * thread that owns the main context.
 */

typedef struct _MsGatewayEvents MsGatewayEvents;
typedef struct _MsGatewayWatch MsGatewayWatch;

typedef struct {
	/*
	 * @revents: what epoll reported, 0 when only a deadline came or the
	 * watch was woken; the owner looks at its own state to see which
	 */
	void (*dispatch)(MsGatewayWatch *watch, GIOCondition revents);
	/* the events hold a reference while a dispatch is due */
	void (*ref)(MsGatewayWatch *watch);
	void (*unref)(MsGatewayWatch *watch);
} MsGatewayWatchFuncs;

/* one socket's registration; embedded in its owner, its fields are ms-gateway-events.c's */
struct _MsGatewayWatch {
	MsGatewayEvents *events; /* %NULL once removed */
	const MsGatewayWatchFuncs *funcs;
	int fd;                 /* -1 for a timer's */
	GIOCondition condition; /* what epoll watches for */
	GIOCondition revents;   /* reported and not yet dispatched */
	gint64 armed;           /* when the deadline dispatch is due, monotonic µs; -1 for none */
	GSequenceIter *timer;   /* in the events' deadlines while armed */
	GList due;              /* the link in the queue of dispatches due */
	gboolean queued;
};

MsGatewayEvents *
ms_gateway_events_new(GMainContext *context);
void
ms_gateway_events_free(MsGatewayEvents *self);
GMainContext *
ms_gateway_events_get_context(MsGatewayEvents *self);
gint64
ms_gateway_events_get_time(MsGatewayEvents *self);
guint64
ms_gateway_events_get_n_dispatches(MsGatewayEvents *self);

gboolean
ms_gateway_watch_add(MsGatewayWatch *watch,
		     MsGatewayEvents *events,
		     int fd,
		     GIOCondition condition,
		     const MsGatewayWatchFuncs *funcs);
void
ms_gateway_watch_add_timer(MsGatewayWatch *watch,
			   MsGatewayEvents *events,
			   const MsGatewayWatchFuncs *funcs);
void
ms_gateway_watch_set_condition(MsGatewayWatch *watch, GIOCondition condition);
void
ms_gateway_watch_arm(MsGatewayWatch *watch, gint64 when);
gint64
ms_gateway_watch_get_armed(const MsGatewayWatch *watch);
void
ms_gateway_watch_wake(MsGatewayWatch *watch);
void
ms_gateway_watch_remove(MsGatewayWatch *watch);

G_END_DECLS
