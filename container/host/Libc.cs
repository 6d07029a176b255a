using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Sharpbox.Host;

// The system calls the worker needs that .NET does not wrap: signals and reaping by pid, file owners,
// ownership changes, the subreaper flag. Each returns -1 and sets errno on failure
// (Marshal.GetLastPInvokeError), as in C.
internal static class Libc
{
    public const int SIGKILL = 9;
    public const int WNOHANG = 1;
    public const int PR_SET_CHILD_SUBREAPER = 36;

    private const int AT_FDCWD = -100;
    private const int AT_SYMLINK_NOFOLLOW = 0x100;
    private const uint STATX_BASIC_STATS = 0x7ff;
    private const int W_OK = 2;

    [DllImport("libc", SetLastError = true)]
    public static extern int kill(int pid, int signal);

    [DllImport("libc", SetLastError = true)]
    public static extern int waitpid(int pid, out int status, int options);

    [DllImport("libc", SetLastError = true)]
    public static extern int prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    [DllImport("libc", SetLastError = true)]
    public static extern int mkdir(string path, uint mode);

    [DllImport("libc", SetLastError = true)]
    public static extern int lchown(string path, uint owner, uint group);

    [DllImport("libc", SetLastError = true, EntryPoint = "access")]
    private static extern int access_(string path, int mode);

    [DllImport("libc", SetLastError = true, EntryPoint = "statx")]
    private static extern int statx_(int dirfd, string path, int flags, uint mask, byte[] buffer);

    /// <summary>Whether a file could be written at `path` by root: false on a read-only mount (EROFS).</summary>
    public static bool WritableMount(string path) => access_(path, W_OK) == 0;

    /// <summary>
    /// lstat through statx, whose struct is the same on every architecture (struct stat is not): the
    /// owner, mode and device of `path` itself (a symlink is not followed), or null if it is gone.
    /// </summary>
    public static FileFacts? Lstat(string path)
    {
        var buffer = new byte[256];
        if (statx_(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, buffer) != 0) return null;
        var b = buffer.AsSpan();
        return new FileFacts(
            Nlink: BinaryPrimitives.ReadUInt32LittleEndian(b[16..]),
            Uid: BinaryPrimitives.ReadUInt32LittleEndian(b[20..]),
            Mode: BinaryPrimitives.ReadUInt16LittleEndian(b[28..]),
            Device: ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(b[136..]) << 32) | BinaryPrimitives.ReadUInt32LittleEndian(b[140..]));
    }
}

/// <summary>What statx says about one directory entry (Device is major:minor, for staying on one filesystem).</summary>
internal readonly record struct FileFacts(uint Nlink, uint Uid, ushort Mode, ulong Device)
{
    public bool IsDirectory => (Mode & 0xF000) == 0x4000;
    public bool IsRegular => (Mode & 0xF000) == 0x8000;
    /// <summary>Any user may create entries in it: write and search for others.</summary>
    public bool WorldWritable => (Mode & 0b011) == 0b011;
    /// <summary>Any user may pass through it (search for others); nothing below is reachable otherwise.</summary>
    public bool WorldSearchable => (Mode & 0b001) != 0;
}
