/* console.c: the operator's console, on when stdin is a terminal. One
 * command per line; the master reads it between its other duties. */
#include "ftserver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bsd/stdlib.h>
#include <bsd/string.h>

void
console_prompt(void)
{
	fputs("ft> ", stdout);
	fflush(stdout);
}

static void
console_help(void)
{
	puts("commands:\n"
	    "  list           the catalogue (* marks the selected file)\n"
	    "  select NAME    send NAME in the next tests\n"
	    "  group N        wait for N connections per test (0: the client says)\n"
	    "  stats          a row per worker, then totals\n"
	    "  rescan         read the files folder again\n"
	    "  quit           stop the server (as SIGTERM)");
}

static void
console_select(struct server *s, const char *name)
{
	ft_shm_lock(&s->shm->lock);
	if (ft_name_valid(name) && catalogue_contains(s->shm, name)) {
		strlcpy(s->shm->config.selected, name,
		    sizeof(s->shm->config.selected));
		printf("selected %s\n", name);
	} else
		printf("no such file: %s (try 'list')\n", name);
	ft_shm_unlock(&s->shm->lock);
}

static void
console_group(struct server *s, const char *arg)
{
	const char *err = NULL;
	long long n = strtonum(arg, 0, s->workers, &err);

	if (err != NULL) {
		printf("group size must be 0..%u\n", s->workers);
		return;
	}
	ft_shm_lock(&s->shm->lock);
	s->shm->config.group_size = (uint32_t)n;
	ft_shm_unlock(&s->shm->lock);
	printf(n ? "tests wait for %lld connections\n" :
	    "the client run sets the group size%.0lld\n", n);
}

void
console_handle_line(struct server *s, char *line)
{
	char *cmd = strtok(line, " \t\r\n"), *arg = strtok(NULL, " \t\r\n");

	if (cmd == NULL)
		return;
	if (strcmp(cmd, "list") == 0 || strcmp(cmd, "ls") == 0)
		catalogue_print(s, stdout);
	else if (strcmp(cmd, "select") == 0 && arg != NULL)
		console_select(s, arg);
	else if (strcmp(cmd, "group") == 0 && arg != NULL)
		console_group(s, arg);
	else if (strcmp(cmd, "stats") == 0)
		report_stats(s, stdout);
	else if (strcmp(cmd, "rescan") == 0)
		printf("%d files\n", catalogue_scan(s));
	else if (strcmp(cmd, "quit") == 0)
		raise(SIGTERM);
	else
		console_help();
}
