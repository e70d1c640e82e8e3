/* cli.h: the operator commands that run instead of serving, and their arguments.
 *
 *   securex-relay module-type MODULE --url BASE_URL [--region us|eu|apjc]
 *   securex-relay register MODULE --url BASE_URL --region us|eu|apjc
 *
 * main() hands argv over when argv[1] names a command (cli_is_command);
 * the command parses the rest, does its work and returns the exit status
 * (0 done, 1 failed, 2 bad arguments). Every failure is one line on stderr
 * naming what to fix (docs/registering-in-xdr.md).
 */
#ifndef CLI_H
#define CLI_H

#include <stdio.h>

struct relay_module;

/* Longest BASE_URL (as RELAY_PUBLIC_URL: CONFIG_MAX_PUBLIC_URL). */
#define CLI_URL_MAX 1024
/* Longest host name of a region's API (visibility.apjc.amp.cisco.com). */
#define CLI_HOST_MAX 64

/* What both commands are about: one module of this relay, at one public
 * URL, for one XDR region. All pointers are static strings or point into
 * this struct. */
struct cli_target {
	const struct relay_module *module;
	char base_url[CLI_URL_MAX + 1];	   /* https://host[:port][/path], no trailing slash */
	char module_url[CLI_URL_MAX + 64]; /* base_url "/" module id: url and audience */
	const char *region;		   /* "us", "eu" or "apjc" */
	const char *api_host;		   /* visibility[.<region>].amp.cisco.com */
};

/* 1 when `arg` is the name of a command. */
int cli_is_command(const char *arg);

/* Runs the command argv[0] with argv[1..argc). Returns the exit status. */
int cli_main(int argc, char **argv);

/* The lines of `securex-relay --help` about the commands. */
void cli_usage(FILE *out);

/* Parses "MODULE --url BASE_URL [--region R]" for command `cmd` into t;
 * without --region, region_required decides between an error and "us".
 * Returns 0 to go on; or -1 with the exit status in *status: 2 after one
 * line on stderr naming the bad argument, 0 after --help printed the
 * command's usage. */
int cli_parse_target(const char *cmd, int argc, char **argv, int region_required,
		     struct cli_target *t, int *status);

/* The commands (cli/module_type.c, cli/register.c). */
int cli_module_type(int argc, char **argv);
int cli_register(int argc, char **argv);

#endif
