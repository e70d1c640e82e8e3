/* uuid5.h: name-based UUIDs (RFC 9562 section 5.5, SHA-1) and the stable
 * entity ids made from them.
 *
 * An entity that describes the same thing in two answers has the same id
 * (docs/api.md, "Ids that stay the same"): an indicator for malware family F
 * of module M is transient:indicator-<uuid5(CTIM_UUID_NAMESPACE, "M:F")>, so
 * one family is one node in XDR's graph whatever the observable or the
 * request. Sightings and judgements keep random ids (entities.h).
 *
 * The namespace is this project's own, fixed once (a random version-4 UUID
 * drawn when stable ids were introduced); changing it changes every stable
 * id the relay has ever emitted:
 *
 *     ce801a56-e465-43ec-a4e7-ea126212c037
 *
 * The hash is OpenSSL's SHA-1 (EVP). Nothing here allocates but OpenSSL's
 * digest context; nothing is kept between calls.
 */
#ifndef CTIM_UUID5_H
#define CTIM_UUID5_H

#include <stddef.h>

/* The 16 bytes of ce801a56-e465-43ec-a4e7-ea126212c037. */
extern const unsigned char CTIM_UUID_NAMESPACE[16];

/* The text form of a UUID: 36 characters and a NUL. */
#define UUID_TEXT_LEN 37

/* Writes uuid5(ns, name[0..name_len)) as 8-4-4-4-12 lowercase hex into
 * out. Returns 0, or -1 when OpenSSL fails (out of memory). */
int uuid5(const unsigned char ns[16], const char *name, size_t name_len, char out[UUID_TEXT_LEN]);

/* Writes "transient:<kind>-<uuid5(CTIM_UUID_NAMESPACE, "<module>:<name>")>"
 * into buf (CTIM_ID_LEN of entities.h is enough for kind "indicator").
 * `name` is taken byte for byte as the upstream gave it (the caller trims
 * it), so the same name always gives the same id. Returns 0, or -1 when buf
 * is too small or OpenSSL fails. */
int ctim_stable_id(const char *kind, const char *module, const char *name, char *buf, size_t len);

#endif
