namespace AbandonedCart.TemporalStandIn;

/// <summary>
/// The service's clock. It runs with the wall clock; while nothing holds a lock on time skipping (no workflow task
/// or activity outstanding, no client holding it) it jumps straight to the next timer, as the Java test server's
/// self-advancing timer does. Timer callbacks run one at a time on the clock's own loop, outside its lock, so a
/// callback that schedules work takes its lock before the clock looks at skipping again.
/// With <c>freezeWhileLocked</c> (the tests' setting) virtual time also stands still while the lock is held, so a
/// journey's activities see the exact time their timer fired whatever the machine's load; only work that holds the
/// lock longer than the grace period lets it creep on with the wall clock (so a hung task's timeouts still fire).
/// </summary>
public sealed class VirtualClock : IAsyncDisposable
{
    private readonly object sync = new();
    private readonly PriorityQueue<ClockTimer, (DateTime At, long Seq)> timers = new();
    private readonly CancellationTokenSource stop = new();
    private readonly Task loop;
    private readonly bool freezeWhileLocked;
    private readonly TimeSpan grace;
    private TaskCompletionSource changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TimeSpan offset;
    private long sequence;
    private int locks;
    private DateTime lockedAtReal;
    private DateTime lockedAtVirtual;
    private DateTime frozenAt;

    /// <summary>Starts with one lock held, the client's, as the test server does: a client unlocks it to skip time.</summary>
    public VirtualClock(DateTime start, bool freezeWhileLocked, TimeSpan grace)
    {
        this.freezeWhileLocked = freezeWhileLocked;
        this.grace = grace;
        var real = DateTime.UtcNow;
        offset = start - real;
        locks = 1;
        lockedAtReal = real;
        lockedAtVirtual = start;
        frozenAt = start;
        loop = Task.Run(RunAsync);
    }

    /// <summary>
    /// The owner's lock, taken around every skip decision: an operation that ends one piece of work and starts the
    /// next (unlock, then lock) is then never split by a jump.
    /// </summary>
    public object? Guard { get; set; }

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
                return CurrentTime();
            }
        }
    }

    public void Lock()
    {
        lock (sync)
        {
            if (locks == 0)
            {
                lockedAtVirtual = CurrentTime();
                lockedAtReal = DateTime.UtcNow;
            }

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

            var now = CurrentTime();
            locks--;
            if (locks == 0)
            {
                offset = now - DateTime.UtcNow;
                frozenAt = now;
            }

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

    private DateTime CurrentTime()
    {
        var real = DateTime.UtcNow;
        if (!freezeWhileLocked)
        {
            return real + offset;
        }

        if (locks == 0)
        {
            // Unlocked, a frozen clock moves only by jumping to the next timer.
            return frozenAt;
        }

        var held = real - lockedAtReal - grace;
        return held > TimeSpan.Zero ? lockedAtVirtual + held : lockedAtVirtual;
    }

    private async Task RunAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            ClockTimer? due = null;
            TimeSpan wait = Timeout.InfiniteTimeSpan;
            Task wake;
            lock (Guard ?? sync)
            {
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
                        var now = CurrentTime();
                        if (next.Due <= now)
                        {
                            due = timers.Dequeue();
                        }
                        else if (locks == 0)
                        {
                            offset += next.Due - now;
                            frozenAt = next.Due;
                            due = timers.Dequeue();
                        }
                        else
                        {
                            wait = freezeWhileLocked && next.Due - now > TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : next.Due - now;
                        }
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
