/* uuid5.c: name-based UUIDs (SHA-1, OpenSSL EVP) and stable entity ids.
 *
 * RFC 9562 section 5.5: SHA-1 over the namespace's 16 bytes followed by the
 * name; the first 16 bytes of the digest, with the version (5) in the high
 * nibble of byte 6 and the variant (10) in the top bits of byte 8.
 */
#include "ctim/uuid5.h"

#include <string.h>

#include <openssl/evp.h>

const unsigned char CTIM_UUID_NAMESPACE[16] = {0xce, 0x80, 0x1a, 0x56, 0xe4, 0x65, 0x43, 0xec,
					       0xa4, 0xe7, 0xea, 0x12, 0x62, 0x12, 0xc0, 0x37};

/* The name is given in pieces so a stable id needs no joined copy. */
struct name_part {
	const char *s;
	size_t n;
};

static int uuid5_parts(const unsigned char ns[16], const struct name_part *parts, size_t n_parts,
		       char out[UUID_TEXT_LEN])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) == 1 &&
		 EVP_DigestUpdate(ctx, ns, 16) == 1;
	for (size_t i = 0; ok && i < n_parts; i++)
		ok = EVP_DigestUpdate(ctx, parts[i].s, parts[i].n) == 1;
	ok = ok && EVP_DigestFinal_ex(ctx, md, &md_len) == 1 && md_len >= 16;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return -1;
	md[6] = (unsigned char)((md[6] & 0x0F) | 0x50); /* version 5 */
	md[8] = (unsigned char)((md[8] & 0x3F) | 0x80); /* RFC 9562 variant */
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[md[i] >> 4];
		out[o++] = hex[md[i] & 15];
	}
	out[o] = '\0';
	return 0;
}

int uuid5(const unsigned char ns[16], const char *name, size_t name_len, char out[UUID_TEXT_LEN])
{
	struct name_part part = {name, name_len};
	return uuid5_parts(ns, &part, 1, out);
}

int ctim_stable_id(const char *kind, const char *module, const char *name, char *buf, size_t len)
{
	struct name_part parts[] = {
		{module, strlen(module)},
		{":", 1},
		{name, strlen(name)},
	};
	char uuid[UUID_TEXT_LEN];
	size_t klen = strlen(kind);
	if (10 + klen + 1 + UUID_TEXT_LEN > len ||
	    uuid5_parts(CTIM_UUID_NAMESPACE, parts, 3, uuid) != 0)
		return -1;
	memcpy(buf, "transient:", 10);
	memcpy(buf + 10, kind, klen);
	buf[10 + klen] = '-';
	memcpy(buf + 11 + klen, uuid, UUID_TEXT_LEN);
	return 0;
}
