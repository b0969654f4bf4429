/* catalogue.h: the files the server may send. The master lists the
 * folder at start and on SIGHUP (by path, so a folder removed and made
 * again is followed); a worker serves a name only if it is in that list,
 * opens it relative to the folder without following symlinks or waiting
 * on anything that is not a regular file, and takes its SHA-256 from the
 * shared cache. */
#ifndef CATALOGUE_H
#define CATALOGUE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "ft_shm.h"

struct served_file {
	int fd;
	char name[FT_NAME_MAX + 1];
	uint64_t size;
	char sha256[FT_SHA256_HEX];
};

/* Master: (re)opens the folder and lists it: the first FT_MAX_FILES
 * regular files with valid names, by name. Returns how many are served
 * and puts in *found how many there were; -1 with errno when the folder
 * cannot be opened (the catalogue is then empty). */
int catalogue_scan(struct ft_shm *shm, const struct ft_conf *conf,
    unsigned *found);
/* Caller holds shm->lock. */
bool catalogue_contains(struct ft_shm *shm, const char *name);
/* Opens a catalogue file and gets its (cached) SHA-256, hashing it when
 * needed (which *stop ends). On error returns an FT_ERR_* code and a
 * message in why. */
int catalogue_open(struct ft_shm *shm, const struct ft_conf *conf,
    const char *name, volatile sig_atomic_t *stop, struct served_file *f,
    char *why, size_t whylen);
/* The catalogue as text for the console (the caller frees it). */
char *catalogue_text(struct ft_shm *shm);

#endif
