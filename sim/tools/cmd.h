/*
** cmd.h: the subcommands of bin/outbox-sim, one file each.
**
** Each takes the whole argv (argv[1] is the command's name) and returns the process
** exit code: 0 expectations met; 1 an invariant broke (or an expected break did not
** happen); 2 bad usage or a bad scenario; 3 the harness itself failed.
*/
#ifndef SIM_CMD_H
#define SIM_CMD_H

int cmd_run(int argc, char **argv);        /* cmd_run.c */
int cmd_sweep(int argc, char **argv);      /* cmd_sweep.c */
int cmd_matrix(int argc, char **argv);     /* cmd_matrix.c */
int cmd_shrink(int argc, char **argv);     /* cmd_shrink.c */
int cmd_explore(int argc, char **argv);    /* cmd_explore.c */

/* Shared by the commands. */
int cmd_usage_error(const char *fmt, const char *arg);   /* prints, returns 2 */
int cmd_parse_u64(const char *s, unsigned long long *out);
/* Path of this binary (for running itself in child processes). */
const char *cmd_self(void);

#endif
