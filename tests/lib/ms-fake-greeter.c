/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "ms-fake-greeter.h"

struct _MsFakeGreeter {
	GObject parent_instance;
	MsGreeter *inner;
	guint delay_ms;
	int error_code;
	guint calls;
	guint cancelled;
	char *last_name;
	char *last_language;
	char *last_request_id;
};

static void
ms_fake_greeter_iface_init(MsGreeterInterface *iface);

G_DEFINE_TYPE_WITH_CODE(MsFakeGreeter,
			ms_fake_greeter,
			G_TYPE_OBJECT,
			G_IMPLEMENT_INTERFACE(MS_TYPE_GREETER, ms_fake_greeter_iface_init))

/* one call waiting for its delay or its cancellation, whichever comes first */
typedef struct {
	GTask *task;
	GSource *timer;
	GSource *cancel; /* (nullable) */
	char *name;
	char *language;
	char *request_id;
} FakeCall;

static void
on_inner_greeted(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	GError *error = NULL;
	char *message = ms_greeter_greet_finish(MS_GREETER(source), result, &error);

	if (message == NULL)
		g_task_return_error(task, error);
	else
		g_task_return_pointer(task, message, g_free);
}

static void
fake_call_finish(FakeCall *call)
{
	g_autoptr(GTask) task = call->task;
	MsFakeGreeter *self = g_task_get_source_object(task);
	g_autofree char *name = call->name;
	g_autofree char *language = call->language;
	g_autofree char *request_id = call->request_id;

	g_source_destroy(call->timer);
	g_source_unref(call->timer);
	if (call->cancel != NULL) {
		g_source_destroy(call->cancel);
		g_source_unref(call->cancel);
	}
	g_free(call);
	if (g_task_return_error_if_cancelled(task)) {
		self->cancelled++;
		return;
	}
	if (self->error_code != MS_FAKE_GREETER_NO_ERROR) {
		g_task_return_new_error(task,
					MS_GREETER_ERROR,
					self->error_code,
					"fake %s failed on purpose",
					ms_greeter_get_name(self->inner));
		return;
	}
	ms_greeter_greet_async(self->inner,
			       name,
			       language,
			       request_id,
			       NULL,
			       on_inner_greeted,
			       g_steal_pointer(&task));
}

static gboolean
on_fake_ready(gpointer user_data)
{
	fake_call_finish(user_data);
	return G_SOURCE_REMOVE;
}

static gboolean
on_fake_cancelled(GCancellable *cancellable, gpointer user_data)
{
	fake_call_finish(user_data);
	return G_SOURCE_REMOVE;
}

static void
ms_fake_greeter_greet_async(MsGreeter *greeter,
			    const char *name,
			    const char *language,
			    const char *request_id,
			    GCancellable *cancellable,
			    GAsyncReadyCallback callback,
			    gpointer user_data)
{
	MsFakeGreeter *self = MS_FAKE_GREETER(greeter);
	FakeCall *call = g_new0(FakeCall, 1);

	self->calls++;
	g_free(self->last_name);
	self->last_name = g_strdup(name);
	g_free(self->last_language);
	self->last_language = g_strdup(language);
	g_free(self->last_request_id);
	self->last_request_id = g_strdup(request_id);

	call->task = g_task_new(self, cancellable, callback, user_data);
	call->name = g_strdup(name);
	call->language = g_strdup(language);
	call->request_id = g_strdup(request_id);
	call->timer = g_timeout_source_new(self->delay_ms);
	g_source_set_callback(call->timer, on_fake_ready, call, NULL);
	g_source_attach(call->timer, g_task_get_context(call->task));
	if (cancellable != NULL) {
		call->cancel = g_cancellable_source_new(cancellable);
		g_source_set_callback(call->cancel, G_SOURCE_FUNC(on_fake_cancelled), call, NULL);
		g_source_attach(call->cancel, g_task_get_context(call->task));
	}
}

static const char *
ms_fake_greeter_get_name(MsGreeter *greeter)
{
	return ms_greeter_get_name(MS_FAKE_GREETER(greeter)->inner);
}

static gboolean
ms_fake_greeter_accepts_name(MsGreeter *greeter)
{
	return ms_greeter_accepts_name(MS_FAKE_GREETER(greeter)->inner);
}

static void
ms_fake_greeter_iface_init(MsGreeterInterface *iface)
{
	iface->get_name = ms_fake_greeter_get_name;
	iface->accepts_name = ms_fake_greeter_accepts_name;
	iface->greet_async = ms_fake_greeter_greet_async;
}

static void
ms_fake_greeter_finalize(GObject *object)
{
	MsFakeGreeter *self = MS_FAKE_GREETER(object);

	g_object_unref(self->inner);
	g_free(self->last_name);
	g_free(self->last_language);
	g_free(self->last_request_id);
	G_OBJECT_CLASS(ms_fake_greeter_parent_class)->finalize(object);
}

static void
ms_fake_greeter_class_init(MsFakeGreeterClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = ms_fake_greeter_finalize;
}

static void
ms_fake_greeter_init(MsFakeGreeter *self)
{
}

/**
 * ms_fake_greeter_new:
 * @inner: (transfer full): what answers, and whose name the fake takes
 * @error_code: an MsGreeterError to fail with, or %MS_FAKE_GREETER_NO_ERROR
 */
MsFakeGreeter *
ms_fake_greeter_new(MsGreeter *inner, guint delay_ms, int error_code)
{
	MsFakeGreeter *self = g_object_new(MS_TYPE_FAKE_GREETER, NULL);

	self->inner = inner;
	self->delay_ms = delay_ms;
	self->error_code = error_code;
	return self;
}

guint
ms_fake_greeter_get_calls(MsFakeGreeter *self)
{
	return self->calls;
}

guint
ms_fake_greeter_get_cancelled(MsFakeGreeter *self)
{
	return self->cancelled;
}

const char *
ms_fake_greeter_get_last_name(MsFakeGreeter *self)
{
	return self->last_name;
}

const char *
ms_fake_greeter_get_last_language(MsFakeGreeter *self)
{
	return self->last_language;
}

const char *
ms_fake_greeter_get_last_request_id(MsFakeGreeter *self)
{
	return self->last_request_id;
}
