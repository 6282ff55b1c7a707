using System.Runtime.ExceptionServices;

namespace Multinoulli.Kernels;

/// <summary>Splits a batch of rows over threads when the batch is large enough to repay the hand-off.</summary>
internal static class RowParallel
{
    // About 20 µs of kernel work: below this a thread hand-off costs more than it saves.
    private const long MinimumElementsPerTask = 1 << 16;

    /// <summary>A row at least this long is worth splitting over threads when there are fewer rows than threads.</summary>
    public const int LongRow = 1 << 17;

    /// <summary>
    /// Whether a batch splits each of its rows over the threads instead of sharing rows out: fewer rows than
    /// threads, each at least <see cref="LongRow"/> long.
    /// </summary>
    public static bool SplitsEachRow(int rows, int classes, int degree) => rows < degree && classes >= LongRow;

    /// <summary>Validates a MaxDegreeOfParallelism option: −1 (every core) or a positive count.</summary>
    public static int CheckedDegree(int value, string paramName)
    {
        if (value == 0 || value < -1)
            ThrowHelper.OutOfRange(paramName, value, "Use −1 for every core, or a positive thread count.");
        return value;
    }

    /// <summary>The thread count that a MaxDegreeOfParallelism option (−1: every core) stands for.</summary>
    public static int Degree(int maxDegreeOfParallelism) =>
        maxDegreeOfParallelism == -1 ? Environment.ProcessorCount : maxDegreeOfParallelism;

    /// <summary>Calls <paramref name="body"/>(firstRow, rowCount) over disjoint ranges that cover every row.</summary>
    public static void For(int rows, int classes, int maxDegreeOfParallelism, Action<int, int> body)
    {
        int degree = Degree(maxDegreeOfParallelism);
        long elements = (long)rows * classes;
        int tasks = (int)Math.Min(Math.Min(degree * 4L, rows), Math.Max(1, elements / MinimumElementsPerTask));
        if (degree <= 1 || tasks <= 1)
        {
            body(0, rows);
            return;
        }
        Ranges(rows, tasks, degree, body);
    }

    /// <summary>
    /// Calls <paramref name="body"/>(first, count) over <paramref name="tasks"/> even, disjoint ranges that cover
    /// [0, <paramref name="items"/>), through <see cref="Run"/> on up to <paramref name="degree"/> threads.
    /// </summary>
    public static void Ranges(int items, int tasks, int degree, Action<int, int> body) =>
        Run(tasks, degree, task =>
        {
            int first = (int)((long)items * task / tasks);
            int last = (int)((long)items * (task + 1) / tasks);
            body(first, last - first);
        });

    /// <summary>
    /// Calls <paramref name="body"/>(task) once for every task in [0, <paramref name="tasks"/>), on the calling
    /// thread and up to <paramref name="degree"/> − 1 helper threads, which take tasks in turn; returns when every
    /// task has run, rethrowing the first exception a task threw (as itself, not wrapped). The caller never waits
    /// for a helper that has not started (one busy with another call's tasks, say), so a run nested in another
    /// still finishes. Three things differ from <see cref="Parallel.For(int, int, Action{int})"/>, all for a
    /// shared VM whose idle cores the host lends to others and is slow to give back: the helpers are the library's
    /// own threads, which after a job keep spinning for <see cref="HelperLinger"/> before they sleep, so calls in
    /// quick succession (a batch loop, a training step) hand over in well under a microsecond instead of waking a
    /// halted core; a caller that had to wake one yields once (Linux tends to put a woken thread on the waker's
    /// core: on the project's VM it started after 2.9 ms, median, while the waker kept its core busy, and after
    /// 17 µs when the waker yielded once); and the caller waits for the last tasks by spinning, not blocking.
    /// Side by side on that VM, two threads, each call a few milliseconds after the last (other work between):
    /// softmax of 65536 × 10 0.13–0.17 ms (median) against 0.18–0.24 with thread-pool helpers, of a 4M row
    /// 1.25–1.59 ms against 1.76–1.84; called back to back the two are alike (0.10 ms).
    /// </summary>
    public static void Run(int tasks, int degree, Action<int> body)
    {
        if (tasks <= 1 || degree <= 1)
        {
            for (int task = 0; task < tasks; task++) body(task);
            return;
        }
        var job = new Job(tasks, body);
        bool woke = false;
        int wanted = Math.Min(Math.Min(degree, tasks) - 1, Helper.All.Length);
        for (int helper = 0; helper < wanted; helper++) woke |= Helper.All[helper].Post(job);
        if (woke) Thread.Yield();
        job.Work();
        job.Wait();
    }

    /// <summary>How long a helper thread spins for its next job before it sleeps (OpenMP runtimes spin 0.1 to 200 ms).</summary>
    public static readonly TimeSpan HelperLinger = TimeSpan.FromMilliseconds(1);

    /// <summary>
    /// One of the fork-join's helper threads (a background thread, one per core beyond the first, started the first
    /// time it is wanted). It runs the jobs posted to it, spins for <see cref="HelperLinger"/> after each, then sleeps
    /// until the next post wakes it.
    /// </summary>
    private sealed class Helper
    {
        private const int Awake = 0, Sleeping = 1;

        private static readonly Lazy<Helper[]> s_all = new(() =>
            [.. Enumerable.Range(0, Math.Max(0, Environment.ProcessorCount - 1)).Select(index => new Helper(index))]);

        public static Helper[] All => s_all.Value;

        private readonly SemaphoreSlim _wake = new(0);
        private Job? _job;
        private int _state;

        private Helper(int index)
        {
            new Thread(Loop) { IsBackground = true, Name = $"Multinoulli helper {index + 1}" }.Start();
        }

        /// <summary>
        /// Hands <paramref name="job"/> to this helper unless it already has one waiting; true when the helper was
        /// asleep and had to be woken.
        /// </summary>
        public bool Post(Job job)
        {
            if (Interlocked.CompareExchange(ref _job, job, null) is not null) return false;
            // Whoever turns Sleeping into Awake releases the helper, exactly once a sleep.
            if (Interlocked.Exchange(ref _state, Awake) != Sleeping) return false;
            _wake.Release();
            return true;
        }

        private void Loop()
        {
            long linger = (long)(HelperLinger.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
            while (true)
            {
                long deadline = System.Diagnostics.Stopwatch.GetTimestamp() + linger;
                Job? job;
                // Only this thread empties the slot, and no caller posts while it is full: read, then clear.
                while ((job = Volatile.Read(ref _job)) is null)
                {
                    if (System.Diagnostics.Stopwatch.GetTimestamp() < deadline)
                    {
                        Thread.SpinWait(32);
                        continue;
                    }
                    Interlocked.Exchange(ref _state, Sleeping);
                    // A job posted before the state said Sleeping found Awake and released nothing: take it. One
                    // posted since then released the semaphore once (or will): take that release too.
                    if (Volatile.Read(ref _job) is not null && Interlocked.Exchange(ref _state, Awake) == Sleeping) continue;
                    _wake.Wait();
                    deadline = System.Diagnostics.Stopwatch.GetTimestamp() + linger;
                }
                Volatile.Write(ref _job, null);
                job.Work();
            }
        }
    }

    /// <summary>The tasks of one <see cref="Run"/>: a counter hands them out; the caller waits for the last to finish.</summary>
    private sealed class Job(int tasks, Action<int> body)
    {
        private int _next = -1;
        private int _finished;
        private ExceptionDispatchInfo? _error;

        public void Work()
        {
            int task;
            while ((task = Interlocked.Increment(ref _next)) < tasks)
            {
                try
                {
                    if (Volatile.Read(ref _error) is null) body(task);
                }
                catch (Exception error)
                {
                    Interlocked.CompareExchange(ref _error, ExceptionDispatchInfo.Capture(error), null);
                }
                Interlocked.Increment(ref _finished);
            }
        }

        /// <summary>
        /// Spins (yielding now and then, never sleeping) until every task has run. Only tasks already running on a
        /// helper remain by then, each a fraction of the job; blocking instead let this VM halt the caller's core,
        /// and waking a halted core took the host up to milliseconds.
        /// </summary>
        public void Wait()
        {
            var spinner = new SpinWait();
            while (Volatile.Read(ref _finished) < tasks) spinner.SpinOnce(sleep1Threshold: -1);
            _error?.Throw();
        }
    }
}
