using Multinoulli.Kernels;

namespace Multinoulli.Tests;

/// <summary>The fork-join that every multi-threaded kernel and the trainer run their tasks through.</summary>
public class RowParallelTests
{
    [Theory]
    [InlineData(0, 2)]
    [InlineData(1, 2)]
    [InlineData(2, 2)]
    [InlineData(7, 2)]
    [InlineData(64, 2)]
    [InlineData(64, 3)]
    [InlineData(5, 16)]
    [InlineData(1000, -1)]
    public void Every_task_runs_exactly_once_before_Run_returns(int tasks, int degree)
    {
        for (int repeat = 0; repeat < 50; repeat++)
        {
            var runs = new int[tasks];
            RowParallel.Run(tasks, RowParallel.Degree(degree), task =>
            {
                // Long enough that a helper can join in, short enough for 50 repeats.
                Thread.SpinWait(200);
                Interlocked.Increment(ref runs[task]);
            });
            Assert.All(runs, count => Assert.Equal(1, count));
        }
    }

    [Theory]
    [InlineData(1000, 8)]
    [InlineData(7, 8)]
    [InlineData(4_000_003, 2)]
    public void Ranges_cover_every_item_once(int items, int tasks)
    {
        var covered = new int[items];
        RowParallel.Ranges(items, tasks, 2, (first, count) =>
        {
            for (int i = first; i < first + count; i++) Interlocked.Increment(ref covered[i]);
        });
        Assert.All(covered, count => Assert.Equal(1, count));
    }

    [Fact]
    public void One_thread_runs_the_tasks_in_order_on_the_calling_thread()
    {
        var order = new List<int>();
        int caller = Environment.CurrentManagedThreadId;
        RowParallel.Run(6, 1, task =>
        {
            Assert.Equal(caller, Environment.CurrentManagedThreadId);
            order.Add(task);
        });
        Assert.Equal([0, 1, 2, 3, 4, 5], order);
    }

    [Fact]
    public void A_task_that_throws_surfaces_as_its_own_exception_after_the_other_tasks_settle()
    {
        int running = 0;
        var error = Assert.Throws<InvalidOperationException>(() => RowParallel.Run(32, 2, task =>
        {
            Interlocked.Increment(ref running);
            Thread.SpinWait(500);
            Interlocked.Decrement(ref running);
            if (task == 5) throw new InvalidOperationException("task 5 failed");
        }));
        Assert.Equal("task 5 failed", error.Message);
        Assert.Equal(0, Volatile.Read(ref running));
    }

    [Fact]
    public async Task Runs_nested_in_the_thread_pool_finish_even_when_every_pool_thread_is_busy()
    {
        // Each outer task is a pool thread that forks again; the inner helpers may never start, and the caller
        // must then do the work itself rather than wait for them.
        int total = 0;
        var outer = Enumerable.Range(0, 4 * Environment.ProcessorCount).Select(_ => Task.Run(() =>
            RowParallel.Run(8, Environment.ProcessorCount + 1, _ => Interlocked.Increment(ref total)))).ToArray();
        await Task.WhenAll(outer).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(outer.Length * 8, total);
    }

    [Fact]
    public void A_long_row_split_over_threads_still_matches_the_single_thread_result()
    {
        var random = new Random(7);
        var z = new float[RowParallel.LongRow * 3 + 17];
        for (int i = 0; i < z.Length; i++) z[i] = (float)(random.NextDouble() * 40 - 20);
        var one = new float[z.Length];
        var two = new float[z.Length];
        for (int repeat = 0; repeat < 5; repeat++)
        {
            Softmax.Probabilities(z, z.Length, one, new SoftmaxOptions { MaxDegreeOfParallelism = 1 });
            Softmax.Probabilities(z, z.Length, two, new SoftmaxOptions { MaxDegreeOfParallelism = 3 });
            double sum = 0;
            for (int i = 0; i < z.Length; i++)
            {
                Assert.True(Math.Abs(one[i] - two[i]) <= 2e-6 * one[i] + 1e-37f, $"element {i}: {one[i]} on one thread, {two[i]} on three");
                sum += two[i];
            }
            Assert.InRange(sum, 1 - 1e-5, 1 + 1e-5);
        }
    }
}

/// <summary>Tests that need the fork-join's helper threads to themselves: run after the parallel ones, one at a time.</summary>
[CollectionDefinition(nameof(HelperCollection), DisableParallelization = true)]
public class HelperCollection;

[Collection(nameof(HelperCollection))]
public class HelperTests
{
    /// <summary>
    /// Two tasks that each wait for the other to start can only finish if a helper takes one: the caller alone
    /// would wait forever in the first. Run right after another run (the helper still spinning) and after the
    /// helper has gone to sleep, so both hand-overs are exercised; a lost wake-up fails here by timing out. Alone:
    /// while other tests' runs keep the one helper of a two-core machine busy with a job already waiting, a
    /// run's post finds the slot full and its caller rightly does both tasks itself (it failed that way in
    /// about half the suite's runs once more tests split long rows).
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_helper_takes_the_next_run_whether_it_is_spinning_or_asleep(bool afterSleep)
    {
        if (Environment.ProcessorCount < 2) return;
        for (int repeat = 0; repeat < 10; repeat++)
        {
            if (afterSleep) Thread.Sleep(3 * RowParallel.HelperLinger);
            int started = 0, alone = 0;
            RowParallel.Run(2, 2, _ =>
            {
                Interlocked.Increment(ref started);
                if (!SpinWait.SpinUntil(() => Volatile.Read(ref started) == 2, TimeSpan.FromSeconds(10))) Interlocked.Increment(ref alone);
            });
            Assert.True(alone == 0, $"repeat {repeat}: the second task never started beside the first");
        }
    }
}
