/* A stand-in ntoskrnl.exe for the fixture: the exports sample.sys imports (linked as a DLL, which gives the
 * import library sample.sys links against). */
typedef unsigned long ULONG;

__declspec(dllexport) ULONG PoolHitTag = 0xffffff0f;

__declspec(dllexport) void *__stdcall ExAllocatePoolWithTag(int Type, ULONG Bytes, ULONG Tag) {
  PoolHitTag ^= Tag;
  return (void *)(ULONG)(Type + Bytes);
}

__declspec(dllexport) void __stdcall ExFreePoolWithTag(void *P, ULONG Tag) { PoolHitTag ^= Tag ^ (ULONG)P; }
