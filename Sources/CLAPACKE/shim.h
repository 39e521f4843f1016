// LAPACKE, the C interface to LAPACK (pkg-config `lapacke`; Debian: liblapacke-dev).
// `lapack_int` is a macro (int32_t here) that Swift cannot import: Swift callers use Int32.
#include <lapacke.h>
