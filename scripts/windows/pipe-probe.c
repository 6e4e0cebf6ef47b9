/*
 * pipe-probe NAME: exits 0 when the named pipe \\.\pipe\NAME exists (it can
 * be opened, or all its instances are busy), 1 when it does not. The Wine
 * test uses it to check that mpv's pipe is gone once mpv is.
 */
#include <windows.h>
#include <stdio.h>

int wmain(int argc, wchar_t **argv)
{
    if (argc != 2) {
        fwprintf(stderr, L"usage: pipe-probe NAME\n");
        return 2;
    }
    wchar_t path[512];
    _snwprintf(path, 512, L"\\\\.\\pipe\\%ls", argv[1]);
    path[511] = 0;
    HANDLE h = CreateFileW(path, GENERIC_READ, 0, NULL, OPEN_EXISTING, 0, NULL);
    if (h != INVALID_HANDLE_VALUE) {
        CloseHandle(h);
        return 0;
    }
    return GetLastError() == ERROR_PIPE_BUSY ? 0 : 1;
}
