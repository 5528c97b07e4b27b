/*
 * durations.h - "300", "5m", "1h", "5d" to seconds and back.
 */
#ifndef MS_DURATIONS_H
#define MS_DURATIONS_H

#include <stddef.h>

/* Returns 0 and stores seconds, or -1 for anything else (empty, negative,
 * unknown unit, overflow). Units: s m h d w; no unit = seconds. */
int duration_parse(const char *text, long *seconds);

/* Formats seconds compactly ("45s", "12m", "3h", "2d") into buf. */
char *duration_format(char *buf, size_t len, long seconds);

#endif
