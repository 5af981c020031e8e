/* The slice of the NT kernel API the simulated kernel exports (see docs/KERNEL.md). */
#pragma once
#pragma clang diagnostic ignored "-Wmultichar"

typedef unsigned char UCHAR;
typedef unsigned short USHORT;
typedef unsigned long ULONG;
typedef long LONG;
typedef long NTSTATUS;
typedef void VOID, *PVOID;
typedef unsigned long *PULONG;
typedef long long LONGLONG;
typedef LONGLONG LARGE_INTEGER, *PLARGE_INTEGER;
typedef PVOID HANDLE, *PHANDLE;
typedef unsigned char BOOLEAN;
typedef ULONG SIZE_T;
typedef struct _UNICODE_STRING { USHORT Length, MaximumLength; USHORT *Buffer; } UNICODE_STRING, *PUNICODE_STRING;
typedef struct _DRIVER_OBJECT *PDRIVER_OBJECT;
typedef VOID (__stdcall *PDRIVER_UNLOAD)(PDRIVER_OBJECT DriverObject);
/* DRIVER_OBJECT as x86 Windows lays it out, up to DriverUnload (+0x34), which nt!IopUnloadDriver calls. */
typedef struct _DRIVER_OBJECT {
  USHORT Type, Size;
  PVOID DeviceObject;
  ULONG Flags;
  PVOID DriverStart;
  ULONG DriverSize;
  PVOID DriverSection, DriverExtension;
  UNICODE_STRING DriverName;
  PUNICODE_STRING HardwareDatabase;
  PVOID FastIoDispatch, DriverInit, DriverStartIo;
  PDRIVER_UNLOAD DriverUnload;
} DRIVER_OBJECT;
typedef VOID (__stdcall *PKSTART_ROUTINE)(PVOID StartContext);

#define NTAPI __stdcall
#define NTIMPORT __declspec(dllimport)
#define STATUS_SUCCESS 0
#define NonPagedPool 0
#define PagedPool 1
#define KernelMode 0
#define FALSE 0
#define NULL ((PVOID)0)
#define NOINLINE __attribute__((noinline))

NTIMPORT PVOID NTAPI ExAllocatePoolWithTag(int PoolType, SIZE_T NumberOfBytes, ULONG Tag);
NTIMPORT PVOID NTAPI ExAllocatePool(int PoolType, SIZE_T NumberOfBytes);
NTIMPORT VOID NTAPI ExFreePoolWithTag(PVOID P, ULONG Tag);
NTIMPORT VOID NTAPI ExFreePool(PVOID P);
NTIMPORT NTSTATUS NTAPI KeDelayExecutionThread(int WaitMode, BOOLEAN Alertable, PLARGE_INTEGER Interval);
NTIMPORT NTSTATUS NTAPI PsCreateSystemThread(PHANDLE ThreadHandle, ULONG DesiredAccess, PVOID ObjectAttributes,
                                             HANDLE ProcessHandle, PVOID ClientId, PKSTART_ROUTINE StartRoutine,
                                             PVOID StartContext);
NTIMPORT NTSTATUS NTAPI PsTerminateSystemThread(NTSTATUS ExitStatus);
NTIMPORT ULONG NTAPI RtlRandomEx(PULONG Seed);
NTIMPORT ULONG __cdecl DbgPrint(const char *Format, ...);
NTIMPORT VOID NTAPI KeQuerySystemTime(PLARGE_INTEGER CurrentTime);
NTIMPORT VOID NTAPI KeBugCheckEx(ULONG Code, ULONG P1, ULONG P2, ULONG P3, ULONG P4);

/* Sleep for `ms` milliseconds of virtual time. */
static VOID SleepMs(LONG ms) {
  LARGE_INTEGER interval = -(LONGLONG)ms * 10000;
  KeDelayExecutionThread(KernelMode, FALSE, &interval);
}

/* A random number in [lo, hi]. */
static ULONG RandomBetween(ULONG lo, ULONG hi) {
  ULONG seed = 0;
  return lo + RtlRandomEx(&seed) % (hi - lo + 1);
}

static VOID StartThread(PKSTART_ROUTINE routine, PVOID context) {
  HANDLE h;
  PsCreateSystemThread(&h, 0, NULL, NULL, NULL, routine, context);
}
