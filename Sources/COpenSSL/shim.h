#ifndef SWIFTKD_COPENSSL_SHIM_H
#define SWIFTKD_COPENSSL_SHIM_H
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>

// Macros Swift cannot import, as static inline functions.
static inline int kd_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int v) { return (int)SSL_CTX_set_min_proto_version(ctx, v); }
static inline int kd_SSL_CTX_set_max_proto_version(SSL_CTX *ctx, int v) { return (int)SSL_CTX_set_max_proto_version(ctx, v); }
static inline long kd_SSL_CTX_set_mode(SSL_CTX *ctx, long mode) { return SSL_CTX_set_mode(ctx, mode); }
static inline long kd_SSL_set_tlsext_host_name(SSL *ssl, const char *name) { return SSL_set_tlsext_host_name(ssl, name); }

// Transport helpers (KDTransport): macros and multi-step idioms Swift cannot express directly.
static inline EVP_PKEY *kd_EVP_EC_gen_p256(void) { return EVP_EC_gen("P-256"); }
static inline int kd_SSL_CTX_set_no_renegotiation(SSL_CTX *ctx) {
  return SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION) != 0;
}
// Adds one X509v3 extension given in openssl.cnf syntax ("DNS:localhost,IP:127.0.0.1"); 1 on success.
static inline int kd_X509_add_ext(X509 *cert, int nid, const char *value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
  X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
  if (ext == NULL) return 0;
  int ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  return ok;
}
// Writes the RFC 2253 form of a name ("CN=alice,O=lab") into buf (NUL-terminated); returns its length or -1.
static inline int kd_X509_NAME_rfc2253(const X509_NAME *name, char *buf, int size) {
  BIO *bio = BIO_new(BIO_s_mem());
  if (bio == NULL || size <= 0) { BIO_free(bio); return -1; }
  int ok = X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) >= 0;
  int n = ok ? BIO_read(bio, buf, size - 1) : -1;
  BIO_free(bio);
  if (n < 0) return -1;
  buf[n] = 0;
  return n;
}
#endif
