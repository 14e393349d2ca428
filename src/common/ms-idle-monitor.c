#include "config.h"

#include "ms-idle-monitor.h"

/*
 * Counts what keeps a service busy (open connections and requests in flight) and
 * calls back once the count has stayed at zero for the whole timeout. libsoup has
 * no server-side idle timeout, so this is it. The callback returns
 * G_SOURCE_CONTINUE when something the count cannot see still keeps it busy.
 */
struct _MsIdleMonitor {
	guint timeout_seconds; /* 0: never idle out */
	guint active;
	guint timer_id;
	GSourceFunc on_idle;
	gpointer user_data;
};

static gboolean
idle_timer_fired(gpointer user_data)
{
	MsIdleMonitor *self = user_data;

	/* the callback may find the service still busy: then it asks again later */
	if (self->on_idle(self->user_data) == G_SOURCE_CONTINUE)
		return G_SOURCE_CONTINUE;
	self->timer_id = 0;
	return G_SOURCE_REMOVE;
}

static void
timer_restart(MsIdleMonitor *self)
{
	g_clear_handle_id(&self->timer_id, g_source_remove);
	if (self->timeout_seconds > 0 && self->active == 0)
		/* not g_timeout_add_seconds(): it rounds to whole seconds and may fire early */
		self->timer_id =
			g_timeout_add(self->timeout_seconds * 1000, idle_timer_fired, self);
}

/**
 * ms_idle_monitor_new:
 * @timeout_seconds: idle time before @on_idle runs; 0 never calls it
 *
 * The monitor starts idle: a service nobody connects to exits after the timeout.
 */
MsIdleMonitor *
ms_idle_monitor_new(guint timeout_seconds, GSourceFunc on_idle, gpointer user_data)
{
	MsIdleMonitor *self = g_new0(MsIdleMonitor, 1);

	self->timeout_seconds = timeout_seconds;
	self->on_idle = on_idle;
	self->user_data = user_data;
	timer_restart(self);
	return self;
}

void
ms_idle_monitor_free(MsIdleMonitor *self)
{
	if (self == NULL)
		return;
	g_clear_handle_id(&self->timer_id, g_source_remove);
	g_free(self);
}

void
ms_idle_monitor_hold(MsIdleMonitor *self)
{
	if (self->active++ == 0)
		g_clear_handle_id(&self->timer_id, g_source_remove);
}

void
ms_idle_monitor_release(MsIdleMonitor *self)
{
	g_return_if_fail(self->active > 0);
	if (--self->active == 0)
		timer_restart(self);
}

guint
ms_idle_monitor_get_active(MsIdleMonitor *self)
{
	return self->active;
}
