/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "ms-test-utils.h"

/*
 * The built services refusing to start: a status of 1 and one line on stderr that
 * says why, so systemd's start limit and the journal tell the operator the same.
 */

static void
assert_refuses(const char *binary, const char *const *args, const char *expected)
{
	g_autoptr(MsTestProcess) process = ms_test_process_spawn(binary, args);
	g_autofree char *log = NULL;

	g_assert_cmpint(ms_test_process_wait(process, 20000), ==, 1);
	log = ms_test_process_get_log(process);
	if (strstr(log, expected) == NULL)
		g_error("expected “%s” from %s, got:\n%s", expected, binary, log);
}

static void
test_greeting_unknown_option(void)
{
	assert_refuses("microsoup-greeting",
		       (const char *const[]){ "--no-such-option", NULL },
		       "microsoup-greeting: Unknown option --no-such-option");
}

static void
test_calculator_history_unopenable(void)
{
	g_autofree char *dir = ms_test_dir_new();
	g_autofree char *database = g_build_filename(dir, "missing", "calculator.db", NULL);
	g_autofree char *option = g_strconcat("--database=", database, NULL);

	/* the history is the service's state: without it, no start */
	assert_refuses("microsoup-calculator",
		       (const char *const[]){ option, NULL },
		       "cannot open the history: ");
	ms_test_dir_remove(dir);
}

int
main(int argc, char **argv)
{
	ms_test_init(&argc, &argv);
	g_test_add_func("/service-refusals/greeting-unknown-option", test_greeting_unknown_option);
	g_test_add_func("/service-refusals/calculator-history-unopenable",
			test_calculator_history_unopenable);
	return g_test_run();
}
