/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib.h>
#include <stdio.h>

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size);

/*
 * Runs a fuzz target over its seed corpus as an ordinary test (any compiler, no
 * libFuzzer): each file in the directory given on the command line, as TAP.
 */
int
main(int argc, char **argv)
{
	g_autoptr(GDir) dir = NULL;
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GError) error = NULL;
	const char *name;

	/*
	 * as g_test_init() makes them in every other test: a warning or critical on
	 * some input ends the run there. This main is no GTest program (its TAP is its
	 * own, and it links only the code under test), so not ms_test_init().
	 */
	g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL);
	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS-DIRECTORY\n", argv[0]);
		return 2;
	}
	dir = g_dir_open(argv[1], 0, &error);
	if (dir == NULL) {
		fprintf(stderr, "%s\n", error->message);
		return 1;
	}
	while ((name = g_dir_read_name(dir)) != NULL)
		g_ptr_array_add(names, g_strdup(name));
	g_ptr_array_sort(names, (GCompareFunc)g_strcmp0);
	printf("1..%u\n", names->len);
	for (guint i = 0; i < names->len; i++) {
		g_autofree char *path = g_build_filename(argv[1], names->pdata[i], NULL);
		g_autofree char *contents = NULL;
		gsize length = 0;

		if (!g_file_get_contents(path, &contents, &length, &error)) {
			printf("not ok %u - %s: %s\n",
			       i + 1,
			       (char *)names->pdata[i],
			       error->message);
			return 1;
		}
		/* a crash ends the run: the last line names the file */
		fflush(stdout);
		LLVMFuzzerTestOneInput((const guint8 *)contents, length);
		printf("ok %u - %s\n", i + 1, (char *)names->pdata[i]);
	}
	return 0;
}
