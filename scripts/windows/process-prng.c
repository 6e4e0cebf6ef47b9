/*
 * A stand-in bcryptprimitives.dll for Wine 8.0 (Debian 12), which lacks it.
 * Rust's standard library imports ProcessPrng from it on Windows, so a Rust
 * .exe does not start under that Wine without one. This one forwards to
 * advapi32's RtlGenRandom (SystemFunction036), which Wine has. Only the
 * Wine test uses it (scripts/wine-test); real Windows has the real DLL.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

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
