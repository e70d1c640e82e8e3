/* version.h: the relay's version, reported by /version, --version and the User-Agent. */
#ifndef VERSION_H
#define VERSION_H

#define RELAY_VERSION "1.0.0"
#define RELAY_USER_AGENT "securex-relay/" RELAY_VERSION

#endif
