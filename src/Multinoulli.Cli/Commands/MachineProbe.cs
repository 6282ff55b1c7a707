using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Multinoulli.Cli.Commands;

/// <summary>
/// What the vector unit of this machine sustains, so the kernel figures can be read against it: a kernel that
/// needs N floating-point instructions an element cannot run faster than N / (vector operations a second).
/// </summary>
public static class MachineProbe
{
    /// <summary>
    /// float32 GFLOP/s of eight independent chains of fused multiply-adds at the widest vector width, on
    /// <paramref name="threads"/> threads at once (their sum). On a shared virtual machine the cores' vector units
    /// may also be serving another tenant: on this project's machine both cores together measured 1.25× one
    /// core in one hour and 1.9× in the next. While they are shared, a kernel bound by its count of vector
    /// instructions gains less from a second thread than one bound by latency (as <c>TensorPrimitives.SoftMax</c>
    /// on short rows is), and every ratio between the two moves with it.
    /// </summary>
    public static double FusedMultiplyAddGigaflops(int threads = 1, double seconds = 0.3)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        Chains(1000, Vector512.Create(0.999999f), Vector512.Create(1e-7f));
        var done = new long[threads];
        using var start = new Barrier(threads + 1);
        var workers = Enumerable.Range(0, threads).Select(index => new Thread(() =>
        {
            start.SignalAndWait();
            var watch = Stopwatch.StartNew();
            while (watch.Elapsed.TotalSeconds < seconds)
            {
                Chains(Iterations, Vector512.Create(0.999999f), Vector512.Create(1e-7f));
                done[index] += Iterations;
            }
        })).ToArray();
        foreach (var worker in workers) worker.Start();
        start.SignalAndWait();
        var elapsed = Stopwatch.StartNew();
        foreach (var worker in workers) worker.Join();
        // 8 FMAs an iteration, each 2 flops on every lane.
        return done.Sum() * 8.0 * 2 * Vector512<float>.Count / elapsed.Elapsed.TotalSeconds / 1e9;
    }

    private const long Iterations = 1 << 20;

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Chains(long iterations, Vector512<float> b, Vector512<float> c)
    {
        var a0 = b; var a1 = c; var a2 = b + c; var a3 = b - c; var a4 = b * c; var a5 = b * b; var a6 = c * c; var a7 = b + b;
        for (long i = 0; i < iterations; i++)
        {
            a0 = Vector512.FusedMultiplyAdd(a0, b, c); a1 = Vector512.FusedMultiplyAdd(a1, b, c);
            a2 = Vector512.FusedMultiplyAdd(a2, b, c); a3 = Vector512.FusedMultiplyAdd(a3, b, c);
            a4 = Vector512.FusedMultiplyAdd(a4, b, c); a5 = Vector512.FusedMultiplyAdd(a5, b, c);
            a6 = Vector512.FusedMultiplyAdd(a6, b, c); a7 = Vector512.FusedMultiplyAdd(a7, b, c);
        }
        return Vector512.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7);
    }
}
