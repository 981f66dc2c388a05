/*
 * Test support only, never shipped: a stand-in for Windows'
 * bcryptprimitives.dll, which Wine 8.0 lacks. Rust's standard library
 * imports one function from it, ProcessPrng (Windows 10 and later), to
 * seed its hash maps and for getrandom; this one fills the buffer from
 * RtlGenRandom (advapi32's SystemFunction036), the generator Wine has.
 * tests/support/cross.rs builds it with MinGW-w64 into the test's own Wine
 * prefix (C:\windows\system32), where Windows keeps the real one: the
 * packaged .exe runs unchanged from the unpacked app.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

/* Windows documents that ProcessPrng always returns TRUE; here a failure
 * of the generator underneath returns FALSE rather than weak bytes. */
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x40000000 ? 0x40000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
