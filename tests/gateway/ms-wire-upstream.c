/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "ms-wire-upstream.h"

#include "ms-test-utils.h"

struct _MsWireUpstream {
	GThread *thread;
	GMainContext *context;
	GMainLoop *loop;
	MsTestServer *server; /* made, used and freed in the thread */
	GBytes *body;
	char *socket_path;
	GMutex lock;
	GCond cond;
};

static void
big_handler(SoupServer *server,
	    SoupServerMessage *msg,
	    const char *path,
	    GHashTable *query,
	    gpointer user_data)
{
	MsWireUpstream *self = user_data;

	if (soup_server_message_get_method(msg) != SOUP_METHOD_GET) {
		soup_server_message_set_status(msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
		return;
	}
	soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
	soup_server_message_set_response(msg,
					 "application/octet-stream",
					 SOUP_MEMORY_COPY,
					 g_bytes_get_data(self->body, NULL),
					 g_bytes_get_size(self->body));
}

static gpointer
run(gpointer user_data)
{
	MsWireUpstream *self = user_data;

	g_main_context_push_thread_default(self->context);
	self->server = ms_test_server_new();
	soup_server_add_handler(self->server->server, "/big", big_handler, self, NULL);
	g_mutex_lock(&self->lock);
	self->socket_path = g_strdup(self->server->socket_path);
	g_cond_signal(&self->cond);
	g_mutex_unlock(&self->lock);

	g_main_loop_run(self->loop);

	g_clear_pointer(&self->server, ms_test_server_free);
	g_main_context_pop_thread_default(self->context);
	return NULL;
}

/**
 * ms_wire_upstream_new:
 * @body_size: bytes of the body every GET /big/... gets, a fixed pattern that
 *   no shift or repeat of a block can reproduce
 */
MsWireUpstream *
ms_wire_upstream_new(gsize body_size)
{
	MsWireUpstream *self = g_new0(MsWireUpstream, 1);
	guint8 *data = g_malloc(body_size);

	for (gsize i = 0; i < body_size; i++)
		data[i] = (guint8)((i * 131) ^ (i >> 8) ^ (i >> 16));
	self->body = g_bytes_new_take(data, body_size);
	self->context = g_main_context_new();
	self->loop = g_main_loop_new(self->context, FALSE);
	g_mutex_init(&self->lock);
	g_cond_init(&self->cond);
	self->thread = g_thread_new("wire-upstream", run, self);
	g_mutex_lock(&self->lock);
	while (self->socket_path == NULL)
		g_cond_wait(&self->cond, &self->lock);
	g_mutex_unlock(&self->lock);
	return self;
}

static gboolean
quit(gpointer user_data)
{
	g_main_loop_quit(user_data);
	return G_SOURCE_REMOVE;
}

void
ms_wire_upstream_free(MsWireUpstream *self)
{
	if (self == NULL)
		return;
	g_main_context_invoke(self->context, quit, self->loop);
	g_thread_join(self->thread);
	g_main_loop_unref(self->loop);
	g_main_context_unref(self->context);
	g_bytes_unref(self->body);
	g_free(self->socket_path);
	g_mutex_clear(&self->lock);
	g_cond_clear(&self->cond);
	g_free(self);
}

const char *
ms_wire_upstream_get_socket_path(MsWireUpstream *self)
{
	return self->socket_path;
}

GBytes *
ms_wire_upstream_get_body(MsWireUpstream *self)
{
	return self->body;
}
