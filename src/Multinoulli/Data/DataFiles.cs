using System.IO.Compression;

namespace Multinoulli.Data;

/// <summary>What every reader shares: gzip detection and error reports.</summary>
internal static class DataFiles
{
    /// <summary>Opens a file, decompressing it on the fly when it starts with the gzip magic bytes.</summary>
    public static Stream Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Open(File.OpenRead(path), path);
    }

    /// <summary>Wraps a seekable stream, decompressing it when it starts with the gzip magic bytes.</summary>
    public static Stream Open(Stream raw, string name)
    {
        Span<byte> magic = stackalloc byte[2];
        int read = raw.Read(magic);
        raw.Position = 0;
        bool gzip = read == 2 && magic[0] == 0x1F && magic[1] == 0x8B;
        return gzip ? new BufferedStream(new Named(new GZipStream(raw, CompressionMode.Decompress), name), 1 << 16) : new BufferedStream(raw, 1 << 16);
    }

    /// <summary>Puts the file's name into the decompressor's errors, which otherwise do not say which file is damaged.</summary>
    private sealed class Named(Stream inner, string path) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            try
            {
                return inner.Read(buffer, offset, count);
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"{path}: the gzip data is damaged ({e.Message})", e);
            }
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }

    public static InvalidDataException Malformed(string path, long line, string reason) => new($"{path}:{line}: {reason}");
}
