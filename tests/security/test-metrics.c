/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "gateway/core/ms-metrics.h"
#include "ms-test-utils.h"

static void
assert_contains(const char *text, const char *line)
{
	if (strstr(text, line) == NULL)
		g_error("missing “%s” in:\n%s", line, text);
}

static void
test_render(void)
{
	g_autoptr(MsMetrics) metrics = ms_metrics_new();
	MsMetricsRoute *hello = ms_metrics_get_route(metrics, "hello");
	MsMetricsRoute *calc = ms_metrics_get_route(metrics, "calc");
	g_autofree char *text = NULL;

	g_assert_true(ms_metrics_get_route(metrics, "hello") == hello);
	ms_metrics_route_observe(hello, "GET", 200, 800);
	ms_metrics_route_observe(hello, "GET", 204, 3000);
	ms_metrics_route_observe(hello, "HEAD", 404, 12000);
	ms_metrics_route_observe(calc, "POST", 422, 2000000);
	ms_metrics_route_observe(calc, "BREW", 502, 20000000);
	ms_metrics_route_observe(calc, "POST", 999, 1);
	ms_metrics_route_upstream_error(calc, MS_UPSTREAM_ERROR_TIMEOUT);
	ms_metrics_route_cache_hit(hello);
	ms_metrics_route_cache_hit(hello);
	ms_metrics_route_cache_miss(hello);
	ms_metrics_route_rate_limited(calc);
	ms_metrics_auth_failure(metrics, MS_AUTH_FAILURE_WRONG);
	ms_metrics_auth_failure(metrics, MS_AUTH_FAILURE_WRONG);
	ms_metrics_auth_failure(metrics, MS_AUTH_FAILURE_THROTTLED);
	ms_metrics_set_open_connections(metrics, 1);

	text = ms_metrics_render(metrics);
	g_test_message("%s", text);
	assert_contains(text, "# TYPE microsoup_gateway_requests_total counter\n");
	assert_contains(text,
			"microsoup_gateway_requests_total"
			"{route=\"hello\",method=\"GET\",status=\"2xx\"} 2\n");
	assert_contains(text,
			"microsoup_gateway_requests_total"
			"{route=\"hello\",method=\"HEAD\",status=\"4xx\"} 1\n");
	assert_contains(text,
			"microsoup_gateway_requests_total"
			"{route=\"calc\",method=\"other\",status=\"5xx\"} 1\n");
	assert_contains(text,
			"microsoup_gateway_requests_total"
			"{route=\"calc\",method=\"POST\",status=\"other\"} 1\n");
	assert_contains(text, "# TYPE microsoup_gateway_request_duration_seconds histogram\n");
	assert_contains(text,
			"microsoup_gateway_request_duration_seconds_bucket"
			"{route=\"hello\",le=\"0.001\"} 1\n");
	assert_contains(text,
			"microsoup_gateway_request_duration_seconds_bucket"
			"{route=\"hello\",le=\"0.005\"} 2\n");
	assert_contains(text,
			"microsoup_gateway_request_duration_seconds_bucket"
			"{route=\"hello\",le=\"0.025\"} 3\n");
	assert_contains(text,
			"microsoup_gateway_request_duration_seconds_bucket"
			"{route=\"hello\",le=\"+Inf\"} 3\n");
	assert_contains(
		text,
		"microsoup_gateway_request_duration_seconds_sum{route=\"hello\"} 0.015800\n");
	assert_contains(text,
			"microsoup_gateway_request_duration_seconds_count{route=\"hello\"} 3\n");
	assert_contains(
		text,
		"microsoup_gateway_request_duration_seconds_bucket{route=\"calc\",le=\"10\"} 2\n");
	assert_contains(text,
			"microsoup_gateway_request_duration_seconds_bucket"
			"{route=\"calc\",le=\"+Inf\"} 3\n");
	assert_contains(
		text,
		"microsoup_gateway_upstream_errors_total{route=\"calc\",kind=\"timeout\"} 1\n");
	assert_contains(
		text,
		"microsoup_gateway_upstream_errors_total{route=\"hello\",kind=\"connect\"} 0\n");
	assert_contains(text, "microsoup_gateway_cache_hits_total{route=\"hello\"} 2\n");
	assert_contains(text, "microsoup_gateway_cache_misses_total{route=\"hello\"} 1\n");
	assert_contains(text, "microsoup_gateway_rate_limited_total{route=\"calc\"} 1\n");
	assert_contains(text, "microsoup_gateway_auth_failures_total{reason=\"wrong\"} 2\n");
	assert_contains(text, "microsoup_gateway_auth_failures_total{reason=\"throttled\"} 1\n");
	assert_contains(text, "microsoup_gateway_open_connections 1\n");
	/* routes are sorted: the output is stable */
	g_assert_true(strstr(text, "route=\"calc\"") < strstr(text, "route=\"hello\""));
	g_assert_true(g_str_has_suffix(text, "\n"));
}

/* replicas have their own counters; a route's only server is counted by its route */
static void
test_render_servers(void)
{
	const MsMetricsServer servers[] = {
		{ .route = "hello",
		  .server = "unix:/run/a.sock",
		  .up = TRUE,
		  .counted = TRUE,
		  .requests = 7,
		  .failures = 2 },
		{ .route = "hello",
		  .server = "http://b:8080",
		  .up = FALSE,
		  .counted = TRUE,
		  .requests = 3,
		  .failures = 3 },
		{ .route = "calc", .server = "unix:/run/calc.sock", .up = TRUE },
	};
	g_autoptr(GString) out = g_string_new(NULL);

	ms_metrics_render_servers(out, servers, G_N_ELEMENTS(servers));
	g_test_message("%s", out->str);
	assert_contains(out->str,
			"# TYPE microsoup_gateway_upstream_server_requests_total counter\n");
	assert_contains(out->str,
			"# TYPE microsoup_gateway_upstream_server_failures_total counter\n");
	assert_contains(
		out->str,
		"\nmicrosoup_gateway_upstream_up{route=\"hello\",server=\"http://b:8080\"} 0\n");
	assert_contains(out->str,
			"\nmicrosoup_gateway_upstream_server_requests_total{route=\"hello\","
			"server=\"unix:/run/a.sock\"} 7\n");
	assert_contains(out->str,
			"\nmicrosoup_gateway_upstream_server_requests_total{route=\"hello\","
			"server=\"http://b:8080\"} 3\n");
	assert_contains(out->str,
			"\nmicrosoup_gateway_upstream_server_failures_total{route=\"hello\","
			"server=\"unix:/run/a.sock\"} 2\n");
	assert_contains(out->str,
			"\nmicrosoup_gateway_upstream_server_failures_total{route=\"hello\","
			"server=\"http://b:8080\"} 3\n");
	assert_contains(
		out->str,
		"\nmicrosoup_gateway_upstream_up{route=\"calc\",server=\"unix:/run/calc.sock\"} 1\n");
	g_assert_null(strstr(out->str, "_total{route=\"calc\""));
}

static void
test_label_escaping(void)
{
	g_autoptr(MsMetrics) metrics = ms_metrics_new();
	g_autofree char *text = NULL;

	ms_metrics_route_rate_limited(ms_metrics_get_route(metrics, "a\"b\\c\nd"));
	text = ms_metrics_render(metrics);
	assert_contains(text,
			"microsoup_gateway_rate_limited_total{route=\"a\\\"b\\\\c\\nd\"} 1\n");
}

static void
test_summary(void)
{
	g_autoptr(MsMetrics) metrics = ms_metrics_new();
	MsMetricsRoute *route = ms_metrics_get_route(metrics, "r");
	g_autofree char *empty = ms_metrics_summary(metrics);
	g_autofree char *summary = NULL;

	g_assert_cmpstr(empty,
			==,
			"0 requests, 0 open connections, 0 upstream errors, 0% cache hits, 0 rate "
			"limited, 0 auth failures");
	for (guint i = 0; i < 4; i++)
		ms_metrics_route_observe(route, "GET", 200, 10);
	ms_metrics_route_cache_hit(route);
	ms_metrics_route_cache_miss(route);
	ms_metrics_route_cache_miss(route);
	ms_metrics_route_cache_miss(route);
	ms_metrics_route_upstream_error(route, MS_UPSTREAM_ERROR_CONNECT);
	ms_metrics_set_open_connections(metrics, 1);
	ms_metrics_auth_failure(metrics, MS_AUTH_FAILURE_MISSING);
	summary = ms_metrics_summary(metrics);
	g_assert_cmpstr(summary,
			==,
			"4 requests, 1 open connections, 1 upstream errors, 25% cache hits, 0 rate "
			"limited, 1 auth failures");
	g_assert_null(strchr(summary, '\n'));
}

static gpointer
hammer(gpointer user_data)
{
	MsMetrics *metrics = user_data;
	for (guint i = 0; i < 10000; i++) {
		g_autofree char *name = g_strdup_printf("route-%u", i % 8);
		ms_metrics_route_observe(ms_metrics_get_route(metrics, name), "GET", 200, i);
		ms_metrics_set_open_connections(metrics, i % 3);
	}
	return NULL;
}

static void
test_threads(void)
{
	g_autoptr(MsMetrics) metrics = ms_metrics_new();
	g_autofree char *text = NULL;
	g_autofree char *summary = NULL;
	GThread *threads[4];

	for (guint i = 0; i < 4; i++)
		threads[i] = g_thread_new("metrics", hammer, metrics);
	for (guint i = 0; i < 4; i++) {
		g_autofree char *rendered = ms_metrics_render(metrics);
		g_assert_nonnull(rendered);
	}
	for (guint i = 0; i < 4; i++)
		g_thread_join(threads[i]);
	summary = ms_metrics_summary(metrics);
	g_assert_true(g_str_has_prefix(summary, "40000 requests, 0 open connections"));
	text = ms_metrics_render(metrics);
	assert_contains(
		text,
		"microsoup_gateway_request_duration_seconds_count{route=\"route-3\"} 5000\n");
}

int
main(int argc, char **argv)
{
	ms_test_init(&argc, &argv);
	g_test_add_func("/metrics/render", test_render);
	g_test_add_func("/metrics/render-servers", test_render_servers);
	g_test_add_func("/metrics/label-escaping", test_label_escaping);
	g_test_add_func("/metrics/summary", test_summary);
	g_test_add_func("/metrics/threads", test_threads);
	return g_test_run();
}
