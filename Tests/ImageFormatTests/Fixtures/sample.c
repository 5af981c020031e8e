/* The PDB reader's fixture: XP x86 layouts of a few structures nt uses (public definitions), a function and
 * data, compiled and linked as a driver. Rebuild sample.pdb with build.sh (clang and lld-link from the Swift
 * toolchain); PDBReaderTests compares what the reader finds with llvm-pdbutil's dump of the same file. */
typedef unsigned char UCHAR;
typedef unsigned short USHORT;
typedef unsigned long ULONG;
typedef unsigned short WCHAR;

typedef struct _LIST_ENTRY {
  struct _LIST_ENTRY *Flink;
  struct _LIST_ENTRY *Blink;
} LIST_ENTRY;

typedef struct _UNICODE_STRING {
  USHORT Length;
  USHORT MaximumLength;
  WCHAR *Buffer;
} UNICODE_STRING;

typedef enum _POOL_TYPE { NonPagedPool, PagedPool, NonPagedPoolMustSucceed = 2, DontUseThisType } POOL_TYPE;

/* XP's pool header: 9-bit sizes in 8-byte units, the pool type and index beside them, then the tag. */
typedef struct _POOL_HEADER {
  union {
    struct {
      USHORT PreviousSize : 9;
      USHORT PoolIndex : 7;
      USHORT BlockSize : 9;
      USHORT PoolType : 7;
    };
    ULONG Ulong1;
  };
  union {
    ULONG PoolTag;
    struct {
      USHORT AllocatorBackTraceIndex;
      USHORT PoolTagHash;
    };
  };
} POOL_HEADER;

typedef struct _POOL_TRACKER_TABLE {
  ULONG Key;
  ULONG NonPagedAllocs;
  ULONG NonPagedFrees;
  ULONG NonPagedBytes;
  ULONG PagedAllocs;
  ULONG PagedFrees;
  ULONG PagedBytes;
} POOL_TRACKER_TABLE;

typedef struct _SAMPLE_OBJECT {
  UCHAR ImageFileName[16];
  LIST_ENTRY Links;
  POOL_TYPE Type;
  const volatile ULONG *Counter;
  void (*Callback)(int, char *);
  UNICODE_STRING Name;
  POOL_TRACKER_TABLE Track[4];
} SAMPLE_OBJECT;

/* Imported from ntoskrnl.exe (nt.c) through its import library. */
__declspec(dllimport) void *__stdcall ExAllocatePoolWithTag(POOL_TYPE Type, ULONG Bytes, ULONG Tag);
__declspec(dllimport) void __stdcall ExFreePoolWithTag(void *P, ULONG Tag);

POOL_HEADER SampleHeader;
SAMPLE_OBJECT SampleObject;
void *SampleBlocks[4] = {&SampleHeader, &SampleObject, &SampleObject.Links, &SampleObject.Name};

__declspec(dllexport) void *__stdcall SampleAllocate(ULONG Bytes) {
  SampleHeader.PoolTag = 0x20636241;
  SampleObject.Track[Bytes & 3].PagedAllocs += 1;
  return ExAllocatePoolWithTag(PagedPool, Bytes, 0x20636241);
}

int __stdcall DriverEntry(void *DriverObject, void *RegistryPath) {
  void *p = SampleAllocate(16);
  ExFreePoolWithTag(p, 0x20636241);
  return (int)(ULONG)SampleBlocks[(ULONG)p & 3];
}
