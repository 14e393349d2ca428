/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "ms-greeting-service.h"

/*
 * The greeting service: asks every part (hello, then world) at once, each with its
 * own deadline, and puts together what answered. A part that fails or is late does
 * not fail the greeting, it is reported as such; only a bad name fails it, because
 * that is the client's fault and every part would refuse it.
 */

struct _MsGreetingService {
	GObject parent_instance;
	GPtrArray *greeters; /* MsGreeter, in the order their messages are joined */
	guint part_timeout_ms;
};

G_DEFINE_TYPE(MsGreetingService, ms_greeting_service, G_TYPE_OBJECT)

static void
ms_greeting_part_free(MsGreetingPart *part)
{
	g_free(part->name);
	g_free(part->message);
	g_clear_error(&part->error);
	g_free(part);
}

void
ms_greeting_result_free(MsGreetingResult *result)
{
	g_free(result->message);
	g_clear_pointer(&result->parts, g_ptr_array_unref);
	g_free(result);
}

/* one part in flight */
typedef struct {
	GCancellable *cancellable; /* cancelled at its deadline or with the caller's */
	GSource *deadline;         /* (nullable) */
	gboolean settled;          /* answered, failed or given up on */
} PartState;

/* one greeting in flight: the task's data */
typedef struct {
	GPtrArray *parts; /* MsGreetingPart, filled as parts settle */
	PartState *states;
	guint n_parts;
	guint pending;
	GSource *caller_cancelled; /* (nullable) */
} GreetCall;

/* what a greeter callback or a deadline needs to find its part */
typedef struct {
	GTask *task;
	guint index;
} PartRef;

static void
greet_call_free(GreetCall *call)
{
	if (call->caller_cancelled != NULL) {
		g_source_destroy(call->caller_cancelled);
		g_source_unref(call->caller_cancelled);
	}
	for (guint i = 0; i < call->n_parts; i++) {
		g_clear_object(&call->states[i].cancellable);
		g_clear_pointer(&call->states[i].deadline, g_source_unref);
	}
	g_free(call->states);
	g_clear_pointer(&call->parts, g_ptr_array_unref);
	g_free(call);
}

static PartRef *
part_ref_new(GTask *task, guint index)
{
	PartRef *ref = g_new0(PartRef, 1);

	ref->task = g_object_ref(task);
	ref->index = index;
	return ref;
}

static void
part_ref_free(PartRef *ref)
{
	g_object_unref(ref->task);
	g_free(ref);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PartRef, part_ref_free)

static char *
join_messages(GPtrArray *parts)
{
	g_autoptr(GString) joined = NULL;

	for (guint i = 0; i < parts->len; i++) {
		MsGreetingPart *part = g_ptr_array_index(parts, i);

		if (part->message == NULL)
			continue;
		if (joined == NULL)
			joined = g_string_new(part->message);
		else
			g_string_append_printf(joined, " %s", part->message);
	}
	return joined != NULL ? g_string_free(g_steal_pointer(&joined), FALSE) : NULL;
}

static void
greet_call_complete(GTask *task, GreetCall *call)
{
	g_autoptr(MsGreetingResult) result = NULL;

	if (call->caller_cancelled != NULL)
		g_source_destroy(call->caller_cancelled);
	/* a part that refused the name speaks for the whole greeting */
	for (guint i = 0; i < call->parts->len; i++) {
		MsGreetingPart *part = g_ptr_array_index(call->parts, i);

		if (g_error_matches(part->error, MS_GREETER_ERROR, MS_GREETER_ERROR_INVALID_NAME)) {
			g_task_return_error(task, g_error_copy(part->error));
			return;
		}
	}
	result = g_new0(MsGreetingResult, 1);
	result->parts = g_steal_pointer(&call->parts);
	result->message = join_messages(result->parts);
	result->complete = TRUE;
	for (guint i = 0; i < result->parts->len; i++) {
		MsGreetingPart *part = g_ptr_array_index(result->parts, i);
		if (part->error != NULL)
			result->complete = FALSE;
	}
	g_task_return_pointer(task,
			      g_steal_pointer(&result),
			      (GDestroyNotify)ms_greeting_result_free);
}

/* takes @message or @error; a part settles once, whatever comes later is dropped */
static void
part_settle(GTask *task, guint index, char *message, GError *error)
{
	GreetCall *call = g_task_get_task_data(task);
	PartState *state = &call->states[index];
	MsGreetingPart *part;

	if (state->settled) {
		g_free(message);
		g_clear_error(&error);
		return;
	}
	state->settled = TRUE;
	part = g_ptr_array_index(call->parts, index);
	if (state->deadline != NULL)
		g_source_destroy(state->deadline);
	part->message = message;
	part->error = error;
	if (--call->pending == 0)
		greet_call_complete(task, call);
}

static void
on_part_greeted(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(PartRef) ref = user_data;
	GError *error = NULL;
	char *message = ms_greeter_greet_finish(MS_GREETER(source), result, &error);

	part_settle(ref->task, ref->index, message, error);
}

static gboolean
on_part_deadline(gpointer user_data)
{
	PartRef *ref = user_data;
	MsGreetingService *self = g_task_get_source_object(ref->task);
	GreetCall *call = g_task_get_task_data(ref->task);
	MsGreetingPart *part = g_ptr_array_index(call->parts, ref->index);

	part_settle(ref->task,
		    ref->index,
		    NULL,
		    g_error_new(MS_GREETER_ERROR,
				MS_GREETER_ERROR_TIMED_OUT,
				"%s did not answer within %u ms",
				part->name,
				self->part_timeout_ms));
	/* settled first: its greeter may answer the cancel at once, and that is too late */
	g_cancellable_cancel(call->states[ref->index].cancellable);
	return G_SOURCE_REMOVE;
}

static gboolean
on_caller_cancelled(GCancellable *cancellable, gpointer user_data)
{
	GreetCall *call = g_task_get_task_data(G_TASK(user_data));

	/* a source rather than a "cancelled" handler: parts may answer synchronously */
	for (guint i = 0; i < call->n_parts; i++)
		g_cancellable_cancel(call->states[i].cancellable);
	return G_SOURCE_REMOVE;
}

static void
part_start(MsGreetingService *self,
	   GTask *task,
	   guint index,
	   const char *name,
	   const char *language,
	   const char *request_id)
{
	GreetCall *call = g_task_get_task_data(task);
	MsGreeter *greeter = g_ptr_array_index(self->greeters, index);
	PartState *state = &call->states[index];

	if (self->part_timeout_ms > 0) {
		state->deadline = g_timeout_source_new(self->part_timeout_ms);
		g_source_set_callback(state->deadline,
				      on_part_deadline,
				      part_ref_new(task, index),
				      (GDestroyNotify)part_ref_free);
		g_source_attach(state->deadline, g_task_get_context(task));
	}
	ms_greeter_greet_async(greeter,
			       ms_greeter_accepts_name(greeter) ? name : NULL,
			       language,
			       request_id,
			       state->cancellable,
			       on_part_greeted,
			       part_ref_new(task, index));
}

/**
 * ms_greeting_service_greet_async:
 * @name: (nullable): untrusted; validated here before any part is asked
 * @language: the answer language, e.g. "th"
 * @request_id: (nullable): passed on to every part
 *
 * Asks every part concurrently; the greeting takes about as long as the slowest
 * part, and never longer than the part timeout.
 */
void
ms_greeting_service_greet_async(MsGreetingService *self,
				const char *name,
				const char *language,
				const char *request_id,
				GCancellable *cancellable,
				GAsyncReadyCallback callback,
				gpointer user_data)
{
	g_autoptr(GTask) task = NULL;
	g_autoptr(GError) error = NULL;
	GreetCall *call;

	g_return_if_fail(MS_IS_GREETING_SERVICE(self));
	task = g_task_new(self, cancellable, callback, user_data);
	g_task_set_source_tag(task, ms_greeting_service_greet_async);
	if (name != NULL && !ms_greeter_validate_name(name, language, &error)) {
		g_task_return_error(task, g_steal_pointer(&error));
		return;
	}

	call = g_new0(GreetCall, 1);
	call->n_parts = self->greeters->len;
	call->pending = call->n_parts;
	call->states = g_new0(PartState, call->n_parts);
	call->parts = g_ptr_array_new_with_free_func((GDestroyNotify)ms_greeting_part_free);
	for (guint i = 0; i < call->n_parts; i++) {
		MsGreetingPart *part = g_new0(MsGreetingPart, 1);

		part->name = g_strdup(ms_greeter_get_name(g_ptr_array_index(self->greeters, i)));
		g_ptr_array_add(call->parts, part);
		call->states[i].cancellable = g_cancellable_new();
	}
	g_task_set_task_data(task, call, (GDestroyNotify)greet_call_free);
	if (cancellable != NULL) {
		call->caller_cancelled = g_cancellable_source_new(cancellable);
		g_source_set_callback(call->caller_cancelled,
				      G_SOURCE_FUNC(on_caller_cancelled),
				      task,
				      NULL);
		g_source_attach(call->caller_cancelled, g_task_get_context(task));
	}
	for (guint i = 0; i < call->n_parts; i++)
		part_start(self, task, i, name, language, request_id);
}

/**
 * ms_greeting_service_greet_finish:
 *
 * Returns: (transfer full): the greeting with every part's outcome, or %NULL with
 *   @error set: %MS_GREETER_ERROR_INVALID_NAME for a bad name, or cancellation
 */
MsGreetingResult *
ms_greeting_service_greet_finish(MsGreetingService *self, GAsyncResult *result, GError **error)
{
	g_return_val_if_fail(g_task_is_valid(result, self), NULL);
	return g_task_propagate_pointer(G_TASK(result), error);
}

/**
 * ms_greeting_service_set_part_timeout:
 * @timeout_ms: how long each part may take; 0 waits for ever
 */
void
ms_greeting_service_set_part_timeout(MsGreetingService *self, guint timeout_ms)
{
	g_return_if_fail(MS_IS_GREETING_SERVICE(self));
	self->part_timeout_ms = timeout_ms;
}

guint
ms_greeting_service_get_part_timeout(MsGreetingService *self)
{
	g_return_val_if_fail(MS_IS_GREETING_SERVICE(self), 0);
	return self->part_timeout_ms;
}

static void
ms_greeting_service_finalize(GObject *object)
{
	g_ptr_array_unref(MS_GREETING_SERVICE(object)->greeters);
	G_OBJECT_CLASS(ms_greeting_service_parent_class)->finalize(object);
}

static void
ms_greeting_service_class_init(MsGreetingServiceClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = ms_greeting_service_finalize;
}

static void
ms_greeting_service_init(MsGreetingService *self)
{
	self->greeters = g_ptr_array_new_with_free_func(g_object_unref);
	self->part_timeout_ms = MS_GREETING_SERVICE_DEFAULT_PART_TIMEOUT_MS;
}

/**
 * ms_greeting_service_new:
 * @hello: the part said first
 * @world: the part said second
 */
MsGreetingService *
ms_greeting_service_new(MsGreeter *hello, MsGreeter *world)
{
	MsGreetingService *self;

	g_return_val_if_fail(MS_IS_GREETER(hello), NULL);
	g_return_val_if_fail(MS_IS_GREETER(world), NULL);
	self = g_object_new(MS_TYPE_GREETING_SERVICE, NULL);
	g_ptr_array_add(self->greeters, g_object_ref(hello));
	g_ptr_array_add(self->greeters, g_object_ref(world));
	return self;
}
