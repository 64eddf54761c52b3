namespace AbandonedCart.TemporalStandIn;

/// <summary>
/// The service's clock. It runs with the wall clock; while nothing holds a lock on time skipping (no workflow task
/// or activity outstanding, no client holding it) it jumps straight to the next timer, as the Java test server's
/// self-advancing timer does. Timer callbacks run one at a time on the clock's own loop, outside its lock, so a
/// callback that schedules work takes its lock before the clock looks at skipping again.
/// </summary>
public sealed class VirtualClock : IAsyncDisposable
{
    private readonly object sync = new();
    private readonly PriorityQueue<ClockTimer, (DateTime At, long Seq)> timers = new();
    private readonly CancellationTokenSource stop = new();
    private readonly Task loop;
    private TaskCompletionSource changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TimeSpan offset;
    private long sequence;
    private int locks;

    public VirtualClock(DateTime start, bool startLocked)
    {
        offset = start - DateTime.UtcNow;
        locks = startLocked ? 1 : 0;
        loop = Task.Run(RunAsync);
    }

    /// <summary>Holders of the time-skipping lock (0: time may jump).</summary>
    public int Locks
    {
        get
        {
            lock (sync)
            {
                return locks;
            }
        }
    }

    public DateTime Now
    {
        get
        {
            lock (sync)
            {
                return DateTime.UtcNow + offset;
            }
        }
    }

    public void Lock()
    {
        lock (sync)
        {
            locks++;
        }
    }

    public void Unlock()
    {
        lock (sync)
        {
            if (locks == 0)
            {
                throw new InvalidOperationException("Time skipping is not locked.");
            }

            locks--;
            Wake();
        }
    }

    /// <summary>Calls <paramref name="fire"/> once the clock reaches <paramref name="at"/>, unless cancelled first.</summary>
    public ClockTimer At(DateTime at, Action fire)
    {
        lock (sync)
        {
            var timer = new ClockTimer(this, at, fire);
            timers.Enqueue(timer, (at, sequence++));
            Wake();
            return timer;
        }
    }

    public ClockTimer After(TimeSpan delay, Action fire) => At(Now + delay, fire);

    /// <summary>Completes when the clock reaches <paramref name="at"/>.</summary>
    public Task WhenAsync(DateTime at, CancellationToken cancellationToken)
    {
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var timer = At(at, () => reached.TrySetResult());
        cancellationToken.Register(() =>
        {
            timer.Cancel();
            reached.TrySetCanceled(cancellationToken);
        });
        return reached.Task;
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        try
        {
            await loop;
        }
        catch (OperationCanceledException)
        {
        }

        stop.Dispose();
    }

    internal void Cancel(ClockTimer timer)
    {
        lock (sync)
        {
            timer.Cancelled = true;
            Wake();
        }
    }

    private void Wake() => changed.TrySetResult();

    private async Task RunAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            ClockTimer? due = null;
            TimeSpan wait = Timeout.InfiniteTimeSpan;
            Task wake;
            lock (sync)
            {
                if (changed.Task.IsCompleted)
                {
                    changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
                }

                wake = changed.Task;
                while (timers.TryPeek(out var head, out _) && head.Cancelled)
                {
                    timers.Dequeue();
                }

                if (timers.TryPeek(out var next, out _))
                {
                    var now = DateTime.UtcNow + offset;
                    if (next.Due <= now)
                    {
                        due = timers.Dequeue();
                    }
                    else if (locks == 0)
                    {
                        offset += next.Due - now;
                        due = timers.Dequeue();
                    }
                    else
                    {
                        wait = next.Due - now;
                    }
                }
            }

            if (due is not null)
            {
                if (!due.Cancelled)
                {
                    try
                    {
                        due.Fire();
                    }
                    catch (Exception e)
                    {
                        // A broken callback must not stop every other timer of the service.
                        Console.Error.WriteLine($"stand-in clock: a timer callback failed: {e}");
                    }
                }

                continue;
            }

            await Task.WhenAny(wake, Task.Delay(wait, stop.Token)).ConfigureAwait(false);
        }
    }
}

public sealed class ClockTimer(VirtualClock clock, DateTime due, Action fire)
{
    public DateTime Due { get; } = due;

    internal bool Cancelled { get; set; }

    public void Cancel() => clock.Cancel(this);

    internal void Fire() => fire();
}
