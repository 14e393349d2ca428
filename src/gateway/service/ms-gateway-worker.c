/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "gateway/service/ms-gateway-worker.h"

/*
 * What one worker thread keeps of its own: the upstream pool and a map to
 * the gateway's health records, so that the request path takes no lock.
 */

struct _MsGatewayWorker {
	struct _MsGateway *gateway; /* not owned: the gateway outlives its workers */
	MsHealth *health;           /* the gateway's */
	MsUpstreamPool *pool;
	GHashTable *records; /* upstream → MsHealthRecord (the gateway's), this thread's only */
};

/**
 * ms_gateway_worker_new:
 * @context: the main context the worker's requests run in
 */
MsGatewayWorker *
ms_gateway_worker_new(struct _MsGateway *gateway, MsHealth *health, GMainContext *context)
{
	MsGatewayWorker *worker = g_new0(MsGatewayWorker, 1);

	worker->gateway = gateway;
	worker->health = health;
	worker->pool = ms_upstream_pool_new(context, ms_health_get_servers(health));
	/* keys are the records' own strings, which live as long as the gateway */
	worker->records = g_hash_table_new(g_str_hash, g_str_equal);
	return worker;
}

void
ms_gateway_worker_free(MsGatewayWorker *worker)
{
	g_hash_table_unref(worker->records);
	ms_upstream_pool_free(worker->pool);
	g_free(worker);
}

struct _MsGateway *
ms_gateway_worker_get_gateway(MsGatewayWorker *worker)
{
	return worker->gateway;
}

MsUpstreamPool *
ms_gateway_worker_get_pool(MsGatewayWorker *worker)
{
	return worker->pool;
}

/*
 * The worker's own map to the shared records: no lock on the request path, and
 * a lookup by the upstream string, so a reload (new routes, same upstreams)
 * keeps what was learnt
 */
static MsHealthRecord *
get_record(MsGatewayWorker *worker, const char *server)
{
	MsHealthRecord *record = g_hash_table_lookup(worker->records, server);

	if (record == NULL) {
		record = ms_health_get_record(worker->health, server);
		g_hash_table_insert(worker->records,
				    (gpointer)ms_health_record_get_upstream(record),
				    record);
	}
	return record;
}

/**
 * ms_gateway_worker_upstream_answered:
 * @server: a route's server, as written
 *
 * @server sent a response head: /readyz says "up" for a while.
 */
void
ms_gateway_worker_upstream_answered(MsGatewayWorker *worker, const char *server)
{
	ms_health_record_answered(get_record(worker, server), g_get_monotonic_time());
}

/**
 * ms_gateway_worker_upstream_failed:
 * @server: a route's server, as written
 *
 * @server refused, timed out or broke an exchange: /readyz says "failing"
 * with @message for a while.
 */
void
ms_gateway_worker_upstream_failed(MsGatewayWorker *worker, const char *server, const char *message)
{
	ms_health_record_failed(get_record(worker, server), g_get_monotonic_time(), message);
}
