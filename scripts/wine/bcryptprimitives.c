/* bcryptprimitives.c — minimal stand-in for Windows' bcryptprimitives.dll for Wine < 9.
 *
 * Go >= 1.22 on Windows loads bcryptprimitives.dll at runtime start-up and calls
 * ProcessPrng for all randomness ("fatal error: bcryptprimitives.dll not found"
 * otherwise).  Wine 8.0 (Debian bookworm) does not ship that DLL.  This stub
 * exports ProcessPrng and forwards to advapi32!SystemFunction036 (RtlGenRandom),
 * which Wine implements on top of the host's getrandom/urandom.
 *
 * Build: scripts/wine/build-shim.sh OUT.dll (x86_64-w64-mingw32-gcc -shared -O2 -s ... -ladvapi32)
 * Install: wine-prefix.sh copies it into $WINEPREFIX/drive_c/windows/system32/ (Go loads it with
 * LOAD_LIBRARY_SEARCH_SYSTEM32, so next to the .exe is not enough).
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG len); /* RtlGenRandom */

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
	while (len > 0) {
		ULONG chunk = len > 0x10000000 ? 0x10000000 : (ULONG)len;
		if (!SystemFunction036(data, chunk))
			return FALSE;
		data += chunk;
		len -= chunk;
	}
	return TRUE;
}

BOOL WINAPI DllMain(HINSTANCE inst, DWORD reason, LPVOID reserved)
{
	(void)inst; (void)reason; (void)reserved;
	return TRUE;
}
