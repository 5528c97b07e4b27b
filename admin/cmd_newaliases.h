/*
 * cmd_newaliases.h - `mailshim newaliases`: check the aliases file.
 *
 * API:    cmd_newaliases().
 */
#ifndef MS_CMD_NEWALIASES_H
#define MS_CMD_NEWALIASES_H

#include "conf.h"

/* Loads the aliases file named by conf (or by the one FILE argument),
 * prints every problem as "FILE:LINE: problem" on stderr and "N aliases"
 * on stdout. argv[0..argc) are the arguments after "newaliases". Returns the
 * exit code: 0 when there are no errors (warnings allowed), 78 (EX_CONFIG) when
 * there are errors or the file cannot be read, 64 for a bad command line. */
int cmd_newaliases(const struct ms_conf *conf, int argc, char **argv);

#endif
