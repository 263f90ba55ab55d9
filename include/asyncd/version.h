/*
 * asyncd/version.h - the version of the library, its ABI, and the macros
 * every public header uses.  Included by each of them; include
 * <asyncd/asyncd.h> rather than this.
 *
 * ASYNCD_ABI_VERSION is the major of libasyncd's soname
 * (libasyncd.so.ASYNCD_ABI_VERSION): it changes when a change breaks code
 * built against an earlier version (a struct's layout, a function's
 * signature or meaning), never for additions.  An app module records the
 * one it was built for (struct asyncd_module's abi) and the daemon refuses
 * a module built for another.
 */
#ifndef ASYNCD_VERSION_H
#define ASYNCD_VERSION_H

#define ASYNCD_VERSION_MAJOR	0
#define ASYNCD_VERSION_MINOR	2
#define ASYNCD_VERSION_PATCH	0
#define ASYNCD_VERSION_STRING	"0.2.0"

#define ASYNCD_ABI_VERSION	1

/*
 * What the library exports.  libasyncd is built with -fvisibility=hidden:
 * only declarations marked ASYNCD_API are in its dynamic symbol table, and
 * every one of them is prefixed rt_, http_ or asyncd_ (a test compares the
 * table with the headers).
 */
#if defined(__GNUC__) || defined(__clang__)
#define ASYNCD_API		__attribute__((visibility("default")))
#define ASYNCD_PRINTF(f, a)	__attribute__((format(printf, f, a)))
#else
#define ASYNCD_API
#define ASYNCD_PRINTF(f, a)
#endif

#ifdef __cplusplus
#define ASYNCD_BEGIN_DECLS	extern "C" {
#define ASYNCD_END_DECLS	}
#else
#define ASYNCD_BEGIN_DECLS
#define ASYNCD_END_DECLS
#endif

#endif /* ASYNCD_VERSION_H */
